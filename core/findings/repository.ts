/**
 * The findings repository port: where findings live between runs, and the head of the evidence
 * chain that orders the runs. Adapters: `stores/sqlite-findings` (one machine) and
 * `stores/dynamodb-findings` (AWS). Both pass `test/support/findings-repository-contract.ts`.
 *
 * Two guarantees, whatever the adapter:
 * - two concurrent runs cannot fork the evidence chain: a run first `reserve`s the next sequence
 *   against the head it read, and only the holder of the reservation can `commitRun`;
 * - re-delivery of a step (Lambda retry, CLI re-run of the same run id) is harmless.
 */
import type { RunRecord } from '../run/run-record';
import type { Finding } from './model';

/** The last sealed pack of the chain. The next pack's manifest links to it as `previous`. */
export interface ChainHead {
  /** 1 for the first pack, +1 per sealed pack. */
  sequence: number;
  runId: string;
  /** Lowercase hex SHA-256 of the sealed `manifest.json` bytes. */
  manifestSha256: string;
  /** Where the pack is: a directory path or `s3://bucket/prefix/…/<runId>/`. */
  location: string;
  sealedAt: string;
}

/** A reservation of the next chain sequence by one run. */
export interface ChainReservation {
  runId: string;
  /** The head the run read and will link its pack to (`null`: the chain was empty). */
  expected: ChainHead | null;
  reservedAt: string;
}

/**
 * - `reserved`: the caller holds (or already held) the reservation and must seal, then commit.
 * - `already-committed`: this run id was committed before (a re-delivered step): do nothing more.
 */
export type ReserveOutcome = 'reserved' | 'already-committed';

/**
 * A second writer lost the race for the chain head, or a step ran without its reservation.
 * The message says who holds the chain and what to do.
 */
export class ChainConflictError extends Error {
  override readonly name = 'ChainConflictError';
  readonly runId: string;
  /** The run holding the reservation, when one does. */
  readonly heldBy?: string;
  constructor(message: string, context: { runId: string; heldBy?: string }) {
    super(message);
    this.runId = context.runId;
    if (context.heldBy !== undefined) this.heldBy = context.heldBy;
  }
}

/** A finding that cannot be stored as one record (DynamoDB's 400 KB item limit). */
export class FindingTooLargeError extends Error {
  override readonly name = 'FindingTooLargeError';
  constructor(
    readonly findingId: string,
    readonly bytes: number,
    readonly limit: number,
    detail: string,
  ) {
    super(`finding ${findingId} is ${bytes} bytes stored, over the ${limit}-byte limit: ${detail}`);
  }
}

/**
 * How the pipeline uses it (one run, `runId`):
 *
 * ```
 * pending = await repo.pendingReservation()      // a crashed run? adopt or clear it first
 * head = await repo.getChainHead()
 * if (await repo.reserve(runId, head, at) === 'already-committed') return   // re-delivery
 * previous = await repo.loadAll()                // after reserve: no exception is lost meanwhile
 * result = reconcile({ previous, … })
 * pack = await vault.seal(…, previous: head)     // pack links to `head`
 * await repo.commitRun(runId, result.changed, { sequence: (head?.sequence ?? 0) + 1, runId, … })
 * ```
 *
 * @example
 * const repo: FindingsRepository = await SqliteFindingsRepository.open({ file: 'out/state/findings.db' });
 */
export interface FindingsRepository {
  /** Every stored finding, whatever its status, sorted by id. */
  loadAll(): Promise<Finding[]>;
  get(id: string): Promise<Finding | undefined>;
  /** The last committed pack, or `null` for an empty chain. */
  getChainHead(): Promise<ChainHead | null>;
  /**
   * Claim the next sequence for `runId`. Succeeds only if the head is still `expected` (`null` =
   * empty chain) and no other run holds a reservation. Idempotent for the same run id; returns
   * `already-committed` when that run was already committed. Otherwise throws
   * `ChainConflictError` saying which run holds the chain.
   */
  reserve(runId: string, expected: ChainHead | null, at: string): Promise<ReserveOutcome>;
  /**
   * Store the changed findings and advance the head to `next` (`next.runId === runId`,
   * `next.sequence === expected.sequence + 1`), releasing the reservation. Requires the
   * reservation by the same run. A re-delivery of an already committed run is a no-op.
   */
  commitRun(runId: string, changed: readonly Finding[], next: ChainHead): Promise<void>;
  /**
   * Optional: `commitRun` in two halves, so seal serializes each finding once for the pack and the
   * store (issue 11: a 200k-finding run wrote ~0.5 GB of JSON twice). Opens the commit (the
   * reservation is checked now, as `commitRun` checks it), takes the changed findings while the
   * pack streams them, and stores nothing until `commit`. Adapters without it get `commitRun`.
   */
  openCommit?(runId: string): Promise<RunCommit>;
  /**
   * Store one finding outside a run (exception added, owner changed). Refused with
   * `ChainConflictError` while a run holds the reservation, whose commit would overwrite it.
   */
  putFinding(f: Finding): Promise<void>;
  /** The reservation left by a run that has not committed (running, or crashed), if any. */
  pendingReservation(): Promise<ChainReservation | null>;
  /** Drop `runId`'s reservation (a crashed run). No-op if there is none; refused for another run's. */
  clearReservation(runId: string): Promise<void>;
  /** Store a run record (a failed run, an operator's release); the same id overwrites. */
  putRunRecord(record: RunRecord): Promise<void>;
  /** Every run record, oldest first. */
  listRunRecords(): Promise<RunRecord[]>;
  /** Mark records as carried by `runId`'s sealed pack (after its commit); unknown ids are ignored. */
  markRunRecordsSealed(ids: readonly string[], runId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An open commit of one run (`FindingsRepository.openCommit`). Exactly one of `commit` and `abort`
 * ends it; until then nothing put is visible to anyone and no other writer can write the store.
 */
export interface RunCommit {
  /** Store `f` with the run; `json` must be `JSON.stringify(f)` (the pack's line for it). */
  put(f: Finding, json: string): void;
  /** `commitRun(runId, <everything put>, next)`: the same checks, all or nothing. */
  commit(next: ChainHead): Promise<void>;
  /** Store nothing of it; the reservation stays. A no-op after `commit` or a first `abort`. */
  abort(): Promise<void>;
}

/** Same pack: sequence, run id and manifest hash all match (a different manifest is another pack). */
export function sameHead(a: ChainHead | null, b: ChainHead | null): boolean {
  if (a === null || b === null) return a === b;
  return a.sequence === b.sequence && a.runId === b.runId && a.manifestSha256 === b.manifestSha256;
}

/** `#4 run-2026-10-01 (sha256 1a2b3c4d…)`, or `the empty chain`. */
export function describeHead(h: ChainHead | null): string {
  return h ? `#${h.sequence} ${h.runId} (sha256 ${h.manifestSha256.slice(0, 12)}…)` : 'the empty chain';
}

/** Checks `next` against the reservation's expected head; shared by adapters so errors read alike. */
export function checkNextHead(runId: string, expected: ChainHead | null, next: ChainHead): void {
  const want = (expected?.sequence ?? 0) + 1;
  if (next.runId !== runId) {
    throw new ChainConflictError(`commit of run ${runId} carries a head for run ${next.runId}`, { runId });
  }
  if (next.sequence !== want) {
    throw new ChainConflictError(
      `commit of run ${runId} moves the head to #${next.sequence}, but it reserved #${want} after ${describeHead(expected)}`,
      { runId },
    );
  }
}
