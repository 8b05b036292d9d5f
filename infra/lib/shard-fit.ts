/**
 * Lambda fit of the sharded scan (issue 18, docs/sharding.md): the memory each step gets, derived
 * from the shard memory budget, and the synth-time check that at ten times the benchmark
 * enterprise (1M people, 500k NHIs, 20M grants) with the shard count plan-shards would choose, no
 * step needs more memory than its Lambda has or more than its timeout.
 *
 * The per-step figures come from `npm run bench -- --size 10x`, which writes
 * `bench/results/shard-figures-10x.json` (committed from a real run: `source: 'measured'`); without that file the estimate of core/run/shard-plan.ts
 * stands in, and says so (`source: 'estimate'`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  chooseShardCount,
  DEFAULT_SHARD_MEMORY_MB,
  estimatePlanShardsMb,
  estimateShard,
  type InventorySize,
} from '../../core/run/shard-plan';

export const LAMBDA_MAX_MEMORY_MB = 10_240;
/** Shards the Distributed Map runs at once unless `sharding.maxConcurrency` says. */
export const SHARD_MAP_CONCURRENCY = 40;
/** Attempts of one shard in the Map (the first and its retries). */
export const SHARD_ATTEMPTS_IN_MAP = 3;
export const LAMBDA_MAX_SECONDS = 900;

/** The 10x enterprise of issue 18 as the sources' counts announce it. */
export const TEN_X: InventorySize = {
  principals: 1_500_000,
  entitlements: 60_000,
  grants: 20_000_000,
  people: 1_000_000,
};

/** What one sharded scan at 10x needs per step (measured by the bench, or estimated). */
export interface ShardFigures {
  /** `measured`: `bench/results/shard-figures-10x.json` from a real 10x run; else the estimate. */
  source: 'measured' | 'estimate';
  shards: number;
  maxShardRssMb: number;
  shardSeconds: number;
  planShardsRssMb: number;
  planShardsSeconds: number;
  reconcileRssMb: number;
  reconcileSeconds: number;
  /**
   * CPU seconds (user + system) of the same steps, when the bench measured them: what the fit check
   * compares with a Lambda's timeout. The bench runs at nice 19 on a shared 2-core machine, where
   * wall time is mostly waiting for the others; a Lambda has its vCPUs to itself.
   */
  shardCpuSeconds?: number;
  planShardsCpuSeconds?: number;
  reconcileCpuSeconds?: number;
}

export interface ShardStepMemory {
  planShards: number;
  scanShard: number;
  reconcile: number;
}

const roundUp = (mb: number) => Math.min(LAMBDA_MAX_MEMORY_MB, Math.ceil(mb / 64) * 64);

/**
 * Lambda memory per step for a shard budget: a shard gets its budget plus a quarter (the Node heap
 * is not the whole RSS; the shard count keeps each shard under the budget). plan-shards holds every
 * key record of the run and reconcile every draft, the stored findings and the result: they grow
 * with the inventory, not with the budget, so they get the larger of a budget-derived size and the
 * 10x figures plus a quarter (`figures`), at most a Lambda's 10,240 MB (the fit check says when
 * even that is short).
 */
export function shardStepMemory(
  budgetMb = DEFAULT_SHARD_MEMORY_MB,
  figures?: Pick<ShardFigures, 'planShardsRssMb' | 'reconcileRssMb'>,
): ShardStepMemory {
  if (!Number.isInteger(budgetMb) || budgetMb < 256 || budgetMb > 8192)
    throw new Error(`sharding.memoryBudgetMb must be a whole number 256…8192, got ${budgetMb}`);
  return {
    planShards: roundUp(Math.max(budgetMb, figures?.planShardsRssMb ?? 0) * 1.25),
    scanShard: roundUp(budgetMb * 1.25),
    reconcile: roundUp(Math.max(budgetMb * 2, (figures?.reconcileRssMb ?? 0) * 1.25)),
  };
}

/** Figures from the bench's file, else the estimate for `budgetMb`. */
export function shardFigures(projectRoot: string, budgetMb = DEFAULT_SHARD_MEMORY_MB): ShardFigures {
  const file = join(projectRoot, 'bench', 'results', 'shard-figures-10x.json');
  if (existsSync(file)) {
    const f = JSON.parse(readFileSync(file, 'utf8')) as Partial<ShardFigures>;
    const need = [
      'shards',
      'maxShardRssMb',
      'shardSeconds',
      'planShardsRssMb',
      'planShardsSeconds',
      'reconcileRssMb',
      'reconcileSeconds',
    ] as const;
    for (const k of need)
      if (typeof f[k] !== 'number') throw new Error(`${file}: field ${k} is missing or not a number`);
    const n = (v: number | undefined) => v ?? 0;
    const cpu = (k: 'shardCpuSeconds' | 'planShardsCpuSeconds' | 'reconcileCpuSeconds') => {
      const v = f[k];
      if (v === undefined) return {};
      if (typeof v !== 'number') throw new Error(`${file}: field ${k} is not a number`);
      return { [k]: v };
    };
    return {
      ...cpu('shardCpuSeconds'),
      ...cpu('planShardsCpuSeconds'),
      ...cpu('reconcileCpuSeconds'),
      source: 'measured',
      shards: n(f.shards),
      maxShardRssMb: n(f.maxShardRssMb),
      shardSeconds: n(f.shardSeconds),
      planShardsRssMb: n(f.planShardsRssMb),
      planShardsSeconds: n(f.planShardsSeconds),
      reconcileRssMb: n(f.reconcileRssMb),
      reconcileSeconds: n(f.reconcileSeconds),
    };
  }
  const shards = chooseShardCount(TEN_X, budgetMb);
  const e = estimateShard(TEN_X, shards);
  return {
    source: 'estimate',
    shards,
    maxShardRssMb: e.totalMb,
    // Not measured end to end: at 10x with 7 shards a shard took 137 s of CPU (12 minutes of wall
    // time at nice 19 on a machine at load 20); a Lambda has its vCPUs to itself.
    shardSeconds: 300,
    planShardsRssMb: estimatePlanShardsMb(TEN_X),
    planShardsSeconds: 60,
    reconcileRssMb: Math.ceil(budgetMb * 1.2),
    reconcileSeconds: 60,
  };
}

/**
 * Throws, naming the step and both figures, when a step at 10x needs more memory than its Lambda
 * has or more time than its timeout.
 *
 * @example
 * checkShardFit(shardFigures(root), shardStepMemory(2048), { planShards: 900, scanShard: 900, reconcile: 900 });
 */
export function checkShardFit(
  figures: ShardFigures,
  memory: ShardStepMemory,
  timeoutSeconds: ShardStepMemory,
): void {
  const problems: string[] = [];
  const check = (step: keyof ShardStepMemory, rssMb: number, seconds: number) => {
    if (rssMb > memory[step])
      problems.push(
        `${step} needs ${rssMb} MB at 10x (${figures.source}), its Lambda has ${memory[step]} MB`,
      );
    const limit = Math.min(timeoutSeconds[step], LAMBDA_MAX_SECONDS);
    if (seconds > limit)
      problems.push(`${step} needs ${seconds} s at 10x (${figures.source}), its timeout is ${limit} s`);
  };
  check('scanShard', figures.maxShardRssMb, figures.shardCpuSeconds ?? figures.shardSeconds);
  check('planShards', figures.planShardsRssMb, figures.planShardsCpuSeconds ?? figures.planShardsSeconds);
  check('reconcile', figures.reconcileRssMb, figures.reconcileCpuSeconds ?? figures.reconcileSeconds);
  if (problems.length > 0)
    throw new Error(
      `sharded scan does not fit its Lambdas with ${figures.shards} shards: ${problems.join('; ')} (raise sharding.memoryBudgetMb or the step's memory/timeout)`,
    );
}
