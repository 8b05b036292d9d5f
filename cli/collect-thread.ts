/**
 * `accessproof scan` collects sources two at a time: the source with the largest export stays on
 * the main thread (the scan then takes its records as they are, without parsing its snapshot
 * again), and the other files-mode sources are collected meanwhile, one after another, on a worker
 * thread (the machine's second core). A worker's snapshot is the same file the main thread would
 * have written (the same driver, connector and staging); the scan reads it back by lines, as it
 * reads any snapshot it did not keep. Live sources (network, credentials) stay on the main thread.
 *
 * Bad input in a worker's source comes back as the same `InputError` (message, file, line, field);
 * anything else the worker throws fails the run as it would on the main thread.
 */
import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { SourceConfig } from '../core/config';
import type { Logger } from '../core/connector';
import { InputError, type InputLocation } from '../core/errors';
import type { SourceResult } from '../core/run/types';
import { workerEntry } from '../stores/shared/worker-entry';

/** What a collect worker is given (structured-cloned). */
export interface CollectThreadJob {
  sources: SourceConfig[];
  /** Every configured source: the worker's scrubber learns the secrets they name, as the main one did. */
  configured: SourceConfig[];
  stagingDir: string;
  inputRoots: string[];
  /** A test's fixed clock (ms), read once by the caller; absent: the real clock. */
  clockMs?: number;
}

/** What a collect worker posts back. */
export type CollectThreadMessage =
  | { type: 'started'; source: string }
  | { type: 'page'; source: string; pages: number; records: number }
  | { type: 'result'; source: string; result: SourceResult }
  | { type: 'secret'; value: string }
  | { type: 'log'; level: keyof Logger; message: string; fields?: Record<string, unknown> }
  | { type: 'input-error'; message: string; location: InputLocation }
  | { type: 'error'; message: string; stack?: string; code?: string };

/** Bytes of a source's input files (0 for a live source); a folder (`dir`) counts as 0. */
export function inputBytes(source: SourceConfig): number {
  const files = (source as { files?: Record<string, unknown> }).files;
  if (!files) return 0;
  let n = 0;
  for (const v of Object.values(files)) {
    if (typeof v !== 'string') continue;
    try {
      const st = statSync(v);
      if (st.isFile()) n += st.size;
    } catch {
      // A missing file is the connector's to report, with its own message.
    }
  }
  return n;
}

/** Whether a source reads export files only (never the network): it may run on a worker thread. */
export function filesMode(source: SourceConfig): boolean {
  return (source as { files?: unknown }).files !== undefined;
}

/**
 * Input bytes the other sources must reach before a worker is started for them: below this the
 * thread's start (a second V8 instance loading the connectors, ~0.3-0.7 s of CPU) costs more than
 * it saves. The demo tenant (~1 MB) stays on one thread; the bench's AWS exports (~28 MB) do not.
 */
export const COLLECT_THREAD_MIN_BYTES = 8 * 2 ** 20;

/**
 * Which sources a worker collects: every files-mode source but the one with the largest input
 * (that one, and every live source, stay on the main thread). Empty when fewer than two sources
 * or when the others' inputs are together smaller than `minBytes`.
 */
export function threadedSources(
  sources: readonly SourceConfig[],
  minBytes = COLLECT_THREAD_MIN_BYTES,
): Set<string> {
  const files = sources.filter(filesMode);
  if (files.length < 2) return new Set();
  const bytes = files.map(inputBytes);
  let main = 0;
  for (let i = 1; i < files.length; i++) if ((bytes[i] as number) > (bytes[main] as number)) main = i;
  let others = 0;
  for (let i = 0; i < files.length; i++) if (i !== main) others += bytes[i] as number;
  if (others < minBytes) return new Set();
  return new Set(files.filter((_, i) => i !== main).map((s) => s.id));
}

export interface CollectThreadHooks {
  logger: Logger;
  /** A secret the worker's connector read (`ctx.secret`): the main scrubber must know it too. */
  secret(value: string): void;
  started?(source: string): void;
  page?(source: string, pages: number, records: number): void;
}

/**
 * Collect `job.sources` in order on a worker thread. Resolves with one result per source once
 * every one is collected; rejects with the first source's `InputError`, or the worker's failure.
 */
export function collectInThread(job: CollectThreadJob, hooks: CollectThreadHooks): CollectThreadRun {
  const worker = new Worker(workerEntry('./collect-thread-worker', import.meta.url), { workerData: job });
  const results = new Map<string, SourceResult>();
  const done = new Promise<Map<string, SourceResult>>((resolve, reject) => {
    let failure: Error | undefined;
    worker.on('message', (m: CollectThreadMessage) => {
      switch (m.type) {
        case 'started':
          hooks.started?.(m.source);
          break;
        case 'page':
          hooks.page?.(m.source, m.pages, m.records);
          break;
        case 'result':
          results.set(m.source, m.result);
          break;
        case 'secret':
          hooks.secret(m.value);
          break;
        case 'log':
          hooks.logger[m.level](m.message, m.fields);
          break;
        case 'input-error': {
          // The very error: its message is already located (and scrubbed) as the worker's was.
          const err = new InputError('', m.location);
          err.message = m.message;
          failure ??= err;
          break;
        }
        case 'error': {
          const err = new Error(m.message) as NodeJS.ErrnoException;
          if (m.stack) err.stack = m.stack;
          if (m.code !== undefined) err.code = m.code;
          failure ??= err;
          break;
        }
      }
    });
    worker.once('error', (err) => {
      failure ??= err;
    });
    worker.once('exit', (code) => {
      if (failure) reject(failure);
      else if (code !== 0) reject(new Error(`the collect worker stopped (exit ${code})`));
      else if (results.size !== job.sources.length)
        reject(new Error('the collect worker ended before every source was collected'));
      else resolve(results);
    });
  });
  // Until the caller awaits it: a rejection is its to handle, not an unhandled one.
  done.catch(() => undefined);
  return {
    done,
    async stop() {
      await worker.terminate();
      await done.catch(() => undefined);
    },
  };
}

export interface CollectThreadRun {
  /** Every source's result, by source id. */
  done: Promise<Map<string, SourceResult>>;
  /** Stop the worker (the run failed elsewhere) and wait until it has. */
  stop(): Promise<void>;
}
