/**
 * App role assignments: `appRoleAssignments` of each service principal (the permissions an app
 * holds, Microsoft Graph application permissions among them) and `appRoleAssignedTo` of the
 * financially significant apps (who may use them, in which role).
 */
import * as z from 'zod';
import type { Entitlement, Grant } from '../../core/model';
import { appRolePrivilege, graphPermissionPrivilege } from './privileged';
import { graphTime, type RecordContext, uidOf } from './record-context';
import { MICROSOFT_GRAPH_APP_ID, type SpInfo } from './service-principals';

/** The role of an assignment that gives access without a specific role. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

export const appRoleAssignmentSchema = z.object({
  id: z.string().min(1),
  appRoleId: z.string().min(1),
  principalId: z.string().min(1),
  principalType: z.string().nullish(),
  principalDisplayName: z.string().nullish(),
  resourceId: z.string().min(1),
  resourceDisplayName: z.string().nullish(),
  createdDateTime: graphTime,
});
export type AppRoleAssignment = z.output<typeof appRoleAssignmentSchema>;

/**
 * The entitlement for one app role: `<App display name>:<role>`, e.g. `NetSuite ERP:AP Clerk` or
 * `Microsoft Graph:Directory.ReadWrite.All`. Microsoft's APIs are known by their permission values
 * (`Directory.ReadWrite.All`), business apps by the role's display name (values cannot hold spaces,
 * so `AP Clerk` is a display name); each falls back to the other. `permissions` holds the value.
 */
export function appRoleEntitlement(
  rc: RecordContext,
  resourceId: string,
  resource: SpInfo | undefined,
  resourceDisplayName: string | undefined,
  appRoleId: string,
): Entitlement {
  const appName = resource?.name ?? resourceDisplayName ?? resourceId;
  const def = resource?.appRoles[appRoleId];
  const byValue = resource?.publisher === 'microsoft';
  const role =
    (byValue ? (def?.value ?? def?.displayName) : (def?.displayName ?? def?.value)) ??
    (appRoleId === DEFAULT_ACCESS_ROLE_ID ? 'Default Access' : appRoleId);
  const reason =
    resource?.appId === MICROSOFT_GRAPH_APP_ID
      ? graphPermissionPrivilege(role)
      : appRolePrivilege(appName, role);
  const e: Entitlement = {
    uid: uidOf(rc, appRoleNativeId(resourceId, appRoleId)),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId: appRoleNativeId(resourceId, appRoleId),
    type: 'app-role',
    name: `${appName}:${role}`,
    privileged: reason !== undefined,
    permissions: [def?.value ?? role],
  };
  if (reason) e.privilegedReason = reason;
  return e;
}

export function appRoleNativeId(resourceId: string, appRoleId: string): string {
  return `servicePrincipals/${resourceId}/appRoles/${appRoleId}`;
}

export function assignmentGrant(
  principalUid: string,
  entitlementUid: string,
  a: AppRoleAssignment,
  path: string[] = [],
): Grant {
  const g: Grant = { principal: principalUid, entitlement: entitlementUid, path };
  if (a.createdDateTime) g.grantedAt = a.createdDateTime;
  return g;
}
