/**
 * A run's commit on a worker thread (issue 18): the seal's thread hands over the changed findings'
 * rows (their JSON is the pack's line, already made) and goes on writing the pack, while the
 * thread inserts them into its own connection's write transaction and at the end commits it (or
 * rolls it back). Inserting ~115k findings and committing them was ~2.5 s of the seal's thread at
 * the default bench, ten times that at 10x.
 *
 * This is the transport only: the store (`SqliteFindingsRepository.openCommit`) checks the
 * reservation and the heads on its side with the same code and messages as a commit on its own
 * connection. A batch's failure is seen at the next `settle` (which the seal awaits before it
 * publishes the pack) or at the end.
 */
import { Worker } from 'node:worker_threads';
import type { ChainHead } from '../../core/findings/repository';
import { workerEntry } from '../shared/worker-entry';

/** Rows per message (~0.7 MB of JSON at ~1.3 KB a finding). */
const BATCH_ROWS = 512;
const ROW_FIELDS = 6;

export interface ReservationRow {
  run_id: string;
  expected: string | null;
  reserved_at: string;
}

/** How the transaction ended: committed (or rolled back on request), or the head had moved. */
export type ThreadEnd = { moved?: undefined } | { moved: ChainHead | null };

/**
 * @example
 * const { thread, done, reservation } = await CommitThread.open({ file, runId, busyTimeoutMs });
 * thread.put(id, status, rule, severity, lastSeenRun, json); await thread.settle(8);
 * await thread.end({ commit: head, expected });
 */
export class CommitThread {
  private readonly worker: Worker;
  private rows: string[] = [];
  private inFlight = 0;
  private failure: Error | undefined;
  private over = false;
  private moved: { head: ChainHead | null } | undefined;
  private readonly waiting: (() => void)[] = [];
  private readonly ended: Promise<void>;
  private onOpened: ((m: { done: boolean; reservation: ReservationRow | null }) => void) | undefined;

  private constructor(options: { file: string; busyTimeoutMs: number; runId: string }) {
    this.worker = new Worker(workerEntry('./commit-thread-worker', import.meta.url), { workerData: options });
    let endedNow!: () => void;
    this.ended = new Promise<void>((r) => (endedNow = r));
    const finish = () => {
      if (this.over) return;
      this.over = true;
      endedNow();
      void this.worker.terminate();
    };
    this.worker.on('message', (m: Record<string, unknown>) => {
      if (m.opened) this.onOpened?.(m.opened as { done: boolean; reservation: ReservationRow | null });
      else if (m.applied) this.inFlight--;
      else if (m.error) this.fail(threadError(m.error as { name: string; message: string }));
      else if ('moved' in m) this.moved = { head: m.moved as ChainHead | null };
      else if (m.ended) finish();
      this.wake();
    });
    this.worker.on('error', (err) =>
      this.fail(new Error(`the findings commit thread failed: ${err.message}`)),
    );
    this.worker.on('exit', (code) => {
      if (!this.over)
        this.fail(new Error(`the findings commit thread stopped (exit code ${code}) before its end`));
      finish();
      this.wake();
    });
  }

  /** Starts the thread, which opens its write transaction and reads what the store checks first. */
  static async open(options: {
    file: string;
    busyTimeoutMs: number;
    runId: string;
  }): Promise<{ thread: CommitThread; done: boolean; reservation: ReservationRow | null }> {
    const thread = new CommitThread(options);
    const opened = await new Promise<{ done: boolean; reservation: ReservationRow | null } | undefined>(
      (resolve) => {
        thread.onOpened = resolve;
        void thread.ended.then(() => resolve(undefined));
      },
    );
    if (!opened) throw thread.failure ?? new Error('the findings commit thread ended before it opened');
    return { thread, ...opened };
  }

  /** One row of the findings table. */
  put(id: string, status: string, rule: string, severity: string, lastSeenRun: string, json: string): void {
    if (this.failure) throw this.failure;
    this.rows.push(id, status, rule, severity, lastSeenRun, json);
    if (this.rows.length >= BATCH_ROWS * ROW_FIELDS) this.send();
  }

  /** Resolves once at most `inFlight` batches are not yet in the transaction; rejects with the first failure. */
  async settle(inFlight = 0): Promise<void> {
    if (inFlight === 0 && this.rows.length && !this.over) this.send();
    while (!this.failure && this.inFlight > inFlight && !this.over)
      await new Promise<void>((r) => this.waiting.push(r));
    if (this.failure) throw this.failure;
  }

  /**
   * Ends the transaction: `commit` writes the head when the chain still ends at `expected` (else
   * rolls back and says where it ends), `abort` rolls back. Rejects with the first failure.
   */
  async end(how: { commit: ChainHead; expected: ChainHead | null } | { abort: true }): Promise<ThreadEnd> {
    if (!this.over) {
      if ('commit' in how && this.rows.length) this.send();
      this.worker.postMessage(how);
    }
    await this.ended;
    if (this.failure && 'commit' in how) throw this.failure;
    return this.moved ? { moved: this.moved.head } : {};
  }

  private send(): void {
    const rows = this.rows;
    this.rows = [];
    this.inFlight++;
    this.worker.postMessage({ rows });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}

function threadError(e: { name: string; message: string }): Error {
  const err = new Error(e.message);
  if (e.name !== 'Error') err.name = e.name;
  return err;
}
