/**
 * IAM Identity Center: who reaches this account through SSO, and with which permission set.
 *
 * sso-admin gives the permission sets provisioned to the account and their assignments (users or
 * groups); identitystore gives the users, groups and memberships. Each SSO user becomes a human
 * principal of the account (`sso-user`, email for correlation) granted the permission set and,
 * through it, the policies of the role Identity Center provisioned for it in the account
 * (`AWSReservedSSO_<set>_<hash>`), which the IAM pages already hold. So the SoD engine sees a
 * person's AWS permissions whether they come from an IAM user or from SSO.
 *
 * Identity Center is read with the ambient credentials (the management or delegated-admin
 * account), never the member role. Users and group memberships are the same for every account,
 * so they are cached for the run like the AWS-managed catalogue.
 */
import {
  DescribeGroupCommand,
  DescribeUserCommand,
  type IdentitystoreClient,
  ListGroupMembershipsCommand,
} from '@aws-sdk/client-identitystore';
import {
  DescribePermissionSetCommand,
  ListAccountAssignmentsCommand,
  ListPermissionSetsProvisionedToAccountCommand,
  type SSOAdminClient,
} from '@aws-sdk/client-sso-admin';
import type { AwsSource } from '../../../core/config';
import type { CallLog, Page } from '../../../core/connector';
import { type Entitlement, type Grant, makeUid, type Principal } from '../../../core/model';
import type { RoleDetail } from '../authorization-details';
import { DEFAULT_CACHE_MAX_AGE_MS } from './aws-managed-policy-cache';
import { mustCall } from './recorded-call';

export interface SsoUser {
  id: string;
  userName?: string;
  displayName?: string;
  email?: string;
  disabled?: boolean;
}

export interface SsoGroup {
  id: string;
  name?: string;
  members?: string[];
}

export interface IdentityCenterState {
  stage: 'permission-sets' | 'describe' | 'assignments' | 'groups' | 'members' | 'users' | 'done';
  /** Pages of the list being read; its NextToken lives here and nowhere else. */
  pages: number;
  token?: string;
  index: number;
  permissionSets: Array<{ arn: string; name?: string }>;
  assignments: Array<{ permissionSetArn: string; type: 'USER' | 'GROUP'; id: string }>;
  groups: SsoGroup[];
  users: SsoUser[];
}

export function initialIdentityCenterState(): IdentityCenterState {
  return {
    stage: 'permission-sets',
    pages: 0,
    index: 0,
    permissionSets: [],
    assignments: [],
    groups: [],
    users: [],
  };
}

/** Run-wide identity-store answers, shared by every account of the run (process memory). */
export interface IdentityStoreCache {
  user(store: string, id: string, now: Date): SsoUser | undefined;
  putUser(store: string, user: SsoUser, now: Date): void;
  group(store: string, id: string, now: Date): SsoGroup | undefined;
  putGroup(store: string, group: SsoGroup, now: Date): void;
}

/**
 * Entries expire after `maxAgeMs` (default 6 hours, as the AWS-managed catalogue) so a warm Lambda
 * environment never answers the next scheduled run with yesterday's users or memberships.
 */
export function createMemoryIdentityStoreCache(maxAgeMs = DEFAULT_CACHE_MAX_AGE_MS): IdentityStoreCache {
  const users = new Map<string, { at: number; value: SsoUser }>();
  const groups = new Map<string, { at: number; value: SsoGroup }>();
  const read = <T>(map: Map<string, { at: number; value: T }>, key: string, now: Date): T | undefined => {
    const hit = map.get(key);
    if (!hit) return undefined;
    if (now.getTime() - hit.at > maxAgeMs) {
      map.delete(key);
      return undefined;
    }
    return hit.value;
  };
  return {
    user: (store, id, now) => read(users, `${store}\u0000${id}`, now),
    putUser: (store, u, now) => users.set(`${store}\u0000${u.id}`, { at: now.getTime(), value: u }),
    group: (store, id, now) => read(groups, `${store}\u0000${id}`, now),
    putGroup: (store, g, now) => groups.set(`${store}\u0000${g.id}`, { at: now.getTime(), value: g }),
  };
}

export interface IdentityCenterClients {
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
  cache: IdentityStoreCache;
}

const MAX_RESULTS = 100;

/**
 * One Identity Center call (or none, when the run cache answers). Mutates `st`.
 * @returns true when everything about this account has been read
 */
export async function identityCenterStep(
  calls: CallLog,
  clients: IdentityCenterClients,
  config: NonNullable<AwsSource['identityCenter']>,
  accountId: string,
  st: IdentityCenterState,
  now: Date,
): Promise<boolean> {
  const { instanceArn, identityStoreId: store } = config;
  const token = st.token ? { NextToken: st.token } : {};
  const advanceList = (next: string | undefined) => {
    st.pages += 1;
    if (next) st.token = next;
    else delete st.token;
    return next === undefined;
  };
  switch (st.stage) {
    case 'permission-sets': {
      const op = 'sso:ListPermissionSetsProvisionedToAccount';
      const out = await mustCall(calls, { operation: op, page: st.pages + 1 }, () =>
        clients.ssoAdmin.send(
          new ListPermissionSetsProvisionedToAccountCommand({
            InstanceArn: instanceArn,
            AccountId: accountId,
            MaxResults: MAX_RESULTS,
            ...token,
          }),
        ),
      );
      const sets = out.PermissionSets ?? [];
      calls.record(op, { pages: 1, records: sets.length });
      st.permissionSets.push(...sets.map((arn) => ({ arn })));
      if (!advanceList(out.NextToken)) return false;
      if (st.permissionSets.length === 0) return finish(st);
      next(st, 'describe');
      return false;
    }
    case 'describe': {
      const set = st.permissionSets[st.index];
      if (!set) {
        next(st, 'assignments');
        return false;
      }
      const out = await mustCall(calls, { operation: 'sso:DescribePermissionSet' }, () =>
        clients.ssoAdmin.send(
          new DescribePermissionSetCommand({ InstanceArn: instanceArn, PermissionSetArn: set.arn }),
        ),
      );
      if (out.PermissionSet?.Name) set.name = out.PermissionSet.Name;
      st.index += 1;
      if (st.index >= st.permissionSets.length) next(st, 'assignments');
      return false;
    }
    case 'assignments': {
      const set = st.permissionSets[st.index];
      if (!set) {
        startGroups(st);
        return false;
      }
      const op = 'sso:ListAccountAssignments';
      const out = await mustCall(calls, { operation: op, page: st.pages + 1 }, () =>
        clients.ssoAdmin.send(
          new ListAccountAssignmentsCommand({
            InstanceArn: instanceArn,
            AccountId: accountId,
            PermissionSetArn: set.arn,
            MaxResults: MAX_RESULTS,
            ...token,
          }),
        ),
      );
      const list = out.AccountAssignments ?? [];
      calls.record(op, { pages: 1, records: list.length });
      for (const a of list) {
        if (!a.PrincipalId || (a.PrincipalType !== 'USER' && a.PrincipalType !== 'GROUP')) continue;
        st.assignments.push({ permissionSetArn: set.arn, type: a.PrincipalType, id: a.PrincipalId });
      }
      if (advanceList(out.NextToken)) {
        st.index += 1;
        st.pages = 0;
        if (st.index >= st.permissionSets.length) startGroups(st);
      }
      return false;
    }
    case 'groups': {
      // Answer from the run cache as far as it goes; call for the first miss.
      for (;;) {
        const g = st.groups[st.index];
        if (!g) {
          startUsers(st);
          return st.users.length === 0 ? finish(st) : false;
        }
        const hit = clients.cache.group(store, g.id, now);
        if (!hit?.members) break;
        Object.assign(g, hit);
        calls.record(
          'identitystore:ListGroupMemberships',
          { records: hit.members.length },
          { from: 'run-cache' },
        );
        st.index += 1;
      }
      const g = st.groups[st.index] as SsoGroup;
      const out = await mustCall(calls, { operation: 'identitystore:DescribeGroup' }, () =>
        clients.identityStore.send(new DescribeGroupCommand({ IdentityStoreId: store, GroupId: g.id })),
      );
      if (out.DisplayName) g.name = out.DisplayName;
      g.members = [];
      next(st, 'members', st.index);
      return false;
    }
    case 'members': {
      const g = st.groups[st.index] as SsoGroup;
      const op = 'identitystore:ListGroupMemberships';
      const out = await mustCall(calls, { operation: op, page: st.pages + 1 }, () =>
        clients.identityStore.send(
          new ListGroupMembershipsCommand({
            IdentityStoreId: store,
            GroupId: g.id,
            MaxResults: MAX_RESULTS,
            ...token,
          }),
        ),
      );
      const members = (out.GroupMemberships ?? []).flatMap((m) =>
        m.MemberId && 'UserId' in m.MemberId && m.MemberId.UserId ? [m.MemberId.UserId] : [],
      );
      calls.record(op, { pages: 1, records: members.length });
      g.members = [...(g.members ?? []), ...members];
      if (advanceList(out.NextToken)) {
        clients.cache.putGroup(store, { ...g, members: [...g.members] }, now);
        next(st, 'groups', st.index + 1);
      }
      return false;
    }
    case 'users': {
      for (;;) {
        const u = st.users[st.index];
        if (!u) return finish(st);
        const hit = clients.cache.user(store, u.id, now);
        if (!hit) break;
        Object.assign(u, hit);
        calls.record('identitystore:DescribeUser', { records: 1 }, { from: 'run-cache' });
        st.index += 1;
      }
      const u = st.users[st.index] as SsoUser;
      const out = await mustCall(calls, { operation: 'identitystore:DescribeUser' }, () =>
        clients.identityStore.send(new DescribeUserCommand({ IdentityStoreId: store, UserId: u.id })),
      );
      calls.record('identitystore:DescribeUser', { pages: 1, records: 1 });
      const email = out.Emails?.find((e) => e.Primary)?.Value ?? out.Emails?.[0]?.Value;
      if (out.UserName) u.userName = out.UserName;
      if (out.DisplayName) u.displayName = out.DisplayName;
      if (email) u.email = email;
      if (out.UserStatus === 'DISABLED') u.disabled = true;
      clients.cache.putUser(store, { ...u }, now);
      st.index += 1;
      return st.index >= st.users.length ? finish(st) : false;
    }
    case 'done':
      return true;
  }
}

function next(st: IdentityCenterState, stage: IdentityCenterState['stage'], index = 0): void {
  st.stage = stage;
  st.index = index;
  st.pages = 0;
  delete st.token;
}

function finish(st: IdentityCenterState): true {
  next(st, 'done');
  return true;
}

function startGroups(st: IdentityCenterState): void {
  const seen = new Set<string>();
  for (const a of st.assignments) {
    if (a.type !== 'GROUP' || seen.has(a.id)) continue;
    seen.add(a.id);
    st.groups.push({ id: a.id });
  }
  next(st, 'groups');
}

/** Users in first-appearance order: direct assignments and group members, as assigned. */
function startUsers(st: IdentityCenterState): void {
  const seen = new Set<string>();
  const add = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    st.users.push({ id });
  };
  const groups = new Map(st.groups.map((g) => [g.id, g]));
  for (const a of st.assignments) {
    if (a.type === 'USER') add(a.id);
    else for (const m of groups.get(a.id)?.members ?? []) add(m);
  }
  next(st, 'users');
}

const SSO_ROLE_PATH = '/aws-reserved/sso.amazonaws.com/';

/** The role Identity Center provisioned for a permission set: `AWSReservedSSO_<name>_<hash>`. */
export function provisionedRole(roles: readonly RoleDetail[], setName: string): RoleDetail | undefined {
  return roles.find(
    (r) => (r.Path ?? '').startsWith(SSO_ROLE_PATH) && r.RoleName.startsWith(`AWSReservedSSO_${setName}_`),
  );
}

/**
 * The SSO records for the account: users (humans), the permission sets and groups assigned,
 * and grants user → group, user → permission set (through the group), user → each policy of
 * the provisioned role (through the permission set).
 */
export function identityCenterPage(
  st: IdentityCenterState,
  opts: {
    tenant: string;
    source: AwsSource;
    roles: readonly RoleDetail[];
    warn: (message: string) => void;
  },
): Page {
  const store = opts.source.identityCenter?.identityStoreId ?? '';
  const uid = (nativeId: string) => makeUid('aws', opts.tenant, nativeId);
  const base = { system: 'aws' as const, tenant: opts.tenant, sourceId: opts.source.id };
  const userNative = (id: string) => `identitystore/${store}/user/${id}`;
  const groupNative = (id: string) => `identitystore/${store}/group/${id}`;

  const entitlements: Entitlement[] = [];
  const policiesOf = new Map<string, string[]>();
  for (const set of st.permissionSets) {
    const name = set.name ?? set.arn.slice(set.arn.lastIndexOf('/') + 1);
    entitlements.push({
      uid: uid(set.arn),
      ...base,
      nativeId: set.arn,
      type: 'permission-set',
      name,
      // Like an IAM group: the power is in the policies, which carry `privileged`.
      privileged: false,
      permissions: [],
    });
    const role = provisionedRole(opts.roles, name);
    if (!role) {
      opts.warn(
        `permission set ${name} is provisioned to account ${opts.tenant} but its role AWSReservedSSO_${name}_* is not in IAM: its policies are unknown`,
      );
      policiesOf.set(set.arn, []);
      continue;
    }
    policiesOf.set(set.arn, [
      ...role.RolePolicyList.map((p) => uid(`${role.Arn}#inline/${p.PolicyName}`)),
      ...role.AttachedManagedPolicies.map((a) => uid(a.PolicyArn)),
    ]);
  }
  const groups = new Map(st.groups.map((g) => [g.id, g]));
  for (const g of st.groups) {
    entitlements.push({
      uid: uid(groupNative(g.id)),
      ...base,
      nativeId: groupNative(g.id),
      type: 'sso-group',
      name: g.name ?? g.id,
      privileged: false,
      permissions: [],
    });
  }

  const principals: Principal[] = st.users.map((u) => {
    const nativeId = userNative(u.id);
    const configured = opts.source.kinds[nativeId] ?? opts.source.kinds[uid(nativeId)];
    const p: Principal = {
      uid: uid(nativeId),
      ...base,
      nativeId,
      name: u.userName ?? u.id,
      kind: configured ?? 'human',
      type: 'sso-user',
      status: u.disabled ? 'disabled' : 'active',
      owners: [],
      credentials: [],
      tags: {},
    };
    if (u.email) p.email = u.email;
    p.kindReason = configured ? 'config:kinds' : 'identity-center:user';
    return p;
  });

  const grants: Grant[] = [];
  const seen = new Set<string>();
  const grant = (principal: string, entitlement: string, path: string[]) => {
    const key = `${principal}\u0000${entitlement}\u0000${path.join('\u0000')}`;
    if (seen.has(key)) return;
    seen.add(key);
    grants.push({ principal, entitlement, path });
  };
  for (const a of st.assignments) {
    const set = uid(a.permissionSetArn);
    const policies = policiesOf.get(a.permissionSetArn) ?? [];
    const members = a.type === 'USER' ? [a.id] : (groups.get(a.id)?.members ?? []);
    const via = a.type === 'GROUP' ? [uid(groupNative(a.id))] : [];
    for (const m of members) {
      const user = uid(userNative(m));
      if (a.type === 'GROUP') grant(user, via[0] as string, []);
      grant(user, set, via);
      for (const pol of policies) grant(user, pol, [...via, set]);
    }
  }
  return { principals, entitlements, grants };
}
