/**
 * Profiles, permission sets and permission set groups as normalized entitlements (core/model.ts).
 * A profile's permissions are those of the permission set it owns (`IsOwnedByProfile`); a group's
 * are the union of its component permission sets (muting permission sets are not subtracted, so
 * a group may show more than it grants: the conservative reading for SoD).
 */
import { type Entitlement, makeUid } from '../../core/model';
import { type Catalog, componentsOf, permissionsOf } from './catalog';
import { isPrivilegedSystemPermission } from './system-permissions';

export function buildEntitlements(catalog: Catalog, tenant: string, sourceId: string): Entitlement[] {
  const out: Entitlement[] = [];
  const base = (nativeId: string) => ({
    uid: makeUid('salesforce', tenant, nativeId),
    system: 'salesforce' as const,
    tenant,
    sourceId,
    nativeId,
  });

  for (const [psId, ps] of Object.entries(catalog.permissionSets)) {
    if (ps.owner === 'group') continue; // the group's aggregate: represented by the group itself
    const permissions = permissionsOf(catalog, psId);
    const privileged = permissions.filter(isPrivilegedSystemPermission);
    const isProfile = ps.owner === 'profile' && ps.profileId !== undefined;
    out.push({
      ...base(isProfile ? (ps.profileId as string) : psId),
      type: isProfile ? 'profile' : 'permission-set',
      name: isProfile ? (ps.profileName ?? ps.name) : ps.name,
      privileged: privileged.length > 0,
      permissions,
      ...(privileged.length > 0 ? { privilegedReason: `system permissions: ${privileged.join(', ')}` } : {}),
    });
  }

  for (const [groupId, group] of Object.entries(catalog.groups)) {
    const permissions = new Set<string>();
    const reasons: string[] = [];
    for (const psId of componentsOf(catalog, groupId)) {
      const perms = permissionsOf(catalog, psId);
      for (const p of perms) permissions.add(p);
      const privileged = perms.filter(isPrivilegedSystemPermission);
      if (privileged.length > 0) {
        reasons.push(`${privileged.join(', ')} via ${catalog.permissionSets[psId]?.name ?? psId}`);
      }
    }
    out.push({
      ...base(groupId),
      type: 'permission-set-group',
      name: group.name,
      privileged: reasons.length > 0,
      permissions: [...permissions].sort(),
      ...(reasons.length > 0 ? { privilegedReason: `system permissions: ${reasons.join('; ')}` } : {}),
    });
  }
  return out;
}
