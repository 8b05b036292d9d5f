/**
 * Salesforce users as principals, and the documented heuristics that tell integration and API-only
 * users from people. Names are never used: only licence, user type and permissions, which an admin
 * cannot set by accident. Every heuristic that matched is recorded in `kindReason`.
 */
import type { Activity, Credential, Principal, PrincipalKind } from '../../core/model';
import { makeUid } from '../../core/model';
import type { Catalog, UserFacts } from './catalog';
import type { UserRecord } from './records';

/** `UserType` values Salesforce gives to non-person users that run automation or integrations. */
export const INTEGRATION_USER_TYPES = ['AutomatedProcess', 'CloudIntegrationUser'] as const;
/** The user licence of integration users (API-only, no UI login). */
export const INTEGRATION_LICENCE = 'Salesforce Integration';

export interface Classification {
  kind: PrincipalKind;
  type: string;
  reasons: string[];
}

/**
 * Heuristics, all evaluated (their names go to `kindReason`):
 * 1. `UserType:<t>` — `AutomatedProcess` or `CloudIntegrationUser` → `integration-user`.
 * 2. `licence:Salesforce Integration` — the profile's user licence → `integration-user`.
 * 3. `profile:PermissionsApiUserOnly` — the profile (e.g. "Minimum Access - API Only Integrations") is API-only → `api-only-user`.
 * 4. `permission-set:PermissionsApiUserOnly` — an active assignment gives API Only User → `api-only-user`.
 * 5. `UserType:Guest` — a site guest user → `site-guest-user`.
 * Otherwise `user`, human (`default:standard-user`).
 */
export function classifyUser(user: UserRecord, catalog: Catalog, facts: UserFacts): Classification {
  const reasons: string[] = [];
  let type: string | undefined;
  const userType = user.UserType;
  if (userType && (INTEGRATION_USER_TYPES as readonly string[]).includes(userType)) {
    reasons.push(`UserType:${userType}`);
    type = 'integration-user';
  }
  if (user.Profile?.UserLicense?.Name === INTEGRATION_LICENCE) {
    reasons.push(`licence:${INTEGRATION_LICENCE}`);
    type ??= 'integration-user';
  }
  if (user.ProfileId && profileIsApiOnly(catalog, user.ProfileId)) {
    reasons.push(`profile:PermissionsApiUserOnly (${user.Profile?.Name ?? user.ProfileId})`);
    type ??= 'api-only-user';
  }
  const via = facts.apiOnlyVia[user.Id];
  if (via !== undefined) {
    reasons.push(`permission-set:PermissionsApiUserOnly (${via})`);
    type ??= 'api-only-user';
  }
  if (type) return { kind: 'nonhuman', type, reasons };
  if (userType === 'Guest') return { kind: 'nonhuman', type: 'site-guest-user', reasons: ['UserType:Guest'] };
  return { kind: 'human', type: 'user', reasons: ['default:standard-user'] };
}

function profileIsApiOnly(catalog: Catalog, profileId: string): boolean {
  for (const ps of Object.values(catalog.permissionSets)) {
    if (ps.owner === 'profile' && ps.profileId === profileId && ps.system.includes('ApiUserOnly'))
      return true;
  }
  return false;
}

/**
 * @param overrides config `kinds`, by native id or uid: wins over every heuristic.
 */
export function toPrincipal(
  user: UserRecord,
  tenant: string,
  sourceId: string,
  catalog: Catalog,
  facts: UserFacts,
  overrides: Record<string, PrincipalKind>,
): Principal {
  const uid = makeUid('salesforce', tenant, user.Id);
  const c = classifyUser(user, catalog, facts);
  const override = overrides[user.Id] ?? overrides[uid];
  const kind = override ?? c.kind;
  const credentials = oauthCredentials(facts.oauth[user.Id]);
  const tags: Record<string, string> = {};
  if (user.Name) tags.displayName = user.Name;
  if (user.UserType) tags.userType = user.UserType;
  if (user.Profile?.Name) tags.profile = user.Profile.Name;
  if (user.Profile?.UserLicense?.Name) tags.licence = user.Profile.UserLicense.Name;
  if (user.FederationIdentifier) tags.federationIdentifier = user.FederationIdentifier;
  // An integration user's Email is usually the admin who created it: keeping it out of `email` stops
  // correlation from merging the NHI into that person; it stays visible as a tag.
  if (kind === 'nonhuman' && user.Email) tags.email = user.Email;

  const activity = lastActivity(user, credentials, kind);
  return {
    uid,
    system: 'salesforce',
    tenant,
    sourceId,
    nativeId: user.Id,
    name: user.Username,
    kind,
    type: c.type,
    status: user.IsActive ? 'active' : 'disabled',
    ...(kind === 'human' && user.Email ? { email: user.Email } : {}),
    ...(user.EmployeeNumber ? { employeeId: user.EmployeeNumber } : {}),
    owners: kind === 'nonhuman' && user.ManagerId ? [makeUid('salesforce', tenant, user.ManagerId)] : [],
    ...(user.CreatedDate ? { createdAt: user.CreatedDate } : {}),
    ...(activity ? { lastActivity: activity } : {}),
    credentials,
    tags,
    kindReason: override ? `config:kinds (heuristics: ${c.reasons.join('; ')})` : c.reasons.join('; '),
  };
}

/** People: LastLoginDate. Integration users seldom log in: their latest OAuth token use counts too. */
function lastActivity(
  user: UserRecord,
  credentials: Credential[],
  kind: PrincipalKind,
): Activity | undefined {
  let best: Activity | undefined = user.LastLoginDate
    ? { at: user.LastLoginDate, source: 'LastLoginDate' }
    : undefined;
  if (kind === 'nonhuman') {
    for (const c of credentials) {
      if (c.lastUsedAt && (!best || c.lastUsedAt > best.at)) {
        best = { at: c.lastUsedAt, source: 'OauthToken.LastUsedDate' };
      }
    }
  }
  return best;
}

/** One credential per connected app the user holds tokens for: the app name, never a token. */
function oauthCredentials(byApp: UserFacts['oauth'][string] | undefined): Credential[] {
  if (!byApp) return [];
  return Object.entries(byApp)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([app, use]) => ({
      id: `oauth-app:${app}`,
      type: 'oauth-token' as const,
      name: app,
      ...(use.createdAt ? { createdAt: use.createdAt } : {}),
      ...(use.lastUsedAt ? { lastUsedAt: use.lastUsedAt } : {}),
      active: true,
    }));
}
