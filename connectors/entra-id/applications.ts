/**
 * App registrations (`GET /v1.0/applications`): their credentials, creation time and owners. A
 * registration with a service principal in the tenant is folded into that principal; one without
 * is a principal of its own (`type: application`).
 */
import * as z from 'zod';
import type { Principal } from '../../core/model';
import { type CredInfo, credentialFields, credInfos, toCredential } from './app-credentials';
import { graphTime, type RecordContext, uidOf, withKindOverride } from './record-context';
import { ACTIVITY_TAG } from './users';

export const APPLICATION_SELECT = [
  'id',
  'appId',
  'displayName',
  'createdDateTime',
  'passwordCredentials',
  'keyCredentials',
] as const;
export const APPLICATION_PAGE = 999;

export const applicationSchema = z.object({
  id: z.string().min(1),
  appId: z.string().min(1),
  displayName: z.string().nullish(),
  createdDateTime: graphTime,
  ...credentialFields,
});

/** What state keeps of an application between pages. */
export interface AppInfo {
  id: string;
  appId: string;
  name: string;
  createdAt?: string;
  creds: CredInfo[];
}

export function appInfo(a: z.output<typeof applicationSchema>): AppInfo {
  const info: AppInfo = {
    id: a.id,
    appId: a.appId,
    name: a.displayName ?? a.appId,
    creds: credInfos(a, 'application'),
  };
  if (a.createdDateTime) info.createdAt = a.createdDateTime;
  return info;
}

/**
 * A registration with no service principal here cannot sign in to this tenant, so this tenant's
 * sign-in reports say nothing about it: its activity is unknown, never "never used".
 */
export function applicationPrincipal(
  rc: RecordContext,
  app: AppInfo,
  owners: string[],
  credLastUsed: Record<string, string>,
): Principal {
  const p: Principal = {
    uid: uidOf(rc, app.id),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId: app.id,
    name: app.name,
    kind: 'nonhuman',
    kindReason: 'entra:application',
    type: 'application',
    status: 'active',
    owners,
    credentials: app.creds.map((c) => toCredential(c, credLastUsed[c.id])),
    tags: { 'entra:appId': app.appId, [ACTIVITY_TAG]: 'unknown' },
  };
  if (app.createdAt) p.createdAt = app.createdAt;
  return withKindOverride(rc, p);
}
