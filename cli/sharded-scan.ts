/**
 * The scan step of `accessproof scan --shards N` (issue 18, docs/sharding.md): plan-shards in this
 * process, the shards in child processes (cli/shard-runner.ts), reconcile here. The result lands in
 * the run store under the same key and in the same form as the single scan's, for the same seal.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import type { Policy } from '../core/config';
import type { Logger } from '../core/connector';
import type { PackReader } from '../core/evidence/ports';
import type { FindingsRepository } from '../core/findings/repository';
import { MemoryRunStore, type RunStore, runStoreLineBatches } from '../core/ports';
import { readShardOutputs, reconcileShardsStep, watchedInventory } from '../core/run/reconcile-shards';
import { type ScanSummary, scanResultKey } from '../core/run/scan';
import { DEFAULT_SHARD_MEMORY_MB, planShardsStep, TEN_X_RECONCILE_HEAP_MB } from '../core/run/shard-plan';
import type { RunPlan, SourceResult } from '../core/run/types';
import { LocalRunStore } from '../stores/local-staging/local-run-store';
import type { LocalSnapshotStaging } from '../stores/local-staging/local-snapshot-staging';
import type { ReviewEvidence } from '../stores/sqlite-reviews/review-evidence';
import {
  forkShardWithHeap,
  runShards,
  type ShardJob,
  type ShardProcess,
  type ShardRunReport,
  shardHeapMb,
} from './shard-runner';

export interface ShardedScanInput {
  plan: RunPlan;
  sources: SourceResult[];
  policy: Policy;
  rulesetFiles: string[];
  rulesetHashes: Record<string, string>;
  /** Shards wanted (`--shards N`, 2 or more). */
  count: number;
  runDir: string;
  staging: LocalSnapshotStaging;
  stagingDir: string;
  repo: FindingsRepository;
  packs: PackReader;
  now: () => Date;
  logger: Logger;
  reviews: ReviewEvidence;
  asOf: Date;
  /** Runs one shard once (default: a child process); tests inject failures here. */
  shardProcess?: ShardProcess;
  /** Called after each phase with the records it handled (the benchmark's stage table). */
  onPhase?: (phase: ShardPhase, records: number) => void;
}

export type ShardPhase = 'plan-shards' | 'shards' | 'reconcile';

export interface ShardedScanOutput {
  summary: ScanSummary;
  runStore: RunStore;
  report: ShardRunReport;
}

/**
 * @example
 * const { summary, runStore } = await shardedScan({ plan, sources, policy, …, count: 3 });
 */
export async function shardedScan(input: ShardedScanInput): Promise<ShardedScanOutput> {
  const { plan } = input;
  const runStore = new LocalRunStore(join(input.runDir, 'store'));
  const list = await planShardsStep({
    plan,
    sources: input.sources,
    snapshots: input.staging,
    runStore,
    shards: input.count,
  });
  input.onPhase?.('plan-shards', list.count);
  const jobDir = join(input.runDir, 'shards');
  await mkdir(jobDir, { recursive: true });
  const previousFile = join(jobDir, 'previous.json');
  await writeFile(previousFile, JSON.stringify(await input.repo.loadAll()));
  // Revocations decided in access reviews: the shards report what their check reads.
  const revoked = input.reviews.campaigns.flatMap((c) =>
    c.items.filter((i) => i.decision?.outcome === 'revoke'),
  );
  const job: ShardJob = {
    plan,
    sources: input.sources,
    policy: input.policy,
    rulesetFiles: input.rulesetFiles,
    count: list.count,
    snapshotsDir: input.stagingDir,
    runStoreDir: runStore.root,
    previousFile,
    rulesetHashes: input.rulesetHashes,
    watch: {
      principals: [...new Set(revoked.map((i) => i.principal))],
      entitlements: [...new Set(revoked.map((i) => i.entitlement))],
    },
  };
  const jobFile = join(jobDir, 'job.json');
  await writeFile(jobFile, JSON.stringify(job));
  const report = await runShards(jobFile, list.count, {
    run: input.shardProcess ?? forkShardWithHeap(shardHeapMb(DEFAULT_SHARD_MEMORY_MB)),
  });
  input.onPhase?.('shards', list.count);

  const outputs = await readShardOutputs(runStore, plan.runId, list.count);
  // The scan result stays in this process for seal, as the single scan's does: at 10x it is
  // ~1.1M findings, past the longest string V8 can make of it.
  const resultInMemory = keepInMemory(runStore, scanResultKey(plan.runId));
  const watched = watchedInventory(outputs);
  input.reviews.observe(watched, plan.runId, { asOf: input.asOf, slaDays: input.policy.slaDays });
  const summary = await reconcileShardsStep({
    plan,
    sources: input.sources,
    policy: input.policy,
    count: list.count,
    repo: input.repo,
    now: input.now,
    logger: input.logger,
    packs: input.packs,
    reservationLeaseMs: 0,
    rulesetHashes: input.rulesetHashes,
    extraDrafts: input.reviews.drafts(watched),
    outputs,
    runStore: resultInMemory,
  });
  input.onPhase?.('reconcile', summary.findings);
  return { summary, runStore: resultInMemory, report };
}

/** `store`, but `key` is kept in memory (objects handed over as they are) instead of written. */
function keepInMemory(store: RunStore, key: string): RunStore {
  const memory = new MemoryRunStore();
  return {
    put: (k, value) => (k === key ? memory.put(k, value) : store.put(k, value)),
    get: <T>(k: string) => (k === key ? memory.get<T>(k) : store.get<T>(k)),
    putLines: (k, lines) => store.putLines(k, lines),
    getLines: (k) => store.getLines(k),
    getLineBatches: (k) => runStoreLineBatches(store, k),
  };
}

/** Set in the process `scan --shards N` starts again with a larger heap, so it never loops. */
const HEAP_SET = 'ACCESSPROOF_RECONCILE_HEAP_SET';
const MB = 1024 * 1024;

/**
 * The V8 heap `scan --shards N` wants for reconcile and seal, which hold every finding of the run
 * at once in the CLI's own process (4.8 GB RSS at 10x, 1.09M findings; V8's default limit here is
 * ~4 GB): `TEN_X_RECONCILE_HEAP_MB`, at most 3/4 of the machine's memory. `undefined` when the
 * current limit is already that large (`NODE_OPTIONS=--max-old-space-size=…`, or a small machine)
 * or this process was started for it.
 *
 * @example
 * reconcileHeapMb({ limitMb: 4144, totalMb: 23_000, env: {} }); // 12288
 */
export function reconcileHeapMb(current: {
  limitMb: number;
  totalMb: number;
  env: Readonly<Record<string, string | undefined>>;
}): number | undefined {
  if (current.env[HEAP_SET]) return undefined;
  const wanted = Math.min(TEN_X_RECONCILE_HEAP_MB, Math.floor(current.totalMb * 0.75));
  return wanted > current.limitMb ? wanted : undefined;
}

/**
 * `accessproof scan --shards N` runs itself again with the heap reconcile and seal need
 * (`reconcileHeapMb`), so nobody has to pass `NODE_OPTIONS` by hand at 10x: the same arguments,
 * the same Node flags plus `--max-old-space-size`, stdio passed through. Resolves to the exit code
 * to end with, or `undefined` when this process already has the heap (then it scans itself).
 */
export async function runWithReconcileHeap(notice: (text: string) => void): Promise<number | undefined> {
  const limitMb = Math.floor(getHeapStatistics().heap_size_limit / MB);
  const heapMb = reconcileHeapMb({ limitMb, totalMb: Math.floor(totalmem() / MB), env: process.env });
  if (heapMb === undefined) return undefined;
  notice(
    `accessproof: sharded scan: reconcile and seal hold every finding at once; running with a V8 heap of ${heapMb} MB (was ${limitMb} MB)\n`,
  );
  const script = process.argv[1];
  if (!script) return undefined;
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${heapMb}`, script, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [HEAP_SET]: String(heapMb) } },
  );
  // Ctrl-C reaches the child from the terminal too; a signal sent to this process alone is passed on.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((done, fail) => {
      child.once('error', fail);
      child.once('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
