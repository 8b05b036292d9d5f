/**
 * Users and guests (`GET /v1.0/users`) → human principals with their last sign-in.
 */
import * as z from 'zod';
import type { Activity, Principal } from '../../core/model';
import { graphTime, type RecordContext, uidOf, withKindOverride } from './record-context';

export const USER_SELECT = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'employeeId',
  'userType',
  'accountEnabled',
  'createdDateTime',
] as const;
export const USER_SELECT_WITH_SIGN_IN = [...USER_SELECT, 'signInActivity'] as const;
/** Graph's page-size limits: 999, but 500 when `signInActivity` is selected. */
export const USER_PAGE = 999;
export const USER_PAGE_WITH_SIGN_IN = 500;

const signInActivity = z.object({
  lastSignInDateTime: graphTime,
  lastNonInteractiveSignInDateTime: graphTime,
  lastSuccessfulSignInDateTime: graphTime,
});

export const userSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  userPrincipalName: z.string().nullish(),
  mail: z.string().nullish(),
  employeeId: z.string().nullish(),
  userType: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  createdDateTime: graphTime,
  signInActivity: signInActivity.nullish(),
});
export type GraphUser = z.output<typeof userSchema>;

/** The tag the rules read: activity could not be known, so the principal is never dormant or never-used. */
export const ACTIVITY_TAG = 'accessproof:activity';

/**
 * Last activity from `signInActivity.lastSuccessfulSignInDateTime` only (interactive or
 * non-interactive). `lastSignInDateTime` and `lastNonInteractiveSignInDateTime` count failed
 * attempts too: a dormant account under password spray would look active. When the tenant gives
 * no successful sign-in time (older sign-ins predate the field), the activity is unknown.
 *
 * @returns the activity; `'unknown'` when sign-in data exists but says nothing about success;
 *   undefined when the user has no sign-in data at all (never signed in).
 */
export function userActivity(sa: GraphUser['signInActivity']): Activity | 'unknown' | undefined {
  if (!sa) return undefined;
  if (sa.lastSuccessfulSignInDateTime) {
    return { at: sa.lastSuccessfulSignInDateTime, source: 'signInActivity.lastSuccessfulSignInDateTime' };
  }
  return sa.lastSignInDateTime || sa.lastNonInteractiveSignInDateTime ? 'unknown' : undefined;
}

/**
 * @param signInKnown false when the tenant gave no sign-in data (no licence, or not exported):
 *   the principal then carries no `lastActivity` and the tag `accessproof:activity: unknown`.
 */
export function userPrincipal(rc: RecordContext, u: GraphUser, signInKnown: boolean): Principal {
  const guest = u.userType?.toLowerCase() === 'guest';
  const upn = u.userPrincipalName ?? undefined;
  // A guest's UPN is `name_domain#EXT#@tenant…`: not an address, so only `mail` is their email.
  const email = u.mail ?? (guest || !upn || upn.includes('#EXT#') ? undefined : upn);
  const tags: Record<string, string> = { 'entra:userType': u.userType ?? 'Member' };
  if (upn) tags['entra:userPrincipalName'] = upn;
  const p: Principal = {
    uid: uidOf(rc, u.id),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId: u.id,
    name: u.displayName ?? upn ?? u.id,
    kind: 'human',
    kindReason: guest ? 'entra:user (guest)' : 'entra:user',
    type: guest ? 'guest' : 'user',
    status: u.accountEnabled === false ? 'disabled' : 'active',
    owners: [],
    credentials: [],
    tags,
  };
  if (email) p.email = email;
  if (u.employeeId) p.employeeId = u.employeeId;
  if (u.createdDateTime) p.createdAt = u.createdDateTime;
  if (signInKnown) {
    const activity = userActivity(u.signInActivity);
    if (activity === 'unknown') tags[ACTIVITY_TAG] = 'unknown';
    else if (activity) p.lastActivity = activity;
  } else {
    tags[ACTIVITY_TAG] = 'unknown';
  }
  return withKindOverride(rc, p);
}
