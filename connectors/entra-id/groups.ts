/**
 * Groups that config names or that carry roles: the group as an entitlement, its members from
 * `transitiveMembers`, and the path through nested groups from the nested groups' direct `members`.
 */
import * as z from 'zod';
import type { Entitlement } from '../../core/model';
import { type RecordContext, uidOf } from './record-context';

export const GROUP_SELECT = ['id', 'displayName', 'isAssignableToRole', 'securityEnabled'] as const;
export const MEMBER_SELECT = ['id'] as const;
export const GROUP_PAGE = 999;

export const groupSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  isAssignableToRole: z.boolean().nullish(),
});

/** What state keeps of a group to expand. */
export interface GroupInfo {
  name: string;
  /** Why it is expanded: `config`, `app role NetSuite ERP:AP Clerk`, `directory role …`. */
  reasons: string[];
  privilegedReason?: string;
}

export function groupEntitlement(rc: RecordContext, id: string, g: GroupInfo): Entitlement {
  const e: Entitlement = {
    uid: uidOf(rc, id),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId: id,
    type: 'group',
    name: g.name,
    privileged: g.privilegedReason !== undefined,
    permissions: [],
  };
  if (g.privilegedReason) e.privilegedReason = g.privilegedReason;
  return e;
}

/**
 * For each principal in a group's closure, the nested groups it is a member through (outermost
 * first; empty when direct), by breadth-first search over direct memberships. A principal the
 * search cannot reach (membership changed between the two reads) counts as direct.
 */
export function membershipPaths(
  group: string,
  principals: readonly string[],
  nested: readonly string[],
  direct: Readonly<Record<string, readonly string[]>>,
): Map<string, string[]> {
  const paths = new Map<string, string[]>();
  if (nested.length === 0) {
    for (const p of principals) paths.set(p, []);
    return paths;
  }
  const via = new Map<string, string[]>([[group, []]]);
  const queue = [group];
  while (queue.length > 0) {
    const g = queue.shift()!;
    const through = via.get(g)!;
    for (const m of direct[g] ?? []) {
      if (via.has(m) || paths.has(m)) continue;
      if (direct[m] !== undefined || nested.includes(m)) {
        via.set(m, [...through, m]);
        queue.push(m);
      } else {
        paths.set(m, through);
      }
    }
  }
  for (const p of principals) if (!paths.has(p)) paths.set(p, []);
  return paths;
}
