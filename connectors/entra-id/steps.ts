/**
 * The building blocks every collection phase uses: read one page into the state, read a page an
 * export may lack, run one `$batch` step of a per-object phase, and move to the next phase.
 */
import { join } from 'node:path';
import { appendAll } from '../../core/arrays';
import type { EntraSource } from '../../core/config';
import type { CollectContext, Page } from '../../core/connector';
import { SourceError } from '../../core/errors';
import { compileGlob } from '../../core/glob';
import type { Entitlement } from '../../core/model';
import type { ItemSource, RecordContext } from './record-context';
import { type EntraState, PHASES } from './state';
import { GraphCallError, type GraphTransport, type ListRequest, operationOf } from './transport';

/** Graph's `$batch` limit. */
const BATCH_SIZE = 20;
/** Longest wait honoured for a throttled `$batch` sub-request before re-sending it. */
const MAX_WAIT_MS = 120_000;
/** Batches in a row with throttled sub-requests before the source fails. */
const MAX_THROTTLED_ROUNDS = 10;

export type Ctx = CollectContext<EntraSource>;

export interface Io {
  ctx: Ctx;
  transport: GraphTransport;
  rc: RecordContext;
}

export function uniqSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export type AccessPage = Required<Pick<Page, 'principals' | 'entitlements' | 'grants'>>;

export function emptyPage(): AccessPage {
  return { principals: [], entitlements: [], grants: [] };
}

export function merge(into: AccessPage, from: Page): void {
  if (from.principals) appendAll(into.principals, from.principals);
  if (from.entitlements) appendAll(into.entitlements, from.entitlements);
  if (from.grants) appendAll(into.grants, from.grants);
}

/** Move to the next phase and set up its work list. */
export function advance(io: Io, state: EntraState): void {
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

export function itemSource(io: Io, state: EntraState, request: ListRequest): ItemSource {
  const files = io.transport.mode === 'files';
  return {
    mode: io.transport.mode,
    where: files ? join(io.ctx.source.files?.dir ?? '', request.file) : operationOf(request),
    page: state.page,
  };
}

/** Read the next page of `request` into `state.next` / `state.page`. */
export async function readPage(io: Io, state: EntraState, request: ListRequest): Promise<unknown[]> {
  const page = await io.transport.list(request, state.next, io.ctx.calls);
  state.next = page.next;
  state.page += 1;
  return page.items;
}

/**
 * Read a page of a collection an export may lack: a missing file makes the snapshot incomplete
 * (the collection was not exported) instead of failing the source.
 */
export async function readOptional(
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
export function signInUnavailable(io: Io, state: EntraState, err: unknown): GraphCallError | undefined {
  if (!(err instanceof GraphCallError) || state.next !== null) return undefined;
  if (err.status === 403) return err;
  if (err.status === 404 && io.transport.mode === 'files') return err;
  return undefined;
}

export function emitOnce(state: EntraState, page: AccessPage, e: Entitlement): void {
  if (state.emitted[e.uid]) return;
  state.emitted[e.uid] = 1;
  page.entitlements.push(e);
}

/** Remember a group to expand and, when it carries a role, the role its members receive. */
export function addGroup(
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
export async function batchStep(
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
