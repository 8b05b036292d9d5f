/**
 * The driver that runs every connector: owns the paging loop, records calls and counts,
 * checkpoints state, stops before a deadline and assembles the snapshot.
 */
import { createHash } from 'node:crypto';
import { appendAll } from './arrays';
import type { AnyConnector, CallLog, CollectContext, Logger, Page } from './connector';
import { InputError } from './errors';
import type { Grant } from './model';
import type { SnapshotRef, SnapshotStaging } from './ports';
import { type KeyIndexHeader, keyIndexStagingKey, keyRecordOf } from './run/shard-keys';
import { createScrubber, type Scrubber, scrubDeep } from './secrets';
import {
  DirectGrant,
  type QueryRecord,
  RECORD_KINDS,
  type SnapshotCounts,
  type SnapshotEvaluation,
  type SnapshotHeader,
} from './snapshot';

export const CURSOR_VERSION = 1;

/** Lines buffered before a part is written. */
const PART_LINES = 50_000;

/** First size of the part buffer (grown by doubling when a part needs more: AWS lines are larger). */
const PART_BYTES = 2 ** 20;

/** What opens a record line of each kind ({@link RECORD_KINDS} order): `{"grant":` … (ASCII). */
const RECORD_OPENERS = RECORD_KINDS.map((k) => `{${JSON.stringify(k)}:`);

const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

const GRANT_KIND = RECORD_KINDS.indexOf('grant');

/** Distinct entitlements or times whose pieces are cached before the cache starts over. */
const PIECES_LIMIT = 65_536;

/**
 * The line of a {@link DirectGrant} in three UTF-8 pieces, each cached: `{"grant":{"principal":<uid>,
 * "entitlement":` (the last principal's: exports list a principal's grants together), `<uid>,
 * "path":[]` per entitlement, and the rest per `grantedAt` (`}}\n` without one). Together the very
 * bytes `JSON.stringify` gives for the one-key record, written without serializing each grant.
 */
class DirectGrantPieces {
  private principal: string | undefined;
  private principalPiece: Buffer = Buffer.alloc(0);
  private readonly entitlements = new Map<string, Buffer>();
  private readonly tails = new Map<string | undefined, Buffer>();

  head(principal: string): Buffer {
    if (principal !== this.principal) {
      this.principal = principal;
      this.principalPiece = Buffer.from(`{"grant":{"principal":${JSON.stringify(principal)},"entitlement":`);
    }
    return this.principalPiece;
  }

  entitlement(uid: string): Buffer {
    let piece = this.entitlements.get(uid);
    if (piece === undefined) {
      if (this.entitlements.size >= PIECES_LIMIT) this.entitlements.clear();
      piece = Buffer.from(`${JSON.stringify(uid)},"path":[]`);
      this.entitlements.set(uid, piece);
    }
    return piece;
  }

  tail(grantedAt: string | undefined): Buffer {
    let piece = this.tails.get(grantedAt);
    if (piece === undefined) {
      if (this.tails.size >= PIECES_LIMIT) this.tails.clear();
      piece = Buffer.from(grantedAt === undefined ? '}}\n' : `,"grantedAt":${JSON.stringify(grantedAt)}}}\n`);
      this.tails.set(grantedAt, piece);
    }
    return piece;
  }
}

/** A DirectGrant as built: no path, none of the other optional grant fields (see DirectGrant). */
function plainDirect(g: Grant): boolean {
  return (
    g.path.length === 0 &&
    g.expiresAt === undefined &&
    g.validFrom === undefined &&
    g.validUntil === undefined
  );
}

export interface Deadline {
  /** Milliseconds left before the invocation is killed (Lambda: `context.getRemainingTimeInMillis()`). */
  remainingMs(): number;
  /** Stop when fewer than this many ms are left. */
  marginMs: number;
}

export const noDeadline: Deadline = { remainingMs: () => Number.POSITIVE_INFINITY, marginMs: 0 };

export interface CollectRequest {
  connector: AnyConnector;
  /** The validated source config; must have `id`. */
  source: { id: string };
  /** `<runId>/<sourceId>`: where staging keeps parts and checkpoints. */
  key: string;
  staging: SnapshotStaging;
  now: () => Date;
  deadline?: Deadline;
  /** The cursor a previous invocation returned. */
  cursor?: string;
  logger: Logger;
  signal?: AbortSignal;
  /** After each upstream page: pages read so far in this invocation and records collected in all. */
  onPage?: (progress: { pages: number; records: number }) => void;
  /**
   * Scrubs secrets from what the collection writes: messages, warnings, logs and the failure
   * (patterns and values), records and the header (values). Default: patterns only. The connector
   * adds the secrets it reads through `ctx.secret`.
   */
  scrubber?: Scrubber;
  /**
   * Also write the source's key index (core/run/shard-keys.ts) beside the snapshot, under
   * `keyIndexStagingKey(key)`: one key line per principal line, in the same order (a sharded scan).
   */
  keyIndex?: boolean;
}

export type CollectOutcome =
  | { status: 'complete'; snapshot: SnapshotRef; header: SnapshotHeader; keyIndex?: SnapshotRef }
  | { status: 'partial'; cursor: string; counts: SnapshotCounts }
  | { status: 'failed'; error: string; counts: SnapshotCounts };

/** What the checkpoint store holds between invocations. Never handed out. */
interface Checkpoint {
  v: number;
  key: string;
  connector: string;
  tenant: string;
  mode: 'api' | 'files';
  collectedAt: string;
  parts: number;
  counts: SnapshotCounts;
  queries: QueryRecord[];
  warnings: string[];
  incomplete: string[];
  state: unknown;
  evaluation?: SnapshotEvaluation;
}

interface CursorBody {
  v: number;
  key: string;
  /** SHA-256 of the checkpoint it refers to, so a stale or forged cursor is refused. */
  checkpoint: string;
}

export function createCallLog(initial: QueryRecord[] = []): CallLog {
  const byKey = new Map<string, QueryRecord>();
  const keyOf = (operation: string, params?: Record<string, string>) =>
    params ? `${operation}\u0000${JSON.stringify(params)}` : operation;
  for (const q of initial) byKey.set(keyOf(q.operation, q.params), { ...q });
  return {
    record(operation, delta, params) {
      const k = keyOf(operation, params);
      let q = byKey.get(k);
      if (!q) {
        q = { operation, ...(params ? { params } : {}), calls: 0, pages: 0, records: 0 };
        byKey.set(k, q);
      }
      q.calls += delta.calls ?? 0;
      q.pages += delta.pages ?? 0;
      q.records += delta.records ?? 0;
      if (delta.expected !== undefined) q.expected = (q.expected ?? 0) + delta.expected;
    },
    snapshot: () => [...byKey.values()].map((q) => ({ ...q })),
  };
}

/**
 * Collect one source, from the start or from a cursor, until it completes, fails or nears the deadline.
 * `InputError`s (bad export files) propagate: they are the user's to fix, not a failed source.
 */
export async function collectSource(req: CollectRequest): Promise<CollectOutcome> {
  const { connector, staging, key } = req;
  const scrub = req.scrubber ?? createScrubber();
  const logger = scrubbingLogger(req.logger, scrub);
  const deadline = req.deadline ?? noDeadline;
  let cp: Checkpoint;
  let state: unknown;
  const warnings: string[] = [];
  const incomplete: string[] = [];
  let calls: CallLog;

  const ctxFor = (): CollectContext<unknown> => ({
    source: req.source,
    now: req.now,
    calls,
    logger,
    warn: (message) => {
      const m = scrub.text(message);
      if (!warnings.includes(m)) warnings.push(m);
    },
    markIncomplete: (reason) => {
      const r = scrub.text(reason);
      if (!incomplete.includes(r)) incomplete.push(r);
    },
    secret: (value) => scrub.add(value),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(key.includes('/') ? { run: key.slice(0, key.indexOf('/')) } : {}),
  });

  if (req.cursor) {
    cp = await loadCheckpointFor(staging, key, req.cursor);
    state = cp.state;
    appendAll(warnings, cp.warnings);
    appendAll(incomplete, cp.incomplete);
    calls = createCallLog(cp.queries);
  } else {
    calls = createCallLog();
    const collectedAt = req.now().toISOString();
    try {
      const opened = await connector.begin(ctxFor());
      state = opened.state;
      cp = {
        v: CURSOR_VERSION,
        key,
        connector: connector.name,
        tenant: opened.tenant,
        mode: opened.mode,
        collectedAt,
        parts: 0,
        counts: { principals: 0, entitlements: 0, grants: 0 },
        queries: [],
        warnings: [],
        incomplete: [],
        state: null,
      };
    } catch (err) {
      if (err instanceof InputError) throw scrubbedInputError(err, scrub);
      return {
        status: 'failed',
        error: scrub.text(messageOf(err)),
        counts: { principals: 0, entitlements: 0, grants: 0 },
      };
    }
  }

  const counts = { ...cp.counts };
  let pages = 0;
  // The next part's text is encoded straight into one reused buffer, line after line: no string
  // per part or per run of lines (each was a large object, freed only by a full GC, then copied
  // again to encode it), and each record's JSON dies young.
  let part = Buffer.allocUnsafe(PART_BYTES);
  let used = 0;
  let partLines = 0;
  let keyBuffer: string[] = [];
  const keysKey = keyIndexStagingKey(key);
  // A staging read back in this process keeps each part's records too: the scan then skips
  // parsing the lines it would otherwise read back (the largest step of a local scan after reading).
  const keeping = staging.keepRecords !== undefined;
  let kinds: number[] = [];
  let kept: unknown[] = [];
  /** Room for `bytes` more in the part buffer (grown by doubling, what it holds copied). */
  const reserve = (bytes: number) => {
    if (used + bytes <= part.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * part.length, used + bytes));
    part.copy(grown, 0, 0, used);
    part = grown;
  };
  const flush = async () => {
    if (partLines === 0) return;
    const bytes = part.subarray(0, used);
    if (staging.writePartBytes) await staging.writePartBytes(key, cp.parts, bytes);
    else await staging.writePart(key, cp.parts, [bytes.toString('utf8', 0, used - 1)]);
    // The key index has a part for every snapshot part (maybe empty), under the same number, so a
    // collection resumed from a checkpoint assembles both from the same count.
    if (req.keyIndex) await staging.writePart(keysKey, cp.parts, keyBuffer);
    if (keeping) staging.keepRecords?.(key, cp.parts, { kinds: Uint8Array.from(kinds), records: kept });
    cp.parts += 1;
    used = 0;
    partLines = 0;
    keyBuffer = [];
    kinds = [];
    kept = [];
  };
  /**
   * Stages one record line, `{"<kind>":<the record's JSON>}` (exactly `JSON.stringify` of the
   * one-key record); returns the record as stored (the scrubber may have changed its JSON).
   */
  const directPieces = new DirectGrantPieces();
  const push = <T>(kind: number, value: T): T => {
    // A direct grant from cached pieces, when no secret value is known (then no line can hold one).
    if (
      kind === GRANT_KIND &&
      value instanceof DirectGrant &&
      scrub.hasValues?.() === false &&
      plainDirect(value)
    ) {
      const head = directPieces.head(value.principal);
      const entitlement = directPieces.entitlement(value.entitlement);
      const tail = directPieces.tail(value.grantedAt);
      reserve(head.length + entitlement.length + tail.length);
      part.set(head, used);
      used += head.length;
      part.set(entitlement, used);
      used += entitlement.length;
      part.set(tail, used);
      used += tail.length;
      partLines += 1;
      if (keeping) {
        kinds.push(kind);
        kept.push(value);
      }
      return value;
    }
    const json = JSON.stringify(value);
    // Every string of the record is inside its JSON, so a secret in any field is found there; the
    // line's `{"<kind>":` and `}` are our constant text.
    const clean = scrub.values(json);
    const open = RECORD_OPENERS[kind] as string;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    reserve(open.length + 3 * clean.length + 2);
    used += part.write(open, used, 'latin1');
    used += part.write(clean, used, 'utf8');
    part[used++] = CLOSE_BRACE;
    part[used++] = NEWLINE;
    partLines += 1;
    // A line the scrubber changed is kept as written: the scan must see what is staged and sealed.
    const stored = clean === json ? value : (JSON.parse(clean) as T);
    if (keeping) {
      kinds.push(kind);
      kept.push(stored);
    }
    return stored;
  };
  const add = (page: Page) => {
    for (const p of page.principals ?? []) {
      const stored = push(0, p);
      // From the record as stored, so the key record says exactly what the snapshot says.
      if (req.keyIndex) keyBuffer.push(JSON.stringify({ key: keyRecordOf(stored) }));
    }
    for (const e of page.entitlements ?? []) push(1, e);
    for (const g of page.grants ?? []) push(2, g);
    for (const p of page.people ?? []) push(3, p);
    for (const l of page.links ?? []) push(4, l);
    if (page.people) counts.people = (counts.people ?? 0) + page.people.length;
    counts.principals += page.principals?.length ?? 0;
    counts.entitlements += page.entitlements?.length ?? 0;
    counts.grants += page.grants?.length ?? 0;
  };

  try {
    while (state !== null) {
      if (deadline.remainingMs() < deadline.marginMs) {
        await flush();
        const body: Checkpoint = {
          ...cp,
          counts,
          queries: calls.snapshot(),
          warnings,
          incomplete,
          state,
        };
        const text = JSON.stringify(body);
        await staging.saveCheckpoint(key, text);
        const cursor: CursorBody = { v: CURSOR_VERSION, key, checkpoint: sha256(text) };
        logger.info('collection paused before deadline', { key, parts: cp.parts, ...counts });
        return {
          status: 'partial',
          cursor: Buffer.from(JSON.stringify(cursor)).toString('base64url'),
          counts,
        };
      }
      const { page, next, evaluation } = await connector.step(ctxFor(), state);
      if (evaluation) cp.evaluation = evaluation;
      add(page);
      pages += 1;
      req.onPage?.({
        pages,
        records: counts.principals + counts.entitlements + counts.grants + (counts.people ?? 0),
      });
      if (partLines >= PART_LINES) await flush();
      state = next;
    }
    await flush();
  } catch (err) {
    if (err instanceof InputError) throw scrubbedInputError(err, scrub);
    const error = scrub.text(messageOf(err));
    logger.warn('source failed', { key, error });
    return { status: 'failed', error, counts };
  }

  const queries = calls.snapshot();
  for (const r of incomplete) warnings.push(`incomplete: ${r}`);
  const header: SnapshotHeader = {
    type: 'snapshot',
    system: connector.system,
    tenant: cp.tenant,
    sourceId: req.source.id,
    collectedAt: cp.collectedAt,
    connector: connector.name,
    connectorVersion: connector.version,
    mode: cp.mode,
    calls: queries.reduce((n, q) => n + q.calls, 0),
    queries,
    counts,
    complete: incomplete.length === 0,
    warnings,
    ...(cp.evaluation ? { evaluation: cp.evaluation } : {}),
  };
  const headerLine = scrub.values(JSON.stringify(header));
  const snapshot = await staging.finalize(key, headerLine, cp.parts);
  if (!req.keyIndex) return { status: 'complete', snapshot, header };
  const keyHeader: KeyIndexHeader = {
    type: 'key-index',
    sourceId: req.source.id,
    principals: counts.principals,
    snapshot: JSON.parse(headerLine) as SnapshotHeader,
  };
  const keyIndex = await staging.finalize(keysKey, JSON.stringify(keyHeader), cp.parts);
  return { status: 'complete', snapshot, header, keyIndex };
}

async function loadCheckpointFor(staging: SnapshotStaging, key: string, cursor: string): Promise<Checkpoint> {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new InputError('cursor is not valid', { field: 'cursor' });
  }
  if (body.v !== CURSOR_VERSION)
    throw new InputError(`cursor version ${body.v} is not supported`, { field: 'cursor' });
  if (body.key !== key)
    throw new InputError(`cursor belongs to ${body.key}, not ${key}`, { field: 'cursor' });
  const text = await staging.loadCheckpoint(key);
  if (text === undefined || sha256(text) !== body.checkpoint) {
    throw new InputError(`no checkpoint matches the cursor for ${key}`, { field: 'cursor' });
  }
  return JSON.parse(text) as Checkpoint;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The logger a connector gets: every message and field scrubbed before it is written anywhere. */
function scrubbingLogger(logger: Logger, scrub: Scrubber): Logger {
  const wrap =
    (write: Logger['info']) =>
    (message: string, fields?: Record<string, unknown>): void =>
      fields === undefined
        ? write(scrub.text(message))
        : write(scrub.text(message), scrubDeep(fields, scrub) as Record<string, unknown>);
  return {
    debug: wrap(logger.debug.bind(logger)),
    info: wrap(logger.info.bind(logger)),
    warn: wrap(logger.warn.bind(logger)),
    error: wrap(logger.error.bind(logger)),
  };
}

/** Bad input is the user's to fix, but its message may quote an upstream answer: scrubbed too. */
function scrubbedInputError(err: InputError, scrub: Scrubber): InputError {
  const message = scrub.text(err.message);
  if (message !== err.message) err.message = message;
  return err;
}
