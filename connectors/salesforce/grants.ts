/**
 * PermissionSetAssignment rows as grants. An inactive or expired assignment grants nothing. A
 * group assignment grants the group, and each of its component permission sets with the group
 * as `path`, so an SoD finding can say "Credit Limit Editor, through Billing Operations".
 */
import { type Grant, makeUid } from '../../core/model';
import { type Catalog, componentsOf, type UserFacts } from './catalog';
import type { PermissionSetAssignmentRecord } from './records';

export type SkipReason = 'inactive' | 'expired' | 'profile' | 'unknown-permission-set';

export interface AssignmentOutcome {
  grants: Grant[];
  skipped?: SkipReason;
}

export function grantsForAssignment(
  a: PermissionSetAssignmentRecord,
  catalog: Catalog,
  facts: UserFacts,
  tenant: string,
  now: Date,
): AssignmentOutcome {
  if (!a.IsActive) return { grants: [], skipped: 'inactive' };
  if (a.ExpirationDate && Date.parse(a.ExpirationDate) <= now.getTime())
    return { grants: [], skipped: 'expired' };

  const uid = (id: string) => makeUid('salesforce', tenant, id);
  const principal = uid(a.AssigneeId);
  const timing = {
    ...(a.SystemModstamp ? { grantedAt: a.SystemModstamp } : {}),
    ...(a.ExpirationDate ? { expiresAt: a.ExpirationDate } : {}),
  };
  const ps = catalog.permissionSets[a.PermissionSetId];
  const groupId = a.PermissionSetGroupId ?? (ps?.owner === 'group' ? ps.groupId : undefined);

  if (groupId) {
    const groupUid = uid(groupId);
    const grants: Grant[] = [{ principal, entitlement: groupUid, path: [], ...timing }];
    for (const componentId of componentsOf(catalog, groupId)) {
      grants.push({ principal, entitlement: uid(componentId), path: [groupUid], ...timing });
      if (catalog.permissionSets[componentId]?.system.includes('ApiUserOnly')) {
        facts.apiOnlyVia[a.AssigneeId] ??= catalog.groups[groupId]?.name ?? groupId;
      }
    }
    return { grants };
  }
  // Exports may include the profile's own assignment; the profile grant comes from User.ProfileId.
  if (ps?.owner === 'profile') return { grants: [], skipped: 'profile' };
  if (!ps) return { grants: [], skipped: 'unknown-permission-set' };
  if (ps.system.includes('ApiUserOnly')) facts.apiOnlyVia[a.AssigneeId] ??= ps.name;
  return { grants: [{ principal, entitlement: uid(a.PermissionSetId), path: [], ...timing }] };
}
