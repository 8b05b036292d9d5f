/**
 * Sharded scan, step 1 (issue 18, docs/sharding.md): merge the sources' key indexes, correlate,
 * store per shard the principals it owns; returns the shard list the Distributed Map runs over.
 */
import * as z from 'zod';
import { planShardsStep } from '../../core/run/shard-plan';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { collectedSchema, parseEvent, runPlanSchema } from '../shared/events';
import { instrument, observability } from '../shared/observability';
import { s3Client, stagingStores } from '../shared/staging';

const obs = observability();
const env = readEnvironment(['STAGING_BUCKET', 'STAGING_BUCKET_OWNER', 'SHARD_MEMORY_BUDGET_MB']);
const s3 = s3Client(obs);
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const planShardsEvent = z.object({ plan: runPlanSchema, collected: collectedSchema });

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, collected } = parseEvent(planShardsEvent, event, 'plan-shards');
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  return planShardsStep({
    plan,
    sources,
    snapshots,
    runStore,
    ...(env.SHARD_MEMORY_BUDGET_MB ? { memoryBudgetMb: env.SHARD_MEMORY_BUDGET_MB } : {}),
  });
});
