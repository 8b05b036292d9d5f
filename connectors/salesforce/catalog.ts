/**
 * What the connector remembers between steps (it lives in the driver's checkpoint, so it is plain
 * JSON and holds no upstream token or secret): the permission-set catalogue read first, and the
 * per-user facts (API-only permission sets, OAuth token use) that users are classified with.
 */
import type {
  OauthTokenRecord,
  ObjectPermissionRecord,
  PermissionSetGroupComponentRecord,
  PermissionSetGroupRecord,
  PermissionSetRecord,
} from './records';
import { OBJECT_ACTIONS, permissionField, SYSTEM_PERMISSIONS } from './system-permissions';

export interface PermissionSetInfo {
  /** Label (what admins see), else the API name. */
  name: string;
  /** `profile`: the profile's own permission set; `group`: a group's aggregate; else a permission set. */
  owner: 'profile' | 'group' | 'permission-set';
  profileId?: string;
  profileName?: string;
  groupId?: string;
  /** System permissions held, without the `Permissions` prefix. */
  system: string[];
}

export interface Catalog {
  permissionSets: Record<string, PermissionSetInfo>;
  /** Permission set id → `Object:Action` strings. */
  objectPermissions: Record<string, string[]>;
  groups: Record<string, { name: string }>;
  /** Permission set group id → component permission set ids. */
  groupComponents: Record<string, string[]>;
}

export interface OauthAppUse {
  tokens: number;
  createdAt?: string;
  lastUsedAt?: string;
  uses?: number;
}

export interface UserFacts {
  /** User id → name of the permission set (or group) that gives PermissionsApiUserOnly. */
  apiOnlyVia: Record<string, string>;
  /** User id → connected app name → token use. */
  oauth: Record<string, Record<string, OauthAppUse>>;
}

export function emptyCatalog(): Catalog {
  return { permissionSets: {}, objectPermissions: {}, groups: {}, groupComponents: {} };
}

export function emptyFacts(): UserFacts {
  return { apiOnlyVia: {}, oauth: {} };
}

export function addPermissionSets(catalog: Catalog, records: readonly PermissionSetRecord[]): void {
  for (const r of records) {
    const rec = r as Record<string, unknown>;
    const system = SYSTEM_PERMISSIONS.filter((p) => rec[permissionField(p)] === true);
    const owner = r.IsOwnedByProfile ? 'profile' : r.PermissionSetGroupId ? 'group' : 'permission-set';
    catalog.permissionSets[r.Id] = {
      name: r.Label ?? r.Name,
      owner,
      ...(r.ProfileId ? { profileId: r.ProfileId } : {}),
      ...(r.Profile?.Name ? { profileName: r.Profile.Name } : {}),
      ...(r.PermissionSetGroupId ? { groupId: r.PermissionSetGroupId } : {}),
      system,
    };
  }
}

/** `objects` empty: keep every object the answer holds (files mode exports define their own scope). */
export function addObjectPermissions(
  catalog: Catalog,
  records: readonly ObjectPermissionRecord[],
  objects: readonly string[],
): void {
  const wanted = new Set(objects);
  for (const r of records) {
    if (wanted.size > 0 && !wanted.has(r.SobjectType)) continue;
    const rec = r as Record<string, unknown>;
    const list = catalog.objectPermissions[r.ParentId] ?? [];
    for (const [field, action] of OBJECT_ACTIONS) {
      const perm = `${r.SobjectType}:${action}`;
      if (rec[field] === true && !list.includes(perm)) list.push(perm);
    }
    catalog.objectPermissions[r.ParentId] = list;
  }
}

export function addGroups(catalog: Catalog, records: readonly PermissionSetGroupRecord[]): void {
  for (const r of records) catalog.groups[r.Id] = { name: r.MasterLabel ?? r.DeveloperName };
}

export function addGroupComponents(
  catalog: Catalog,
  records: readonly PermissionSetGroupComponentRecord[],
): void {
  for (const r of records) {
    const list = catalog.groupComponents[r.PermissionSetGroupId] ?? [];
    if (!list.includes(r.PermissionSetId)) list.push(r.PermissionSetId);
    catalog.groupComponents[r.PermissionSetGroupId] = list;
  }
}

/** Token use per user and connected app: the latest use is the integration user's activity signal. */
export function addOauthTokens(facts: UserFacts, records: readonly OauthTokenRecord[]): void {
  for (const r of records) {
    const app = r.AppName ?? 'unnamed connected app';
    const byApp = facts.oauth[r.UserId] ?? {};
    const use = byApp[app] ?? { tokens: 0 };
    use.tokens += 1;
    if (r.CreatedDate && (!use.createdAt || r.CreatedDate < use.createdAt)) use.createdAt = r.CreatedDate;
    if (r.LastUsedDate && (!use.lastUsedAt || r.LastUsedDate > use.lastUsedAt))
      use.lastUsedAt = r.LastUsedDate;
    if (r.UseCount !== undefined && !Number.isNaN(r.UseCount)) use.uses = (use.uses ?? 0) + r.UseCount;
    byApp[app] = use;
    facts.oauth[r.UserId] = byApp;
  }
}

/** The permission sets a group bundles that AccessProof knows (muting permission sets are not read). */
export function componentsOf(catalog: Catalog, groupId: string): string[] {
  return (catalog.groupComponents[groupId] ?? []).filter(
    (id) => catalog.permissionSets[id]?.owner === 'permission-set',
  );
}

/** System and object permissions of one permission set, sorted. */
export function permissionsOf(catalog: Catalog, permissionSetId: string): string[] {
  const ps = catalog.permissionSets[permissionSetId];
  return [...(ps?.system ?? []), ...(catalog.objectPermissions[permissionSetId] ?? [])].sort();
}
