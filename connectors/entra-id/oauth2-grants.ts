/**
 * Delegated permission grants (`GET /v1.0/oauth2PermissionGrants`): an app allowed to act as
 * users (all of them, or one) on an API, with the scopes consented.
 */
import * as z from 'zod';
import type { Entitlement, Grant } from '../../core/model';
import { graphPermissionPrivilege } from './privileged';
import { type RecordContext, uidOf } from './record-context';
import { MICROSOFT_GRAPH_APP_ID, type SpInfo } from './service-principals';

export const oauth2GrantSchema = z.object({
  id: z.string().min(1),
  clientId: z.string().min(1),
  consentType: z.string().nullish(),
  principalId: z.string().nullish(),
  resourceId: z.string().min(1),
  scope: z.string().nullish(),
});
export type OAuth2Grant = z.output<typeof oauth2GrantSchema>;

/** One entitlement per grant: `Microsoft Graph (delegated, all users)`, permissions = the scopes. */
export function oauth2GrantEntitlement(
  rc: RecordContext,
  g: OAuth2Grant,
  resource: SpInfo | undefined,
): Entitlement {
  const scopes = (g.scope ?? '').split(/\s+/).filter((s) => s.length > 0);
  const allUsers = g.consentType === 'AllPrincipals';
  const resourceName = resource?.name ?? g.resourceId;
  const reasons =
    resource?.appId === MICROSOFT_GRAPH_APP_ID
      ? scopes.map(graphPermissionPrivilege).filter((r): r is string => r !== undefined)
      : [];
  const nativeId = `oauth2PermissionGrants/${g.id}`;
  const e: Entitlement = {
    uid: uidOf(rc, nativeId),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId,
    type: 'oauth2-grant',
    name: `${resourceName} (delegated, ${allUsers ? 'all users' : 'one user'})`,
    privileged: reasons.length > 0,
    permissions: scopes,
  };
  if (reasons.length > 0) e.privilegedReason = `delegated ${reasons.join('; ')}`;
  return e;
}

/** The client app holds the grant. */
export function oauth2Grant(rc: RecordContext, g: OAuth2Grant, entitlementUid: string): Grant {
  return { principal: uidOf(rc, g.clientId), entitlement: entitlementUid, path: [] };
}
