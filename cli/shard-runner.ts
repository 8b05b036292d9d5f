/**
 * `scan --shards N` on one machine: each scan shard runs in a child process of its own (its own
 * heap, as a Lambda would), at most as many at once as the machine has cores. A shard that fails
 * is run again; one that still fails fails the run before anything is reconciled.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Policy } from '../core/config';
import type { RunPlan, SourceResult } from '../core/run/types';

/** What a shard process reads (`<run>/shards/job.json`). */
export interface ShardJob {
  plan: RunPlan;
  sources: SourceResult[];
  policy: Policy;
  /** Absolute ruleset paths, compiled again in each shard (a compiled ruleset is not JSON). */
  rulesetFiles: string[];
  count: number;
  /** The snapshot staging folder, the run store folder and the stored findings (JSON array). */
  snapshotsDir: string;
  runStoreDir: string;
  previousFile: string;
  /** Access-review revocations to check: the shards report these principals' grants. */
  watch?: { principals: string[]; entitlements: string[] };
  /** The run's ruleset hashes: given, each shard runs the lifecycle of its part (`ScanShardInput.lifecycle`). */
  rulesetHashes?: Record<string, string>;
}

export type ShardAttempt = { ok: true; maxRssMb: number; cpuSeconds?: number } | { ok: false; error: string };

/** Runs one shard of a job once. */
export type ShardProcess = (jobFile: string, shard: number) => Promise<ShardAttempt>;

export class ShardFailedError extends Error {}

/** How often a shard is tried before the run fails. */
export const SHARD_ATTEMPTS = 3;

const WORKER = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './shard-worker.ts' : './shard-worker.js', import.meta.url),
);

/** The shard in a child process of this Node, with tsx when the CLI runs from TypeScript. */
export const forkShard: ShardProcess = (jobFile, shard) => forkShardProcess(jobFile, shard, undefined);

/**
 * `forkShard` with V8's old space capped at `heapMb`: the collector then works to stay under it
 * instead of letting garbage grow toward its default limit (~4 GB here), which is what took the
 * 10x shards to 2.5-2.8 GB RSS. A shard whose live data does not fit fails (and is tried again),
 * as a Lambda past its memory would.
 */
export function forkShardWithHeap(heapMb: number): ShardProcess {
  return (jobFile, shard) => forkShardProcess(jobFile, shard, heapMb);
}

/**
 * The V8 old-space cap for a shard process under a memory budget: what is left once the young
 * generation, code and buffers outside the heap are set aside (15 %: an allowance, checked
 * against the shards' measured peak RSS by the 10x bench, `maxShardRssMb`).
 */
export function shardHeapMb(budgetMb: number): number {
  return Math.floor(budgetMb * 0.85);
}

function forkShardProcess(jobFile: string, shard: number, heapMb: number | undefined): Promise<ShardAttempt> {
  return new Promise((done) => {
    const child = fork(WORKER, [jobFile, String(shard)], {
      execArgv: [
        ...(import.meta.url.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []),
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        // A profiled run (`node --cpu-prof …`) profiles its shards too.
        ...process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
      ],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let stderr = '';
    let maxRssMb = 0;
    let cpuSeconds: number | undefined;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    child.on('message', (m: { maxRssMb?: number; cpuSeconds?: number }) => {
      if (typeof m?.maxRssMb === 'number') maxRssMb = m.maxRssMb;
      if (typeof m?.cpuSeconds === 'number') cpuSeconds = m.cpuSeconds;
    });
    child.once('error', (err) => done({ ok: false, error: err.message }));
    child.once('exit', (code, signal) => {
      if (code === 0) done({ ok: true, maxRssMb, ...(cpuSeconds !== undefined ? { cpuSeconds } : {}) });
      else
        done({
          ok: false,
          error: `exit ${signal ?? code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        });
    });
  });
}

export interface ShardRunReport {
  /** The largest peak RSS of any shard process, in MB. */
  maxShardRssMb: number;
  /** The longest successful attempt of any shard, in seconds (wall clock). */
  maxShardSeconds: number;
  /**
   * The most CPU time (user + system) of any successful attempt, in seconds: on a shared machine
   * what a shard would take with a core to itself, as in a Lambda (0 when not reported).
   */
  maxShardCpuSeconds: number;
  /** CPU time of every successful attempt together, in seconds (what all the shards cost). */
  totalShardCpuSeconds: number;
  /** Attempts per shard (1 when it succeeded at once). */
  attempts: number[];
}

/**
 * Run shards 0…count-1 of `jobFile`, `parallel` at a time, each up to `attempts` times.
 *
 * @example
 * const report = await runShards('/tmp/run/shards/job.json', 3);
 */
export async function runShards(
  jobFile: string,
  count: number,
  options: { run?: ShardProcess; attempts?: number; parallel?: number } = {},
): Promise<ShardRunReport> {
  const run = options.run ?? forkShard;
  const attempts = options.attempts ?? SHARD_ATTEMPTS;
  const parallel = Math.max(1, Math.min(count, options.parallel ?? availableParallelism()));
  const report: ShardRunReport = {
    maxShardRssMb: 0,
    maxShardSeconds: 0,
    maxShardCpuSeconds: 0,
    totalShardCpuSeconds: 0,
    attempts: Array(count).fill(0),
  };
  const failures: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < count && failures.length === 0) {
      const shard = next++;
      let last = '';
      for (let a = 1; a <= attempts; a++) {
        report.attempts[shard] = a;
        const started = performance.now();
        const r = await run(jobFile, shard);
        if (r.ok) {
          report.maxShardRssMb = Math.max(report.maxShardRssMb, r.maxRssMb);
          report.maxShardSeconds = Math.max(report.maxShardSeconds, (performance.now() - started) / 1000);
          report.maxShardCpuSeconds = Math.max(report.maxShardCpuSeconds, r.cpuSeconds ?? 0);
          report.totalShardCpuSeconds += r.cpuSeconds ?? 0;
          last = '';
          break;
        }
        last = r.error;
      }
      if (last) failures.push(`shard ${shard} of ${count} failed ${attempts} times (last: ${last})`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  if (failures.length > 0)
    throw new ShardFailedError(`sharded scan: ${failures.join('; ')}: nothing was reconciled`);
  return report;
}
