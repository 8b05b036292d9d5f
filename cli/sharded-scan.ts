/**
 * The scan step of `accessproof scan --shards N` (issue 18, docs/sharding.md): plan-shards in this
 * process, the shards in child processes (cli/shard-runner.ts), reconcile here. The result lands in
 * the run store under the same key and in the same form as the single scan's, for the same seal.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Policy } from '../core/config';
import type { Logger } from '../core/connector';
import type { PackReader } from '../core/evidence/ports';
import type { FindingsRepository } from '../core/findings/repository';
import { MemoryRunStore, type RunStore } from '../core/ports';
import { readShardOutputs, reconcileShardsStep, watchedInventory } from '../core/run/reconcile-shards';
import { type ScanSummary, scanResultKey } from '../core/run/scan';
import { DEFAULT_SHARD_MEMORY_MB, planShardsStep } from '../core/run/shard-plan';
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
  };
}
