import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { InputError } from '../../core/errors';
import type { Finding } from '../../core/findings/model';
import {
  ChainConflictError,
  type ChainHead,
  type ChainReservation,
  checkNextHead,
  describeHead,
  type FindingsRepository,
  type ReserveOutcome,
  type RunCommit,
  sameHead,
} from '../../core/findings/repository';
import { chainHeadSchema, findingSchema } from '../../core/findings/schema';
import { compareRecords, type RunRecord, runRecordSchema } from '../../core/run/run-record';
import { inTransaction, openSqliteStore } from './node-sqlite';

const SCHEMA_VERSION = 1;

// No index on status or rule: nothing queries by them (findings are read all, by id), and keeping
// two more b-trees in step cost ~25 % of a run's commit (220k rows at 200k conflicts, issue 11).
// Stores created before keep theirs (harmless): opening never writes to a store in place.
const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  last_seen_run TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chain (
  sequence INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  manifest_sha256 TEXT NOT NULL,
  location TEXT NOT NULL,
  sealed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reservation (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  run_id TEXT NOT NULL,
  expected TEXT,
  reserved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_records (
  id TEXT PRIMARY KEY,
  at TEXT NOT NULL,
  sealed_in TEXT,
  data TEXT NOT NULL
);
`;

/** `<stateDir>/findings.db` */
export function findingsDbFile(stateDir: string): string {
  return join(stateDir, 'findings.db');
}

export interface SqliteFindingsOptions {
  /** Database file; its folder is created. `:memory:` for a throwaway store. */
  file: string;
  /** How long to wait for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

interface ChainRow {
  sequence: number;
  run_id: string;
  manifest_sha256: string;
  location: string;
  sealed_at: string;
}

/**
 * @example
 * const repo = SqliteFindingsRepository.open({ file: findingsDbFile('./out/state') });
 * const findings = await repo.loadAll();
 * await repo.close();
 */
export class SqliteFindingsRepository implements FindingsRepository {
  private readonly db: DatabaseSync;
  private readonly file: string;
  private readonly stmt: {
    upsert: StatementSync;
    all: StatementSync;
    one: StatementSync;
    head: StatementSync;
    chainByRun: StatementSync;
    reservation: StatementSync;
    insertChain: StatementSync;
    insertReservation: StatementSync;
    deleteReservation: StatementSync;
    putRecord: StatementSync;
    allRecords: StatementSync;
    markRecord: StatementSync;
  };
  private closed = false;
  /** The run whose `openCommit` transaction is open on this connection. */
  private openCommitOf: string | undefined;

  private constructor(options: SqliteFindingsOptions) {
    this.file = options.file;
    this.db = openSqliteStore({
      file: options.file,
      ddl: DDL,
      schemaVersion: SCHEMA_VERSION,
      name: 'findings',
      // A finding is 1–6 KB of JSON (an SoD conflict with its proving grants ~2.4 KB): with 4 KB
      // pages most rows take a page of their own, so a 200k-conflict run wrote ~1 GB twice (WAL,
      // then checkpoint). 16 KB pages hold several rows each: 35–40 % fewer bytes.
      pageSize: 16_384,
      ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
    });
    this.stmt = {
      upsert: this.db.prepare(
        `INSERT INTO findings (id, status, rule, severity, last_seen_run, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, rule = excluded.rule,
           severity = excluded.severity, last_seen_run = excluded.last_seen_run, data = excluded.data`,
      ),
      all: this.db.prepare('SELECT id, data FROM findings ORDER BY id'),
      one: this.db.prepare('SELECT id, data FROM findings WHERE id = ?'),
      head: this.db.prepare('SELECT * FROM chain ORDER BY sequence DESC LIMIT 1'),
      chainByRun: this.db.prepare('SELECT * FROM chain WHERE run_id = ?'),
      reservation: this.db.prepare(
        'SELECT run_id, expected, reserved_at FROM reservation WHERE singleton = 1',
      ),
      insertChain: this.db.prepare(
        'INSERT INTO chain (sequence, run_id, manifest_sha256, location, sealed_at) VALUES (?, ?, ?, ?, ?)',
      ),
      insertReservation: this.db.prepare(
        'INSERT INTO reservation (singleton, run_id, expected, reserved_at) VALUES (1, ?, ?, ?)',
      ),
      deleteReservation: this.db.prepare('DELETE FROM reservation WHERE singleton = 1'),
      putRecord: this.db.prepare(
        `INSERT INTO run_records (id, at, sealed_in, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET at = excluded.at, sealed_in = excluded.sealed_in, data = excluded.data
         WHERE run_records.sealed_in IS NULL`,
      ),
      allRecords: this.db.prepare('SELECT id, data FROM run_records ORDER BY at, id'),
      markRecord: this.db.prepare(
        `UPDATE run_records SET sealed_in = ?, data = json_set(data, '$.sealedIn', ?) WHERE id = ? AND sealed_in IS NULL`,
      ),
    };
  }

  /** Open (and create if needed) the store. */
  static open(options: SqliteFindingsOptions): SqliteFindingsRepository {
    return new SqliteFindingsRepository(options);
  }

  async loadAll(): Promise<Finding[]> {
    return (this.stmt.all.all() as { id: string; data: string }[]).map((r) => this.decode(r));
  }

  async get(id: string): Promise<Finding | undefined> {
    const row = this.stmt.one.get(id) as { id: string; data: string } | undefined;
    return row ? this.decode(row) : undefined;
  }

  async getChainHead(): Promise<ChainHead | null> {
    return this.readHead();
  }

  async reserve(runId: string, expected: ChainHead | null, at: string): Promise<ReserveOutcome> {
    return this.transaction(() => {
      if (this.stmt.chainByRun.get(runId)) return 'already-committed';
      const head = this.readHead();
      const held = this.readReservation();
      if (held && held.runId !== runId) {
        throw new ChainConflictError(
          `run ${runId} cannot reserve the evidence chain: run ${held.runId} reserved it at ${held.reservedAt} ` +
            `(after ${describeHead(held.expected)}). If that run crashed, clear its reservation first.`,
          { runId, heldBy: held.runId },
        );
      }
      if (!sameHead(head, expected)) {
        throw new ChainConflictError(
          `run ${runId} expected the evidence chain to end at ${describeHead(expected)}, ` +
            `but it ends at ${describeHead(head)}: another run sealed a pack first. Start again from the new head.`,
          { runId },
        );
      }
      if (!held) this.stmt.insertReservation.run(runId, expected ? JSON.stringify(expected) : null, at);
      return 'reserved';
    });
  }

  async commitRun(runId: string, changed: readonly Finding[], next: ChainHead): Promise<void> {
    const head = chainHeadSchema.parse(next);
    this.transaction(() => {
      if (this.stmt.chainByRun.get(runId)) return; // re-delivery: already committed
      const held = this.readReservation();
      if (!held || held.runId !== runId) {
        throw new ChainConflictError(
          `run ${runId} cannot commit: it holds no reservation of the evidence chain` +
            (held ? ` (run ${held.runId} does)` : ''),
          held ? { runId, heldBy: held.runId } : { runId },
        );
      }
      checkNextHead(runId, held.expected, head);
      const current = this.readHead();
      if (!sameHead(current, held.expected)) {
        throw new ChainConflictError(
          `run ${runId} reserved after ${describeHead(held.expected)} but the chain ends at ${describeHead(current)}`,
          { runId },
        );
      }
      for (const f of changed) this.upsert(f);
      this.stmt.insertChain.run(head.sequence, head.runId, head.manifestSha256, head.location, head.sealedAt);
      this.stmt.deleteReservation.run();
    });
  }

  /**
   * One write transaction from here to `commit`: seal streams the changed findings into it as it
   * writes them into the pack, each with the JSON it already made. The write lock is held while
   * the pack is written (other writers wait `busyTimeoutMs`; readers are not blocked, WAL); a
   * crash or `abort` leaves the store as it was, with the reservation.
   */
  async openCommit(runId: string): Promise<RunCommit> {
    this.assertNoOpenCommit();
    this.db.exec('BEGIN IMMEDIATE');
    let held: ChainReservation | null = null;
    let done = false;
    try {
      done = this.stmt.chainByRun.get(runId) !== undefined; // re-delivery: already committed
      if (!done) {
        held = this.readReservation();
        if (!held || held.runId !== runId) {
          throw new ChainConflictError(
            `run ${runId} cannot commit: it holds no reservation of the evidence chain` +
              (held ? ` (run ${held.runId} does)` : ''),
            held ? { runId, heldBy: held.runId } : { runId },
          );
        }
      }
    } catch (err) {
      this.rollback();
      throw err;
    }
    this.openCommitOf = runId;
    let state: 'open' | 'ended' = 'open';
    const end = (): void => {
      state = 'ended';
      this.openCommitOf = undefined;
    };
    const expected = held?.expected ?? null;
    return {
      put: (f, json) => {
        if (state !== 'open') throw new Error(`run ${runId}: the commit has ended`);
        if (!done) this.stmt.upsert.run(f.id, f.status, f.rule, f.severity, f.lastSeenRun, json);
      },
      commit: async (next) => {
        if (state !== 'open') throw new Error(`run ${runId}: the commit has ended`);
        try {
          const head = chainHeadSchema.parse(next);
          if (!done) {
            checkNextHead(runId, expected, head);
            const current = this.readHead();
            if (!sameHead(current, expected)) {
              throw new ChainConflictError(
                `run ${runId} reserved after ${describeHead(expected)} but the chain ends at ${describeHead(current)}`,
                { runId },
              );
            }
            this.stmt.insertChain.run(
              head.sequence,
              head.runId,
              head.manifestSha256,
              head.location,
              head.sealedAt,
            );
            this.stmt.deleteReservation.run();
          }
          this.db.exec('COMMIT');
        } catch (err) {
          this.rollback();
          throw err;
        } finally {
          end();
        }
      },
      abort: async () => {
        if (state !== 'open') return;
        end();
        this.rollback();
      },
    };
  }

  async putFinding(f: Finding): Promise<void> {
    this.transaction(() => {
      const held = this.readReservation();
      if (held) {
        throw new ChainConflictError(
          `finding ${f.id} not saved: run ${held.runId} is in progress (reserved at ${held.reservedAt}) and ` +
            'its commit would overwrite the change. Retry when it has finished, or clear its reservation if it crashed.',
          { runId: held.runId, heldBy: held.runId },
        );
      }
      this.upsert(f);
    });
  }

  async pendingReservation(): Promise<ChainReservation | null> {
    return this.readReservation();
  }

  async clearReservation(runId: string): Promise<void> {
    this.transaction(() => {
      const held = this.readReservation();
      if (!held) return;
      if (held.runId !== runId) {
        throw new ChainConflictError(
          `cannot clear run ${runId}'s reservation: the chain is reserved by run ${held.runId}`,
          { runId, heldBy: held.runId },
        );
      }
      this.stmt.deleteReservation.run();
    });
  }

  async putRunRecord(record: RunRecord): Promise<void> {
    const r = runRecordSchema.parse(record);
    this.stmt.putRecord.run(r.id, r.at, r.sealedIn ?? null, JSON.stringify(r));
  }

  async listRunRecords(): Promise<RunRecord[]> {
    const rows = this.stmt.allRecords.all() as { id: string; data: string }[];
    return rows
      .map((row) => {
        const parsed = runRecordSchema.safeParse(JSON.parse(row.data));
        if (!parsed.success) {
          throw new InputError(`stored run record is malformed: ${parsed.error.issues[0]?.message}`, {
            file: this.file,
            field: `run_records[${row.id}]`,
          });
        }
        return parsed.data;
      })
      .sort(compareRecords);
  }

  async markRunRecordsSealed(ids: readonly string[], runId: string): Promise<void> {
    this.transaction(() => {
      for (const id of ids) this.stmt.markRecord.run(runId, runId, id);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An open commit never ended (its caller failed): nothing of it is stored.
    if (this.openCommitOf !== undefined) this.rollback();
    this.openCommitOf = undefined;
    this.db.close();
  }

  /** SQLite rolls back by itself on some failures (disk full): a second ROLLBACK would throw. */
  private rollback(): void {
    if (this.db.isTransaction) this.db.exec('ROLLBACK');
  }

  private assertNoOpenCommit(): void {
    if (this.openCommitOf !== undefined) {
      throw new Error(
        `the findings store has run ${this.openCommitOf}'s commit open: commit or abort it first`,
      );
    }
  }

  private upsert(f: Finding): void {
    this.stmt.upsert.run(f.id, f.status, f.rule, f.severity, f.lastSeenRun, JSON.stringify(f));
  }

  private readHead(): ChainHead | null {
    const row = this.stmt.head.get() as ChainRow | undefined;
    if (!row) return null;
    return {
      sequence: row.sequence,
      runId: row.run_id,
      manifestSha256: row.manifest_sha256,
      location: row.location,
      sealedAt: row.sealed_at,
    };
  }

  private readReservation(): ChainReservation | null {
    const row = this.stmt.reservation.get() as
      | { run_id: string; expected: string | null; reserved_at: string }
      | undefined;
    if (!row) return null;
    const expected = row.expected === null ? null : chainHeadSchema.parse(JSON.parse(row.expected));
    return { runId: row.run_id, expected, reservedAt: row.reserved_at };
  }

  private decode(row: { id: string; data: string }): Finding {
    let json: unknown;
    try {
      json = JSON.parse(row.data);
    } catch {
      throw new InputError('stored finding is not valid JSON', {
        file: this.file,
        field: `findings[${row.id}]`,
      });
    }
    const parsed = findingSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`stored finding is malformed: ${issue?.message ?? 'invalid'}`, {
        file: this.file,
        field: `findings[${row.id}].${issue?.path.join('.') ?? ''}`,
      });
    }
    return parsed.data as Finding;
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so check-then-write is atomic across processes. */
  private transaction<T>(fn: () => T): T {
    this.assertNoOpenCommit();
    return inTransaction(this.db, fn);
  }
}
