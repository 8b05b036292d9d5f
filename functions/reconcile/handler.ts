/**
 * Sharded scan, step 3 (issue 18, docs/sharding.md): every shard's output or nothing; the same
 * lifecycle as the single scan; the same ScanSummary at `$.scan` for seal. With the reviewer app on,
 * the revocations of the campaigns plan-shards read are checked against what the shards reported
 * (REVIEW-REVOKE-NOT-DONE past the SLA) and the review records go to seal, as the scan step does.
 */
import * as z from 'zod';
import { effectivePolicy } from '../../core/run/policy-doc';
import { readShardOutputs, reconcileShardsStep } from '../../core/run/reconcile-shards';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import {
  collectedSchema,
  parseEvent,
  runConfigSchema,
  runPlanSchema,
  shardListSchema,
} from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { handReviewsToSeal, shardedRevocations } from '../shared/review-evidence';
import { loadRunConfig, parseRunConfig } from '../shared/run-config';
import { s3Client, stagingStores } from '../shared/staging';

const obs = observability();
const env = readEnvironment([
  'STAGING_BUCKET',
  'STAGING_BUCKET_OWNER',
  'FINDINGS_TABLE',
  'EVIDENCE_BUCKET',
  'EVIDENCE_PREFIX',
  'EVIDENCE_BUCKET_OWNER',
  'RESERVATION_LEASE_MS',
  'RUN_CONFIG_BUCKET_OWNER',
]);
const s3 = s3Client(obs);
const { runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const reconcileEvent = z.object({
  plan: runPlanSchema,
  runConfig: runConfigSchema,
  collected: collectedSchema,
  shards: shardListSchema,
});

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected, shards } = parseEvent(reconcileEvent, event, 'reconcile');
  const { config, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  const outputs = await readShardOutputs(runStore, plan.runId, shards.count);
  const reviews = await shardedRevocations(runStore, plan.runId, outputs);
  const asOf = new Date(plan.asOf);
  reviews?.evidence.observe(reviews.inventory, plan.runId, { asOf, slaDays: config.policy.slaDays });
  const summary = await reconcileShardsStep({
    plan,
    sources: await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER),
    policy: config.policy,
    count: shards.count,
    repo,
    runStore,
    packs: evidencePackReader(s3, env),
    now: () => new Date(),
    logger: obs.core,
    rulesetHashes: Object.fromEntries(
      effectivePolicy(config, rulesetTexts).document.rulesets.map((r) => [r.id, r.sha256]),
    ),
    ...(env.RESERVATION_LEASE_MS ? { reservationLeaseMs: env.RESERVATION_LEASE_MS } : {}),
    ...(reviews ? { extraDrafts: reviews.evidence.drafts(reviews.inventory) } : {}),
    outputs,
  });
  if (reviews) {
    const totals = await handReviewsToSeal(runStore, plan.runId, reviews.evidence, asOf);
    if (totals) obs.logger.info('revocations', { ...totals });
  }
  return summary;
});
