/**
 * The collection phases, in `PHASES` order. Each call does about one request, one page or one
 * `$batch`, and updates the state it is given; the step returns that state to the driver.
 */
import type { Page } from '../../core/connector';
import { compileGlob } from '../../core/glob';
import type { Grant, Principal } from '../../core/model';
import { MFA_SOURCE_TAG, MFA_TAG } from '../../core/rules/context';
import { appRoleAssignmentSchema, appRoleEntitlement, assignmentGrant } from './app-role-assignments';
import {
  APPLICATION_PAGE,
  APPLICATION_SELECT,
  appInfo,
  applicationPrincipal,
  applicationSchema,
} from './applications';
import {
  DELETED_USER_SELECT,
  DELETED_USERS_FILE,
  DELETED_USERS_PATH,
  deletedUserPrincipal,
  deletedUserSchema,
} from './deleted-users';
import {
  directoryRoleEntitlement,
  ROLE_DEFINITION_SELECT,
  roleAssignmentSchema,
  roleDef,
  roleDefinitionSchema,
} from './directory-roles';
import {
  GROUP_PAGE,
  GROUP_SELECT,
  groupEntitlement,
  groupSchema,
  MEMBER_SELECT,
  membershipPaths,
} from './groups';
import { MFA_REPORT_FILE, MFA_REPORT_PATH, mfaOffText, registrationSchema } from './mfa-registration';
import { oauth2Grant, oauth2GrantEntitlement, oauth2GrantSchema } from './oauth2-grants';
import { directoryObjectSchema, OWNER_SELECT, objectKind, ownerRef } from './owners';
import { parseItem, uidOf } from './record-context';
import {
  SERVICE_PRINCIPAL_PAGE,
  SERVICE_PRINCIPAL_SELECT,
  servicePrincipalPrincipal,
  servicePrincipalSchema,
  spInfo,
} from './service-principals';
import { credSignInSchema, spActivity, spSignInSchema } from './sign-in-activity';
import type { EntraState, Phase } from './state';
import {
  addGroup,
  advance,
  batchStep,
  emitOnce,
  emptyPage,
  type Io,
  itemSource,
  readOptional,
  readPage,
  signInUnavailable,
  uniqSorted,
} from './steps';
import { fileSegment, GraphCallError, idSegment, type ListRequest } from './transport';
import {
  USER_PAGE,
  USER_PAGE_WITH_SIGN_IN,
  USER_SELECT,
  USER_SELECT_WITH_SIGN_IN,
  userPrincipal,
  userSchema,
} from './users';

async function mfaRegistration(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: MFA_REPORT_PATH,
    operationPath: MFA_REPORT_PATH,
    file: MFA_REPORT_FILE,
    throttled: true,
  };
  const items = await readSignInPage(io, state, request, {
    report: 'MFA registration (userRegistrationDetails)',
    unknown: 'whether users registered MFA is unknown: USER-PRIVILEGED-NO-MFA is not judged for Entra users',
  });
  if (!items) return {};
  const src = itemSource(io, state, request);
  state.mfaOff ??= {}; // a checkpoint written before this phase existed has none
  const off = state.mfaOff;
  items.forEach((raw, i) => {
    const r = parseItem(registrationSchema, raw, src, i);
    const text = mfaOffText(r);
    if (text) off[r.id] = text;
  });
  if (state.next === null) advance(io, state);
  return {};
}

async function users(io: Io, state: EntraState): Promise<Page> {
  const withSignIn = state.userSignIn === 'selected';
  const request: ListRequest = {
    version: 'v1.0',
    path: '/users',
    operationPath: '/users',
    select: withSignIn ? USER_SELECT_WITH_SIGN_IN : USER_SELECT,
    top: withSignIn ? USER_PAGE_WITH_SIGN_IN : USER_PAGE,
    file: 'users.json',
  };
  let items: unknown[];
  try {
    items = await readPage(io, state, request);
  } catch (err) {
    const denied = io.transport.mode === 'api' && withSignIn ? signInUnavailable(io, state, err) : undefined;
    if (!denied) throw err;
    // Read the users again without signInActivity: inventory matters more than activity.
    state.userSignIn = 'unavailable';
    io.ctx.warn(
      `Entra sign-in activity is not available (403 ${denied.code}): users' last activity is unknown and never counts as dormant`,
    );
    return {};
  }
  const src = itemSource(io, state, request);
  const principals = items.map((raw, i) => {
    const p = userPrincipal(io.rc, parseItem(userSchema, raw, src, i), withSignIn);
    const mfaOff = state.mfaOff?.[p.nativeId];
    if (mfaOff) p.tags = { ...p.tags, [MFA_TAG]: 'false', [MFA_SOURCE_TAG]: mfaOff };
    return p;
  });
  if (state.next === null) {
    state.mfaOff = {}; // every user is emitted: keep the checkpoint small
    advance(io, state);
  }
  return { principals };
}

async function deletedUsers(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: DELETED_USERS_PATH,
    operationPath: DELETED_USERS_PATH,
    select: DELETED_USER_SELECT,
    top: USER_PAGE,
    file: DELETED_USERS_FILE,
  };
  const items = await readSignInPage(io, state, request, {
    report: 'deleted users (directory/deletedItems)',
    unknown:
      'users deleted in the last 30 days are not known (without an HR source they are not seen as leavers)',
  });
  if (!items) return {};
  const src = itemSource(io, state, request);
  const principals = items.map((raw, i) =>
    deletedUserPrincipal(io.rc, parseItem(deletedUserSchema, raw, src, i)),
  );
  if (state.next === null) advance(io, state);
  return { principals };
}

async function applications(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: '/applications',
    operationPath: '/applications',
    select: APPLICATION_SELECT,
    top: APPLICATION_PAGE,
    file: 'applications.json',
  };
  const items = await readOptional(io, state, request, "app registrations' credentials and owners");
  const src = itemSource(io, state, request);
  (items ?? []).forEach((raw, i) => {
    const app = appInfo(parseItem(applicationSchema, raw, src, i));
    state.apps[app.appId] = app;
  });
  if (state.next === null) advance(io, state);
  return {};
}

async function servicePrincipals(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: '/servicePrincipals',
    operationPath: '/servicePrincipals',
    select: SERVICE_PRINCIPAL_SELECT,
    top: SERVICE_PRINCIPAL_PAGE,
    file: 'servicePrincipals.json',
  };
  const items = await readPage(io, state, request);
  const src = itemSource(io, state, request);
  items.forEach((raw, i) => {
    const sp = spInfo(io.rc.tenant, parseItem(servicePrincipalSchema, raw, src, i));
    state.sps[sp.id] = sp;
  });
  if (state.next === null) advance(io, state);
  return {};
}

/**
 * One page of a sign-in report, or `undefined` when the tenant cannot give it (403 without the
 * licence, or not in a files-mode export): the phase then ends with a warning saying what is unknown.
 */
async function readSignInPage(
  io: Io,
  state: EntraState,
  request: ListRequest,
  what: { report: string; unknown: string },
): Promise<unknown[] | undefined> {
  try {
    return await readPage(io, state, request);
  } catch (err) {
    const denied = signInUnavailable(io, state, err);
    if (!denied) throw err;
    io.ctx.warn(
      denied.status === 403
        ? `Entra ${what.report} is not available (403 ${denied.code}): ${what.unknown}`
        : `${request.file} is not in the export: ${what.unknown}`,
    );
    advance(io, state);
    return undefined;
  }
}

async function spSignIns(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'beta',
    path: '/reports/servicePrincipalSignInActivities',
    operationPath: '/reports/servicePrincipalSignInActivities',
    file: 'servicePrincipalSignInActivities.json',
    throttled: true,
  };
  const items = await readSignInPage(io, state, request, {
    report: 'service principal sign-in activity',
    unknown: "service principals' last activity is unknown and never counts as dormant or never used",
  });
  state.spSignIn = items ? 'known' : 'unknown';
  if (!items) return {};
  const src = itemSource(io, state, request);
  items.forEach((raw, i) => {
    const item = parseItem(spSignInSchema, raw, src, i);
    const activity = spActivity(item);
    const seen = state.spActivity[item.appId];
    if (activity && (!seen || activity.at > seen.at)) state.spActivity[item.appId] = activity;
  });
  if (state.next === null) advance(io, state);
  return {};
}

async function credentialSignIns(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'beta',
    path: '/reports/appCredentialSignInActivities',
    operationPath: '/reports/appCredentialSignInActivities',
    file: 'appCredentialSignInActivities.json',
    throttled: true,
  };
  const items = await readSignInPage(io, state, request, {
    report: 'credential sign-in activity',
    unknown: 'when each secret or certificate was last used is unknown',
  });
  state.credentialSignIn = items ? 'known' : 'unknown';
  if (!items) return {};
  const src = itemSource(io, state, request);
  items.forEach((raw, i) => {
    const item = parseItem(credSignInSchema, raw, src, i);
    const at = item.signInActivity?.lastSignInDateTime;
    const seen = state.credLastUsed[item.keyId];
    if (at && (!seen || at > seen)) state.credLastUsed[item.keyId] = at;
  });
  if (state.next === null) advance(io, state);
  return {};
}

function ownersRequest(key: string): ListRequest {
  const [kind, id] = key.startsWith('sp:')
    ? ['servicePrincipal', key.slice(3)]
    : ['application', key.slice(4)];
  return {
    version: 'v1.0',
    path: `/${kind}s/${idSegment(id)}/owners`,
    operationPath: `/${kind}s/{id}/owners`,
    select: OWNER_SELECT,
    file: `${kind}-${fileSegment(id)}-owners.json`,
  };
}

async function owners(io: Io, state: EntraState): Promise<Page> {
  return batchStep(io, state, ownersRequest, (key, items, src) => {
    const refs = state.owners[key] ?? [];
    items.forEach((raw, i) => {
      refs.push(ownerRef(io.rc, parseItem(directoryObjectSchema, raw, src, i)));
    });
    state.owners[key] = refs;
    return {};
  });
}

async function emitServicePrincipals(io: Io, state: EntraState): Promise<Page> {
  const principals: Principal[] = [];
  const registeredHere = new Set<string>();
  for (const sp of Object.values(state.sps)) {
    const app = sp.spType === 'ManagedIdentity' ? undefined : state.apps[sp.appId];
    if (app) registeredHere.add(app.appId);
    const owned = [
      ...(state.owners[`sp:${sp.id}`] ?? []),
      ...(app ? (state.owners[`app:${app.id}`] ?? []) : []),
    ];
    const activity = state.spActivity[sp.appId];
    principals.push(
      servicePrincipalPrincipal(io.rc, sp, {
        ...(app ? { app } : {}),
        owners: uniqSorted(owned),
        ...(activity ? { activity } : {}),
        activityKnown: state.spSignIn === 'known',
        credLastUsed: state.credLastUsed,
        credActivityKnown: state.credentialSignIn === 'known',
      }),
    );
  }
  const alone = Object.values(state.apps).filter((a) => !registeredHere.has(a.appId));
  for (const app of alone) {
    principals.push(
      applicationPrincipal(io.rc, app, uniqSorted(state.owners[`app:${app.id}`] ?? []), state.credLastUsed),
    );
  }
  if (alone.length > 0) {
    io.ctx.warn(
      `${alone.length} app registration(s) have no service principal in this tenant: they cannot sign in here, so their activity is unknown`,
    );
  }
  // Later phases need only names and app roles: keep the checkpoint small.
  for (const sp of Object.values(state.sps)) sp.creds = [];
  state.apps = {};
  state.owners = {};
  state.credLastUsed = {};
  state.spActivity = {};
  advance(io, state);
  return { principals };
}

async function appRoleAssignments(io: Io, state: EntraState): Promise<Page> {
  return batchStep(
    io,
    state,
    (id) => ({
      version: 'v1.0',
      path: `/servicePrincipals/${idSegment(id)}/appRoleAssignments`,
      operationPath: '/servicePrincipals/{id}/appRoleAssignments',
      file: `servicePrincipal-${fileSegment(id)}-appRoleAssignments.json`,
    }),
    (id, items, src) => {
      const page = emptyPage();
      items.forEach((raw, i) => {
        const a = parseItem(appRoleAssignmentSchema, raw, src, i);
        const e = appRoleEntitlement(
          io.rc,
          a.resourceId,
          state.sps[a.resourceId],
          a.resourceDisplayName ?? undefined,
          a.appRoleId,
        );
        emitOnce(state, page, e);
        page.grants.push(assignmentGrant(uidOf(io.rc, id), e.uid, a));
      });
      return page;
    },
  );
}

async function groups(io: Io, state: EntraState): Promise<Page> {
  const wanted = io.ctx.source.groups;
  if (wanted.length === 0) {
    advance(io, state);
    return {};
  }
  const request: ListRequest = {
    version: 'v1.0',
    path: '/groups',
    operationPath: '/groups',
    select: GROUP_SELECT,
    top: GROUP_PAGE,
    file: 'groups.json',
  };
  const items = await readOptional(io, state, request, 'the groups named in config');
  const src = itemSource(io, state, request);
  const matchers = wanted.map((w) => compileGlob(w, { caseInsensitive: true }));
  (items ?? []).forEach((raw, i) => {
    const g = parseItem(groupSchema, raw, src, i);
    const name = g.displayName ?? g.id;
    if (wanted.some((w, k) => w.toLowerCase() === g.id.toLowerCase() || matchers[k]!(name))) {
      addGroup(state, g.id, name, 'config');
    }
  });
  if (state.next === null) {
    if (items !== undefined) {
      const found = Object.entries(state.groups);
      for (const [k, w] of wanted.entries()) {
        if (!found.some(([id, g]) => id.toLowerCase() === w.toLowerCase() || matchers[k]!(g.name))) {
          io.ctx.warn(`group "${w}" named in config matches no group in tenant ${io.rc.tenant}`);
        }
      }
    }
    advance(io, state);
  }
  return {};
}

async function financialAppAssignments(io: Io, state: EntraState): Promise<Page> {
  const page = emptyPage();
  if (state.current === null) {
    const next = state.queue.shift();
    if (next === undefined) {
      advance(io, state);
      return {};
    }
    state.current = next;
    state.next = null;
    state.page = 0;
    // Every role of a financial app is part of the inventory, assigned or not.
    const sp = state.sps[next]!;
    for (const roleId of Object.keys(sp.appRoles))
      emitOnce(state, page, appRoleEntitlement(io.rc, sp.id, sp, undefined, roleId));
  }
  const sp = state.sps[state.current]!;
  const request: ListRequest = {
    version: 'v1.0',
    path: `/servicePrincipals/${idSegment(sp.id)}/appRoleAssignedTo`,
    operationPath: '/servicePrincipals/{id}/appRoleAssignedTo',
    top: 999,
    file: `appRoleAssignedTo-${fileSegment(sp.appId)}.json`,
  };
  let items: unknown[];
  try {
    items = await readPage(io, state, request);
  } catch (err) {
    if (!(err instanceof GraphCallError) || err.status !== 404 || state.next !== null) throw err;
    const reason =
      io.transport.mode === 'files'
        ? `${request.file} is not in the export: who is assigned to ${sp.name} was not collected`
        : `${sp.name} disappeared during collection (404): who is assigned to it was not collected`;
    io.ctx.markIncomplete(reason);
    state.current = null;
    return page;
  }
  const src = itemSource(io, state, request);
  items.forEach((raw, i) => {
    const a = parseItem(appRoleAssignmentSchema, raw, src, i);
    const type = a.principalType?.toLowerCase() ?? (state.sps[a.principalId] ? 'serviceprincipal' : 'user');
    // An app's own assignments come from its appRoleAssignments: counting them here would double them.
    if (type === 'serviceprincipal') return;
    const e = appRoleEntitlement(io.rc, sp.id, sp, a.resourceDisplayName ?? undefined, a.appRoleId);
    emitOnce(state, page, e);
    if (type === 'group') {
      addGroup(state, a.principalId, a.principalDisplayName ?? undefined, `app role ${e.name}`, {
        entitlement: e.uid,
        ...(e.privilegedReason ? { privilegedReason: e.privilegedReason } : {}),
      });
    } else {
      page.grants.push(assignmentGrant(uidOf(io.rc, a.principalId), e.uid, a));
    }
  });
  if (state.next === null) state.current = null;
  return page;
}

async function roleDefinitions(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: '/roleManagement/directory/roleDefinitions',
    operationPath: '/roleManagement/directory/roleDefinitions',
    select: ROLE_DEFINITION_SELECT,
    file: 'roleDefinitions.json',
  };
  const items = await readOptional(io, state, request, 'directory role names');
  const src = itemSource(io, state, request);
  (items ?? []).forEach((raw, i) => {
    const d = parseItem(roleDefinitionSchema, raw, src, i);
    const def = roleDef(d);
    state.roleDefs[d.id] = def;
    if (d.templateId) state.roleDefs[d.templateId] = def;
  });
  if (state.next === null) advance(io, state);
  return {};
}

async function roleAssignments(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: '/roleManagement/directory/roleAssignments',
    operationPath: '/roleManagement/directory/roleAssignments',
    expand: 'principal',
    file: 'roleAssignments.json',
  };
  const items = await readOptional(io, state, request, 'directory role assignments');
  const src = itemSource(io, state, request);
  const page = emptyPage();
  (items ?? []).forEach((raw, i) => {
    const a = parseItem(roleAssignmentSchema, raw, src, i);
    const e = directoryRoleEntitlement(
      io.rc,
      a.roleDefinitionId,
      state.roleDefs[a.roleDefinitionId],
      a.directoryScopeId ?? '/',
    );
    emitOnce(state, page, e);
    if (objectKind(a.principal ?? {}) === 'group') {
      addGroup(state, a.principalId, a.principal?.displayName ?? undefined, `directory role ${e.name}`, {
        entitlement: e.uid,
        ...(e.privilegedReason ? { privilegedReason: e.privilegedReason } : {}),
      });
    } else {
      page.grants.push({ principal: uidOf(io.rc, a.principalId), entitlement: e.uid, path: [] });
    }
  });
  if (state.next === null) advance(io, state);
  return page;
}

async function oauth2Grants(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'v1.0',
    path: '/oauth2PermissionGrants',
    operationPath: '/oauth2PermissionGrants',
    file: 'oauth2PermissionGrants.json',
  };
  const items = await readOptional(io, state, request, 'delegated permission grants');
  const src = itemSource(io, state, request);
  const page = emptyPage();
  (items ?? []).forEach((raw, i) => {
    const g = parseItem(oauth2GrantSchema, raw, src, i);
    const e = oauth2GrantEntitlement(io.rc, g, state.sps[g.resourceId]);
    emitOnce(state, page, e);
    page.grants.push(oauth2Grant(io.rc, g, e.uid));
  });
  if (state.next === null) advance(io, state);
  return page;
}

async function groupMembers(io: Io, state: EntraState): Promise<Page> {
  if (state.current === null) {
    const next = state.queue.shift();
    if (next === undefined) {
      advance(io, state);
      return {};
    }
    state.current = next;
    state.next = null;
    state.page = 0;
    state.closure[next] = { principals: [], nested: [] };
  }
  const id = state.current;
  const request: ListRequest = {
    version: 'v1.0',
    path: `/groups/${idSegment(id)}/transitiveMembers`,
    operationPath: '/groups/{id}/transitiveMembers',
    select: MEMBER_SELECT,
    top: GROUP_PAGE,
    file: `group-${fileSegment(id)}-transitiveMembers.json`,
  };
  let items: unknown[];
  try {
    items = await readPage(io, state, request);
  } catch (err) {
    if (!(err instanceof GraphCallError) || err.status !== 404 || state.next !== null) throw err;
    const name = state.groups[id]?.name ?? id;
    io.ctx.markIncomplete(
      io.transport.mode === 'files'
        ? `${request.file} is not in the export: members of group "${name}" not collected`
        : `group "${name}" disappeared during collection (404): its members were not collected`,
    );
    delete state.closure[id];
    state.current = null;
    return {};
  }
  const src = itemSource(io, state, request);
  const closure = state.closure[id]!;
  items.forEach((raw, i) => {
    const m = parseItem(directoryObjectSchema, raw, src, i);
    const kind = objectKind(m);
    if (kind === 'group') closure.nested.push(m.id);
    else if (kind === undefined || kind === 'user' || kind === 'servicePrincipal')
      closure.principals.push(m.id);
  });
  if (state.next === null) state.current = null;
  return {};
}

async function nestedGroupMembers(io: Io, state: EntraState): Promise<Page> {
  return batchStep(
    io,
    state,
    (id) => ({
      version: 'v1.0',
      path: `/groups/${idSegment(id)}/members`,
      operationPath: '/groups/{id}/members',
      select: MEMBER_SELECT,
      file: `group-${fileSegment(id)}-members.json`,
    }),
    (id, items, src) => {
      const direct = state.direct[id] ?? [];
      items.forEach((raw, i) => {
        direct.push(parseItem(directoryObjectSchema, raw, src, i).id);
      });
      state.direct[id] = direct;
      return {};
    },
    (id) => {
      state.direct[id] ??= [];
    },
  );
}

async function emitGroups(io: Io, state: EntraState): Promise<Page> {
  const page = emptyPage();
  for (const [id, g] of Object.entries(state.groups)) {
    const e = groupEntitlement(io.rc, id, g);
    emitOnce(state, page, e);
    const closure = state.closure[id];
    if (!closure) continue;
    const paths = membershipPaths(id, closure.principals, closure.nested, state.direct);
    const roles = state.groupRoles.filter((r) => r.group === id);
    for (const member of uniqSorted(closure.principals)) {
      const through = (paths.get(member) ?? []).map((gid) => uidOf(io.rc, gid));
      const principal = uidOf(io.rc, member);
      page.grants.push({ principal, entitlement: e.uid, path: through } satisfies Grant);
      for (const r of roles)
        page.grants.push({ principal, entitlement: r.entitlement, path: [e.uid, ...through] });
    }
  }
  advance(io, state);
  return page;
}

export const HANDLERS: Record<Phase, (io: Io, state: EntraState) => Promise<Page>> = {
  mfaRegistration,
  users,
  deletedUsers,
  applications,
  servicePrincipals,
  spSignIns,
  credentialSignIns,
  owners,
  emitServicePrincipals,
  appRoleAssignments,
  groups,
  financialAppAssignments,
  roleDefinitions,
  roleAssignments,
  oauth2Grants,
  groupMembers,
  nestedGroupMembers,
  emitGroups,
  done: async () => ({}),
};
