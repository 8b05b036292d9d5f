/**
 * Sharded scan, step 1 (issue 18, docs/sharding.md): merge the sources' key indexes, correlate,
 * store per shard the principals it owns; returns the shard list the Distributed Map runs over.
 * With the reviewer app on, it also stores the campaigns as the run begins and their revocations'
 * watch list (issue 17) for the shards and reconcile.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { planShardsStep } from '../../core/run/shard-plan';
import { DynamoDbReviewStore } from '../../stores/dynamodb-reviews/dynamodb-review-store';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { collectedSchema, parseEvent, runPlanSchema } from '../shared/events';
import { instrument, observability } from '../shared/observability';
import { snapshotReviewsForShards } from '../shared/review-evidence';
import { s3Client, stagingStores } from '../shared/staging';

const obs = observability();
const env = readEnvironment([
  'STAGING_BUCKET',
  'STAGING_BUCKET_OWNER',
  'SHARD_MEMORY_BUDGET_MB',
  'REVIEWS_TABLE',
]);
const s3 = s3Client(obs);
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
// Set by the CDK only with the reviewer app on (AppFunction.bindReviewsReader: read only).
const reviewStore = env.REVIEWS_TABLE
  ? new DynamoDbReviewStore({
      tableName: env.REVIEWS_TABLE,
      client: obs.tracer.captureAWSv3Client(new DynamoDBClient({})),
    })
  : undefined;
const planShardsEvent = z.object({ plan: runPlanSchema, collected: collectedSchema });

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, collected } = parseEvent(planShardsEvent, event, 'plan-shards');
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  if (reviewStore) await snapshotReviewsForShards(runStore, plan.runId, reviewStore);
  return planShardsStep({
    plan,
    sources,
    snapshots,
    runStore,
    ...(env.SHARD_MEMORY_BUDGET_MB ? { memoryBudgetMb: env.SHARD_MEMORY_BUDGET_MB } : {}),
  });
});
