/**
 * The Entra ID connector: a state machine over Microsoft Graph (or saved Graph responses), one
 * request, page or `$batch` per step. Phases run in `PHASES` order; users are emitted page by
 * page, service principals once their credentials, owners and activity are all known, group
 * memberships at the end when nested paths can be worked out.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/identity';
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { EntraSource } from '../../core/config';
import type { CollectContext, Connector, Opened, Page, Stepped } from '../../core/connector';
import { InputError, SourceError } from '../../core/errors';
import { compileGlob } from '../../core/glob';
import type { Entitlement, Grant, Principal } from '../../core/model';
import { ApiTransport } from './api-transport';
import { appRoleAssignmentSchema, appRoleEntitlement, assignmentGrant } from './app-role-assignments';
import {
  APPLICATION_PAGE,
  APPLICATION_SELECT,
  appInfo,
  applicationPrincipal,
  applicationSchema,
} from './applications';
import { type EntraCredentialProvider, localEntraCredential } from './credentials';
import {
  directoryRoleEntitlement,
  ROLE_DEFINITION_SELECT,
  roleAssignmentSchema,
  roleDef,
  roleDefinitionSchema,
} from './directory-roles';
import { FilesTransport } from './files-transport';
import {
  GROUP_PAGE,
  GROUP_SELECT,
  groupEntitlement,
  groupSchema,
  MEMBER_SELECT,
  membershipPaths,
} from './groups';
import { oauth2Grant, oauth2GrantEntitlement, oauth2GrantSchema } from './oauth2-grants';
import { directoryObjectSchema, OWNER_SELECT, objectKind, ownerRef } from './owners';
import { type ItemSource, parseItem, type RecordContext, uidOf } from './record-context';
import {
  SERVICE_PRINCIPAL_PAGE,
  SERVICE_PRINCIPAL_SELECT,
  servicePrincipalPrincipal,
  servicePrincipalSchema,
  spInfo,
} from './service-principals';
import { credSignInSchema, spActivity, spSignInSchema } from './sign-in-activity';
import { type EntraState, initialState, PHASES, type Phase, STATE_VERSION } from './state';
import { GraphCallError, type GraphTransport, type ListRequest, operationOf } from './transport';
import {
  USER_PAGE,
  USER_PAGE_WITH_SIGN_IN,
  USER_SELECT,
  USER_SELECT_WITH_SIGN_IN,
  userPrincipal,
  userSchema,
} from './users';

export const ENTRA_CONNECTOR_VERSION = '1.0.0';

/** Graph's `$batch` limit. */
const BATCH_SIZE = 20;
/** Longest wait honoured for a throttled `$batch` sub-request before re-sending it. */
const MAX_WAIT_MS = 120_000;
/** Batches in a row with throttled sub-requests before the source fails. */
const MAX_THROTTLED_ROUNDS = 10;

export interface EntraConnectorOptions {
  /**
   * The app credential for live mode: a ready `TokenCredential` (e.g. built by a Lambda from
   * Secrets Manager) or a provider per source. Default: `localEntraCredential()` (environment).
   */
  credential?: TokenCredential | EntraCredentialProvider;
  /** Replaces the credential entirely (tests point the client at a local server with a fake token). */
  authProvider?: AuthenticationProvider;
  /** How throttled `$batch` sub-requests wait; default `setTimeout`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type Ctx = CollectContext<EntraSource>;

interface Io {
  ctx: Ctx;
  transport: GraphTransport;
  rc: RecordContext;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

function uniqSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

function emptyPage(): Required<Page> {
  return { principals: [], entitlements: [], grants: [] };
}

function merge(into: Required<Page>, from: Page): void {
  if (from.principals) into.principals.push(...from.principals);
  if (from.entitlements) into.entitlements.push(...from.entitlements);
  if (from.grants) into.grants.push(...from.grants);
}

/** Move to the next phase and set up its work list. */
function advance(io: Io, state: EntraState): void {
  const from = state.phase;
  const next = PHASES[PHASES.indexOf(from) + 1] ?? 'done';
  io.ctx.logger.debug('entra-id phase finished', { phase: from, pages: state.page });
  state.phase = next;
  state.next = null;
  state.page = 0;
  state.queue = [];
  state.current = null;
  state.follow = [];
  state.throttledRounds = 0;
  const source = io.ctx.source;
  if (next === 'owners') {
    // Microsoft's own apps and managed identities have no owners in the customer's tenant.
    for (const sp of Object.values(state.sps)) {
      if (sp.publisher !== 'microsoft' && sp.publisher !== 'managed-identity')
        state.queue.push(`sp:${sp.id}`);
    }
    for (const app of Object.values(state.apps)) state.queue.push(`app:${app.id}`);
  } else if (next === 'appRoleAssignments') {
    state.queue = Object.keys(state.sps);
  } else if (next === 'financialAppAssignments') {
    const matchers = source.financialApps.map((entry) => ({
      entry,
      match: compileGlob(entry, { caseInsensitive: true }),
    }));
    const found = new Set<string>();
    for (const sp of Object.values(state.sps)) {
      if (sp.spType === 'ManagedIdentity') continue;
      const hits = matchers.filter(
        (m) => sp.appId.toLowerCase() === m.entry.toLowerCase() || m.match(sp.name),
      );
      if (hits.length === 0) continue;
      state.queue.push(sp.id);
      for (const h of hits) found.add(h.entry);
    }
    for (const entry of source.financialApps) {
      if (!found.has(entry))
        io.ctx.warn(`financial app "${entry}" matches no service principal in tenant ${io.rc.tenant}`);
    }
  } else if (next === 'groupMembers') {
    state.queue = Object.keys(state.groups);
  } else if (next === 'nestedGroupMembers') {
    const ids: string[] = [];
    for (const [group, c] of Object.entries(state.closure)) {
      if (c.nested.length > 0) ids.push(group, ...c.nested);
    }
    state.queue = uniqSorted(ids);
  }
}

function itemSource(io: Io, state: EntraState, request: ListRequest): ItemSource {
  const files = io.transport.mode === 'files';
  return {
    mode: io.transport.mode,
    where: files ? join(io.ctx.source.files?.dir ?? '', request.file) : operationOf(request),
    page: state.page,
  };
}

/** Read the next page of `request` into `state.next` / `state.page`. */
async function readPage(io: Io, state: EntraState, request: ListRequest): Promise<unknown[]> {
  const page = await io.transport.list(request, state.next, io.ctx.calls);
  state.next = page.next;
  state.page += 1;
  return page.items;
}

/**
 * Read a page of a collection an export may lack: a missing file makes the snapshot incomplete
 * (the collection was not exported) instead of failing the source.
 */
async function readOptional(
  io: Io,
  state: EntraState,
  request: ListRequest,
  what: string,
): Promise<unknown[] | undefined> {
  try {
    return await readPage(io, state, request);
  } catch (err) {
    if (
      err instanceof GraphCallError &&
      err.status === 404 &&
      io.transport.mode === 'files' &&
      state.next === null
    ) {
      io.ctx.markIncomplete(`${request.file} is not in the export: ${what} not collected`);
      return undefined;
    }
    throw err;
  }
}

/** The sign-in reports answer 403 without an Entra ID P1/P2 licence (or without AuditLog.Read.All). */
function signInUnavailable(io: Io, state: EntraState, err: unknown): GraphCallError | undefined {
  if (!(err instanceof GraphCallError) || state.next !== null) return undefined;
  if (err.status === 403) return err;
  if (err.status === 404 && io.transport.mode === 'files') return err;
  return undefined;
}

function emitOnce(state: EntraState, page: Required<Page>, e: Entitlement): void {
  if (state.emitted[e.uid]) return;
  state.emitted[e.uid] = 1;
  page.entitlements.push(e);
}

/** Remember a group to expand and, when it carries a role, the role its members receive. */
function addGroup(
  state: EntraState,
  id: string,
  name: string | undefined,
  reason: string,
  role?: { entitlement: string; privilegedReason?: string },
): void {
  const g = state.groups[id] ?? { name: name ?? id, reasons: [] };
  if (name && g.name === id) g.name = name;
  if (!g.reasons.includes(reason)) g.reasons.push(reason);
  if (role?.privilegedReason && !g.privilegedReason)
    g.privilegedReason = `holds ${reason}: ${role.privilegedReason}`;
  state.groups[id] = g;
  if (role && !state.groupRoles.some((r) => r.group === id && r.entitlement === role.entitlement)) {
    state.groupRoles.push({ group: id, entitlement: role.entitlement });
  }
}

/**
 * One step of a per-object phase: a follow-up page of a collection whose first page came in a
 * batch, or the next batch of up to 20 first pages. Throttled sub-requests go back to the queue.
 */
async function batchStep(
  io: Io,
  state: EntraState,
  requestFor: (key: string) => ListRequest,
  onItems: (key: string, items: unknown[], src: ItemSource) => Page,
  onMissing: (key: string) => void = () => {},
): Promise<Page> {
  const follow = state.follow[0];
  if (follow) {
    const request = requestFor(follow.key);
    const page = await io.transport.list(request, follow.next, io.ctx.calls);
    state.page += 1;
    if (page.next) follow.next = page.next;
    else state.follow.shift();
    return onItems(follow.key, page.items, itemSource(io, state, request));
  }
  if (state.queue.length === 0) {
    advance(io, state);
    return {};
  }
  const keys = state.queue.splice(0, BATCH_SIZE);
  const results = await io.transport.batch(
    keys.map((key) => ({ key, request: requestFor(key) })),
    io.ctx.calls,
  );
  state.page += 1;
  const out = emptyPage();
  const throttled: string[] = [];
  let wait = 0;
  for (const r of results) {
    const request = requestFor(r.key);
    if (r.status === 'ok') {
      merge(out, onItems(r.key, r.items, itemSource(io, state, request)));
      if (r.next) state.follow.push({ key: r.key, next: r.next });
    } else if (r.status === 'throttled') {
      throttled.push(r.key);
      wait = Math.max(wait, r.retryAfterMs);
    } else if (r.status === 'not-found') {
      onMissing(r.key);
    } else {
      throw new SourceError(`${r.code} ${r.message}`.trim(), {
        operation: operationOf(request),
        page: state.page,
      });
    }
  }
  if (throttled.length > 0) {
    state.throttledRounds += 1;
    if (state.throttledRounds > MAX_THROTTLED_ROUNDS) {
      throw new SourceError(`still throttled after ${MAX_THROTTLED_ROUNDS} batches`, {
        operation: `POST /v1.0/$batch`,
        page: state.page,
      });
    }
    state.queue.unshift(...throttled);
    state.waitMs = Math.min(wait, MAX_WAIT_MS);
    io.ctx.logger.info('entra-id $batch sub-requests throttled', {
      count: throttled.length,
      waitMs: state.waitMs,
    });
  } else {
    state.throttledRounds = 0;
  }
  if (state.queue.length === 0 && state.follow.length === 0) advance(io, state);
  return out;
}

// ---------------------------------------------------------------------------------------- phases

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
  const principals = items.map((raw, i) =>
    userPrincipal(io.rc, parseItem(userSchema, raw, src, i), withSignIn),
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

async function spSignIns(io: Io, state: EntraState): Promise<Page> {
  const request: ListRequest = {
    version: 'beta',
    path: '/reports/servicePrincipalSignInActivities',
    operationPath: '/reports/servicePrincipalSignInActivities',
    file: 'servicePrincipalSignInActivities.json',
    throttled: true,
  };
  let items: unknown[];
  try {
    items = await readPage(io, state, request);
  } catch (err) {
    const denied = signInUnavailable(io, state, err);
    if (!denied) throw err;
    state.spSignIn = 'unknown';
    io.ctx.warn(
      denied.status === 403
        ? `Entra service principal sign-in activity is not available (403 ${denied.code}): their last activity is unknown and never counts as dormant or never used`
        : `${request.file} is not in the export: service principals' last activity is unknown and never counts as dormant or never used`,
    );
    advance(io, state);
    return {};
  }
  state.spSignIn = 'known';
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
  let items: unknown[];
  try {
    items = await readPage(io, state, request);
  } catch (err) {
    const denied = signInUnavailable(io, state, err);
    if (!denied) throw err;
    state.credentialSignIn = 'unknown';
    io.ctx.warn(
      denied.status === 403
        ? `Entra credential sign-in activity is not available (403 ${denied.code}): when each secret or certificate was last used is unknown`
        : `${request.file} is not in the export: when each secret or certificate was last used is unknown`,
    );
    advance(io, state);
    return {};
  }
  state.credentialSignIn = 'known';
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
    path: `/${kind}s/${id}/owners`,
    operationPath: `/${kind}s/{id}/owners`,
    select: OWNER_SELECT,
    file: `${kind}-${id}-owners.json`,
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
      path: `/servicePrincipals/${id}/appRoleAssignments`,
      operationPath: '/servicePrincipals/{id}/appRoleAssignments',
      file: `servicePrincipal-${id}-appRoleAssignments.json`,
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
    path: `/servicePrincipals/${sp.id}/appRoleAssignedTo`,
    operationPath: '/servicePrincipals/{id}/appRoleAssignedTo',
    top: 999,
    file: `appRoleAssignedTo-${sp.appId}.json`,
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
    path: `/groups/${id}/transitiveMembers`,
    operationPath: '/groups/{id}/transitiveMembers',
    select: MEMBER_SELECT,
    top: GROUP_PAGE,
    file: `group-${id}-transitiveMembers.json`,
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
      path: `/groups/${id}/members`,
      operationPath: '/groups/{id}/members',
      select: MEMBER_SELECT,
      file: `group-${id}-members.json`,
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

const HANDLERS: Record<Phase, (io: Io, state: EntraState) => Promise<Page>> = {
  users,
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

const REQUIRED_FILES = ['users.json', 'servicePrincipals.json'] as const;

/**
 * The Entra ID connector, with the credential (or test auth provider) it should use.
 *
 * @example
 * const lambdaConnector = createEntraConnector({ credential: secretsManagerEntraCredential(sm, secretArn) });
 * const outcome = await collectSource({ connector: lambdaConnector, source, key, staging, now, logger });
 */
export function createEntraConnector(
  options: EntraConnectorOptions = {},
): Connector<EntraSource, EntraState> {
  const sleep = options.sleep ?? defaultSleep;
  // One transport per source object: its Graph client keeps the access token between steps.
  const transports = new WeakMap<EntraSource, Promise<GraphTransport>>();

  async function makeTransport(ctx: Ctx): Promise<GraphTransport> {
    const source = ctx.source;
    if (source.files) {
      const dir = source.files.dir;
      let isDir = false;
      try {
        isDir = statSync(dir).isDirectory();
      } catch {
        isDir = false;
      }
      if (!isDir)
        throw new InputError('the Entra export folder does not exist', {
          file: dir,
          field: `sources.${source.id}.files.dir`,
        });
      return new FilesTransport(dir);
    }
    let authProvider = options.authProvider;
    if (!authProvider) {
      const given = options.credential ?? localEntraCredential();
      const credential = typeof given === 'function' ? await given(source) : given;
      const scope = `${new URL(source.graphBaseUrl).origin}/.default`;
      authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [scope] });
    }
    return new ApiTransport({ baseUrl: source.graphBaseUrl, authProvider, now: ctx.now });
  }

  async function ioFor(ctx: Ctx): Promise<Io> {
    let transport = transports.get(ctx.source);
    if (!transport) {
      transport = makeTransport(ctx);
      transports.set(ctx.source, transport);
      transport.catch(() => transports.delete(ctx.source));
    }
    return {
      ctx,
      transport: await transport,
      rc: { tenant: ctx.source.tenantId, sourceId: ctx.source.id, kinds: ctx.source.kinds },
    };
  }

  return {
    name: 'entra-id',
    version: ENTRA_CONNECTOR_VERSION,
    system: 'entra',

    async begin(ctx: Ctx): Promise<Opened<EntraState>> {
      const io = await ioFor(ctx);
      if (!(io.transport instanceof FilesTransport)) {
        return { state: initialState('selected'), tenant: ctx.source.tenantId, mode: 'api' };
      }
      const dir = ctx.source.files?.dir ?? '';
      for (const file of REQUIRED_FILES) {
        if (!io.transport.has(file))
          throw new InputError('is missing from the Entra export folder', { file: join(dir, file) });
      }
      const users = io.transport.allItems('users.json') ?? [];
      const exported = users.some((u) => typeof u === 'object' && u !== null && 'signInActivity' in u);
      if (!exported) {
        ctx.warn(
          "users.json has no signInActivity: users' last activity is unknown and never counts as dormant",
        );
      }
      return {
        state: initialState(exported ? 'selected' : 'unknown'),
        tenant: ctx.source.tenantId,
        mode: 'files',
      };
    },

    async step(ctx: Ctx, state: EntraState): Promise<Stepped<EntraState>> {
      if (state.v !== STATE_VERSION)
        throw new SourceError(`connector state version ${state.v} is not supported`);
      ctx.signal?.throwIfAborted();
      const io = await ioFor(ctx);
      if (state.waitMs > 0) {
        const ms = state.waitMs;
        state.waitMs = 0;
        await sleep(ms, ctx.signal);
      }
      try {
        const page = await HANDLERS[state.phase](io, state);
        return { page, next: state.phase === 'done' ? null : state };
      } catch (err) {
        if (err instanceof GraphCallError) {
          const status = err.status > 0 ? `${err.status} ` : '';
          throw new SourceError(`${status}${err.code}: ${err.message}`, {
            operation: err.operation,
            page: state.page + 1,
          });
        }
        throw err;
      }
    },
  };
}

/** The connector the registry uses: live credentials from the environment, or files mode. */
export const entraConnector = createEntraConnector();
