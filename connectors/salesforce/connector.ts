/**
 * The Salesforce connector (`system: salesforce`): users, profiles, permission sets, permission set
 * groups, their system and object permissions, and the assignments between them, from the REST API
 * (jsforce) or from saved query results (files mode).
 *
 * Each `step` does one upstream page (or reads one saved file) of the query plan in `queries.ts`.
 * The `nextRecordsUrl` and Bulk API 2.0 job id / locator of the query in progress live only in the
 * state, which the driver keeps in its checkpoint store; the session (and its token) is rebuilt
 * from the credentials provider when a collection resumes in a new process.
 */
import { join } from 'node:path';
import { appendAll } from '../../core/arrays';
import type { SalesforceSource } from '../../core/config';
import type { CollectContext, Connector, Page } from '../../core/connector';
import { InputError, SourceError } from '../../core/errors';
import { type Grant, makeUid } from '../../core/model';
import { bulkCsvToRecords } from './bulk-csv';
import {
  addGroupComponents,
  addGroups,
  addOauthTokens,
  addObjectPermissions,
  addPermissionSets,
  type Catalog,
  emptyCatalog,
  emptyFacts,
  type UserFacts,
} from './catalog';
import { type CredentialsProvider, localCredentials, secretValuesOf } from './credentials';
import { buildEntitlements } from './entitlements';
import { grantsForAssignment } from './grants';
import { toPrincipal } from './principals';
import {
  checkObjectNames,
  ORGANIZATION_FILE,
  ORGANIZATION_SOQL,
  QUERY_PLAN,
  type QueryKey,
  type QuerySpec,
  soqlFor,
} from './queries';
import {
  oauthTokenRecord,
  objectPermissionRecord,
  organizationRecord,
  parseRecords,
  permissionSetAssignmentRecord,
  permissionSetGroupComponentRecord,
  permissionSetGroupRecord,
  permissionSetRecord,
  type RecordOrigin,
  userRecord,
} from './records';
import { readSavedResult } from './saved-results';
import { SalesforceApiError, SalesforceSession } from './session';

export const CONNECTOR_NAME = 'salesforce';
export const CONNECTOR_VERSION = '1.0.0';

export interface SalesforceConnectorOptions {
  /** Where the JWT key / client secret / access token comes from. Default: `localCredentials()`. */
  credentials?: CredentialsProvider;
  /** Objects whose ObjectPermissions are collected, added to the source's `objects` (e.g. those the rulesets name). */
  objects?: readonly string[];
  /** Waits for back-off and Bulk polls (tests pass one that returns at once). */
  sleep?: (ms: number) => Promise<void>;
  /** Back-off before each `REQUEST_LIMIT_EXCEEDED` retry; its length bounds the retries. Default 2 s, 5 s, 15 s. */
  retryDelaysMs?: readonly number[];
  /** Wait between Bulk API 2.0 job polls. Default 5 s. */
  bulkPollIntervalMs?: number;
  /** Polls before a Bulk job counts as stuck. Default 720 (an hour at 5 s). */
  bulkMaxPolls?: number;
  /** Rows per Bulk API 2.0 results page (`maxRecords`). Default 50,000. */
  bulkPageSize?: number;
}

interface RestCursor {
  kind: 'rest';
  page: number;
  nextRecordsUrl?: string;
  received: number;
  expected?: number;
}
interface BulkCursor {
  kind: 'bulk';
  phase: 'create' | 'poll' | 'results';
  jobId?: string;
  locator?: string;
  page: number;
  polls: number;
  received: number;
  expected?: number;
}

/** Plain JSON; holds no token or secret. */
export interface SalesforceState {
  v: 1;
  mode: 'api' | 'files';
  tenant: string;
  objects: string[];
  /** Index into QUERY_PLAN of the query in progress. */
  stage: number;
  entitlementsEmitted: boolean;
  cursor: RestCursor | BulkCursor | null;
  catalog: Catalog;
  facts: UserFacts;
  skipped: Record<string, number>;
}

type Ctx = CollectContext<SalesforceSource>;

interface Batch {
  records: readonly unknown[];
  origin: RecordOrigin;
  /** Index of the first record within the whole answer (for error messages). */
  offset: number;
  done: boolean;
}

/** Errors that mean "this object is not readable here", for the queries the plan marks optional. */
const ACCESS_ERRORS = new Set([
  'INVALID_TYPE',
  'INSUFFICIENT_ACCESS',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INVALID_FIELD',
  'NOT_FOUND',
]);

/**
 * Build the connector. The CLI uses the default (`salesforceConnector`); a Lambda injects the secret
 * it read from Secrets Manager, and the objects its rulesets name.
 *
 * @example
 * const connector = createSalesforceConnector({
 *   credentials: secretsManagerCredentials(new SecretsManagerClient({}), secretArn),
 *   objects: ['Credit_Limit__c', 'Order'],
 * });
 * const outcome = await collectSource({ connector, source, key, staging, now, logger });
 */
export function createSalesforceConnector(
  options: SalesforceConnectorOptions = {},
): Connector<SalesforceSource, SalesforceState> {
  const credentials = options.credentials ?? localCredentials();
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryDelaysMs = options.retryDelaysMs ?? [2_000, 5_000, 15_000];
  const pollIntervalMs = options.bulkPollIntervalMs ?? 5_000;
  const maxPolls = options.bulkMaxPolls ?? 720;
  const bulkPageSize = options.bulkPageSize ?? 50_000;
  // One session per source object: steps of one collection share it; a resumed process opens a new one.
  const sessions = new WeakMap<object, Promise<SalesforceSession>>();

  // The secret each session holds, told to every collection that uses the session: whatever the org
  // echoes back (a token endpoint quoting the request body) is scrubbed of it.
  const secrets = new WeakMap<object, string[]>();

  const sessionFor = (ctx: Ctx): Promise<SalesforceSession> => {
    let s = sessions.get(ctx.source);
    if (!s) {
      const source = ctx.source;
      s = credentials(source).then((c) => {
        secrets.set(source, secretValuesOf(c));
        for (const value of secretValuesOf(c)) ctx.secret?.(value);
        return SalesforceSession.open(ctx, c, { sleep, retryDelaysMs });
      });
      s.catch(() => sessions.delete(source));
      sessions.set(source, s);
    } else {
      for (const value of secrets.get(ctx.source) ?? []) ctx.secret?.(value);
    }
    return s;
  };

  async function begin(ctx: Ctx) {
    const source = ctx.source;
    const objects = checkObjectNames([...source.objects, ...(options.objects ?? [])]);
    if (source.files) {
      const saved = await readSavedResult(source.files.dir, ORGANIZATION_FILE, source.encoding);
      const file = join(source.files.dir, ORGANIZATION_FILE);
      if (!saved)
        throw new InputError('missing: the saved Organization query result names the org', { file });
      const records = saved.pages.flatMap((p) => p.records);
      ctx.calls.record(`file:${ORGANIZATION_FILE}`, {
        calls: 1,
        pages: saved.pages.length,
        records: records.length,
        expected: saved.pages[0]?.totalSize ?? 0,
      });
      const org = parseRecords(organizationRecord, records, { file })[0];
      if (!org) throw new InputError('no Organization record', { file });
      return { state: initialState('files', org.Id, objects), tenant: org.Id, mode: 'files' as const };
    }
    const session = await sessionFor(ctx);
    const operation = 'SOQL Organization';
    // The instance URL is evidence of which org answered; it goes with the query, never a token.
    const params = {
      soql: ORGANIZATION_SOQL,
      instanceUrl: session.instanceUrl,
      apiVersion: source.apiVersion,
    };
    const result = await session.queryPage(ctx, operation, params, ORGANIZATION_SOQL, undefined, 1);
    ctx.calls.record(
      operation,
      { pages: 1, records: result.records.length, expected: result.totalSize },
      params,
    );
    const org = parseRecords(organizationRecord, result.records, { operation, page: 1 })[0];
    if (!org) throw new SourceError('the Organization query returned no record', { operation, page: 1 });
    return { state: initialState('api', org.Id, objects), tenant: org.Id, mode: 'api' as const };
  }

  async function step(ctx: Ctx, state: SalesforceState) {
    const spec = QUERY_PLAN[state.stage];
    if (!spec) return { page: {}, next: null };

    if (spec.key === 'assignments' && !state.entitlementsEmitted) {
      // Every permission set and group is known now: emit them before the grants that point at them.
      state.entitlementsEmitted = true;
      return {
        page: { entitlements: buildEntitlements(state.catalog, state.tenant, ctx.source.id) },
        next: state,
      };
    }
    if (spec.key === 'objectPermissions' && state.mode === 'api' && state.objects.length === 0) {
      ctx.warn('no objects named (source objects or rulesets): object permissions were not collected');
      return advance(state, {});
    }

    const batch = state.mode === 'files' ? await fromFile(ctx, spec) : await fromApi(ctx, state, spec);
    const page = apply(ctx, state, spec.key, batch);
    if (batch.done) {
      if (spec.key === 'assignments' && Object.keys(state.skipped).length > 0) {
        ctx.logger.info('salesforce: permission set assignments that grant nothing', { ...state.skipped });
      }
      return advance(state, page);
    }
    return { page, next: state };
  }

  async function fromApi(ctx: Ctx, state: SalesforceState, spec: QuerySpec): Promise<Batch> {
    const session = await sessionFor(ctx);
    const soql = soqlFor(spec.key, state.objects);
    const params = { soql };
    const cursor = state.cursor ?? { kind: 'rest', page: 0, received: 0 };

    if (cursor.kind === 'rest') {
      const operation = `SOQL ${spec.object}`;
      const pageNo = cursor.page + 1;
      let result: Awaited<ReturnType<SalesforceSession['queryPage']>>;
      try {
        result = await session.queryPage(ctx, operation, params, soql, cursor.nextRecordsUrl, pageNo);
      } catch (err) {
        if (spec.optional && err instanceof SalesforceApiError && ACCESS_ERRORS.has(err.errorCode)) {
          ctx.warn(`${spec.object} is not readable (${err.errorCode}): ${notReadable(spec.key)}`);
          return { records: [], origin: { operation, page: pageNo }, offset: 0, done: true };
        }
        throw err;
      }
      if (pageNo === 1 && spec.bulk && !result.done && result.totalSize > ctx.source.bulkThreshold) {
        ctx.logger.info('salesforce: switching to Bulk API 2.0', {
          object: spec.object,
          totalSize: result.totalSize,
          bulkThreshold: ctx.source.bulkThreshold,
        });
        state.cursor = { kind: 'bulk', phase: 'create', page: 0, polls: 0, received: 0 };
        return { records: [], origin: { operation, page: pageNo }, offset: 0, done: false };
      }
      ctx.calls.record(
        operation,
        { pages: 1, records: result.records.length, ...(pageNo === 1 ? { expected: result.totalSize } : {}) },
        params,
      );
      const offset = cursor.received;
      const next: RestCursor = {
        kind: 'rest',
        page: pageNo,
        received: cursor.received + result.records.length,
        expected: cursor.expected ?? result.totalSize,
      };
      const origin = { operation, page: pageNo };
      if (!result.done && result.nextRecordsUrl) {
        state.cursor = { ...next, nextRecordsUrl: result.nextRecordsUrl };
        return { records: result.records, origin, offset, done: false };
      }
      if (!result.done) {
        ctx.markIncomplete(
          `${operation}: page ${pageNo} says more records follow but gives no nextRecordsUrl`,
        );
      }
      checkTotal(ctx, operation, next.received, next.expected);
      return { records: result.records, origin, offset, done: true };
    }

    const operation = `Bulk2 ${spec.object}`;
    if (cursor.phase === 'create') {
      cursor.jobId = await session.createQueryJob(ctx, operation, params, soql);
      cursor.phase = 'poll';
      return { records: [], origin: { operation, page: 0 }, offset: 0, done: false };
    }
    const jobId = cursor.jobId as string;
    if (cursor.phase === 'poll') {
      const info = await session.queryJobInfo(ctx, operation, params, jobId);
      if (info.state === 'JobComplete') {
        cursor.phase = 'results';
        if (info.numberRecordsProcessed !== undefined) {
          cursor.expected = info.numberRecordsProcessed;
          ctx.calls.record(operation, { expected: info.numberRecordsProcessed }, params);
        }
      } else if (info.state === 'Failed' || info.state === 'Aborted') {
        throw new SourceError(
          `Bulk API 2.0 job ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
          {
            operation,
          },
        );
      } else {
        cursor.polls += 1;
        if (cursor.polls >= maxPolls) {
          throw new SourceError(`Bulk API 2.0 job still ${info.state} after ${cursor.polls} polls`, {
            operation,
          });
        }
        await session.sleep(pollIntervalMs);
      }
      return { records: [], origin: { operation, page: 0 }, offset: 0, done: false };
    }
    const pageNo = cursor.page + 1;
    const { csv, locator } = await session.queryJobResults(
      ctx,
      operation,
      params,
      jobId,
      cursor.locator,
      bulkPageSize,
      pageNo,
    );
    const records = bulkCsvToRecords(csv, operation, pageNo);
    ctx.calls.record(operation, { pages: 1, records: records.length }, params);
    const offset = cursor.received;
    cursor.received += records.length;
    cursor.page = pageNo;
    const origin = { operation, page: pageNo };
    if (locator) {
      cursor.locator = locator;
      return { records, origin, offset, done: false };
    }
    checkTotal(ctx, operation, cursor.received, cursor.expected);
    await session.deleteQueryJob(ctx, `${operation} (delete job)`, params, jobId);
    return { records, origin, offset, done: true };
  }

  return { name: CONNECTOR_NAME, version: CONNECTOR_VERSION, system: 'salesforce', begin, step };
}

/** The connector the CLI registry wires: local credentials (key file or environment). */
export const salesforceConnector = createSalesforceConnector();

function initialState(mode: 'api' | 'files', tenant: string, objects: string[]): SalesforceState {
  return {
    v: 1,
    mode,
    tenant,
    objects,
    stage: 0,
    entitlementsEmitted: false,
    cursor: null,
    catalog: emptyCatalog(),
    facts: emptyFacts(),
    skipped: {},
  };
}

function advance(state: SalesforceState, page: Page) {
  state.stage += 1;
  state.cursor = null;
  return { page, next: state.stage < QUERY_PLAN.length ? state : null };
}

/** `totalSize` against what arrived: a difference means the snapshot cannot prove completeness. */
function checkTotal(ctx: Ctx, operation: string, received: number, expected: number | undefined): void {
  if (expected !== undefined && received !== expected) {
    ctx.markIncomplete(`${operation}: received ${received} records, totalSize said ${expected}`);
  }
}

function notReadable(key: QueryKey): string {
  return key === 'oauthTokens'
    ? "integration users' last activity is LastLoginDate only"
    : 'its records were not collected';
}

async function fromFile(ctx: Ctx, spec: QuerySpec): Promise<Batch> {
  const dir = (ctx.source.files as { dir: string }).dir;
  const saved = await readSavedResult(dir, spec.file, ctx.source.encoding);
  const file = join(dir, spec.file);
  if (!saved) {
    if (spec.required) {
      throw new InputError(`missing: the saved ${spec.object} query result is required`, { file });
    }
    if (spec.key === 'objectPermissions' || spec.key === 'oauthTokens') {
      ctx.warn(`${spec.file} not found: ${notReadable(spec.key)}`);
    }
    return { records: [], origin: { file }, offset: 0, done: true };
  }
  const records = saved.pages.flatMap((p) => p.records);
  const expected = saved.pages[0]?.totalSize ?? 0;
  const operation = `file:${spec.file}`;
  ctx.calls.record(operation, { calls: 1, pages: saved.pages.length, records: records.length, expected });
  if (saved.pages[saved.pages.length - 1]?.done === false) {
    ctx.markIncomplete(`${operation}: the saved answer ends with done: false (pages are missing)`);
  }
  checkTotal(ctx, operation, records.length, expected);
  return { records, origin: { file }, offset: 0, done: true };
}

function apply(ctx: Ctx, state: SalesforceState, key: QueryKey, batch: Batch): Page {
  const { catalog, facts, tenant } = state;
  const { records, origin, offset } = batch;
  switch (key) {
    case 'permissionSets':
      addPermissionSets(catalog, parseRecords(permissionSetRecord, records, origin, offset));
      return {};
    case 'objectPermissions':
      addObjectPermissions(
        catalog,
        parseRecords(objectPermissionRecord, records, origin, offset),
        state.objects,
      );
      return {};
    case 'permissionSetGroups':
      addGroups(catalog, parseRecords(permissionSetGroupRecord, records, origin, offset));
      return {};
    case 'permissionSetGroupComponents':
      addGroupComponents(catalog, parseRecords(permissionSetGroupComponentRecord, records, origin, offset));
      return {};
    case 'assignments': {
      const now = ctx.now();
      const grants: Grant[] = [];
      for (const a of parseRecords(permissionSetAssignmentRecord, records, origin, offset)) {
        const out = grantsForAssignment(a, catalog, facts, tenant, now);
        appendAll(grants, out.grants);
        if (out.skipped) state.skipped[out.skipped] = (state.skipped[out.skipped] ?? 0) + 1;
      }
      return { grants };
    }
    case 'oauthTokens':
      addOauthTokens(facts, parseRecords(oauthTokenRecord, records, origin, offset));
      return {};
    case 'users': {
      const users = parseRecords(userRecord, records, origin, offset);
      const principals = users.map((u) =>
        toPrincipal(u, tenant, ctx.source.id, catalog, facts, ctx.source.kinds ?? {}),
      );
      const grants = users
        .filter((u) => u.ProfileId)
        .map((u) => ({
          principal: makeUid('salesforce', tenant, u.Id),
          entitlement: makeUid('salesforce', tenant, u.ProfileId as string),
          path: [],
        }));
      return { principals, grants };
    }
  }
}
