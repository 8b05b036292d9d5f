/**
 * `OcsfOffload` on a worker thread: the seal's thread serializes each finding once for
 * `findings.jsonl` (and the findings store) and hands the bytes over; the worker parses them back
 * and writes the OCSF events (`core/evidence/ocsf-lines.ts`), on the machine's other core (issue
 * 11: `toOcsf` + `JSON.stringify` of ~1.1 GB were ~14 s of the seal's CPU at 200k findings).
 * The lines go over as strings, batched per `findings.jsonl` chunk.
 */
import { Worker } from 'node:worker_threads';
import type { OcsfContext } from '../../core/evidence/ocsf';
import type { OcsfConversion, OcsfOffload } from '../../core/evidence/ports';
import { workerEntry } from '../shared/worker-entry';

/** Below this many findings a thread costs more than it saves (it starts in ~50 ms, more under tsx). */
export const OCSF_THREAD_MIN_FINDINGS = 20_000;
/** Batches of lines (one output chunk's, ~256 KiB) and output chunks in flight before the faster side waits. */
const MAX_IN_FLIGHT = 16;

/**
 * @example
 * await sealStep({ …, ocsf: new OcsfThread() });
 */
export class OcsfThread implements OcsfOffload {
  constructor(private readonly options: { minFindings?: number } = {}) {}

  open(ctx: OcsfContext, findings: number): OcsfConversion | undefined {
    if (findings < (this.options.minFindings ?? OCSF_THREAD_MIN_FINDINGS)) return undefined;
    return new ThreadConversion(ctx);
  }
}

class ThreadConversion implements OcsfConversion {
  private readonly worker: Worker;
  private failed: { reason: unknown } | undefined;
  private done = false;
  private inFlight = 0;
  private readonly credit: (() => void)[] = [];
  private readonly ready: Uint8Array[] = [];
  private wakeOutput: (() => void) | undefined;

  constructor(ctx: OcsfContext) {
    this.worker = new Worker(workerEntry('./ocsf-thread-worker', import.meta.url), {
      workerData: { ctx, maxOut: MAX_IN_FLIGHT },
    });
    this.worker.on('message', (m: Record<string, unknown>) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(new Error(`the OCSF thread failed: ${err.message}`)));
    this.worker.on('exit', (code) => {
      if (!this.done) this.fail(new Error(`the OCSF thread stopped (exit code ${code}) before its end`));
    });
  }

  async feed(lines: readonly string[]): Promise<void> {
    this.throwIfFailed();
    // Copied as strings (structured clone): the thread has no UTF-8 to decode.
    this.worker.postMessage({ lines });
    this.inFlight++;
    while (this.inFlight >= MAX_IN_FLIGHT && !this.failed)
      await new Promise<void>((r) => this.credit.push(r));
    this.throwIfFailed();
  }

  end(): void {
    if (!this.failed) this.worker.postMessage({ end: true });
  }

  get output(): AsyncIterable<Uint8Array> {
    return this.chunks();
  }

  abort(reason: unknown): void {
    this.fail(reason);
    void this.worker.terminate();
  }

  private async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const next = this.ready.shift();
        if (next) {
          this.worker.postMessage({ ack: 1 });
          yield next;
          continue;
        }
        this.throwIfFailed();
        if (this.done) return;
        await new Promise<void>((r) => (this.wakeOutput = r));
      }
    } finally {
      await this.worker.terminate();
    }
  }

  private onMessage(m: Record<string, unknown>): void {
    if (m.bytes instanceof Uint8Array) this.ready.push(m.bytes);
    else if (m.consumed !== undefined) {
      this.inFlight--;
      this.credit.shift()?.();
    } else if (m.done) this.done = true;
    else if (typeof m.error === 'string') this.fail(new Error(`the OCSF thread failed: ${m.error}`));
    this.wake();
  }

  private fail(reason: unknown): void {
    if (this.failed || this.done) return;
    this.failed = { reason };
    for (const r of this.credit.splice(0)) r();
    this.wake();
    void this.worker.terminate();
  }

  private wake(): void {
    const w = this.wakeOutput;
    this.wakeOutput = undefined;
    w?.();
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failed.reason;
  }
}
