/**
 * Step 3 (scan): settle a run that crashed before committing (as `accessproof scan` does first),
 * then correlate, evaluate the rules and reconcile findings; the full result goes to the run store.
 * With the reviewer app on, every revocation decided in the reviews table is checked against the
 * run's inventory (REVIEW-REVOKE-NOT-DONE past its SLA) and the review records go to the seal step.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { RevocationEvidence } from '../../core/reviews/revocation-evidence';
import { effectivePolicy } from '../../core/run/policy-doc';
import { scanStep } from '../../core/run/scan';
import { DynamoDbReviewStore } from '../../stores/dynamodb-reviews/dynamodb-review-store';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { collectedSchema, parseEvent, runConfigSchema, runPlanSchema } from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { handReviewsToSeal } from '../shared/review-evidence';
import { compileRunRulesetsOnce, loadRunConfig, parseRunConfig } from '../shared/run-config';
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
  'REVIEWS_TABLE',
]);
const s3 = s3Client(obs);
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
// Set by the CDK only with the reviewer app on (AppFunction.bindReviewsReader: read only).
const reviewStore = env.REVIEWS_TABLE
  ? new DynamoDbReviewStore({
      tableName: env.REVIEWS_TABLE,
      client: obs.tracer.captureAWSv3Client(new DynamoDBClient({})),
    })
  : undefined;
const scanEvent = z.object({ plan: runPlanSchema, runConfig: runConfigSchema, collected: collectedSchema });

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected } = parseEvent(scanEvent, event, 'scan');
  const { config, rulesets, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  const packs = evidencePackReader(s3, env);
  const sod = await compileRunRulesetsOnce(rulesets);
  // Campaigns as they stand when the run begins (decisions recorded later reach the next pack).
  const reviews = reviewStore ? new RevocationEvidence(await reviewStore.list()) : undefined;
  const asOf = new Date(plan.asOf);
  const summary = await scanStep({
    plan,
    sources,
    policy: config.policy,
    sod,
    snapshots,
    repo,
    runStore,
    packs,
    now: () => new Date(),
    logger: obs.core,
    rulesetHashes: Object.fromEntries(
      effectivePolicy(config, rulesetTexts).document.rulesets.map((r) => [r.id, r.sha256]),
    ),
    ...(env.RESERVATION_LEASE_MS ? { reservationLeaseMs: env.RESERVATION_LEASE_MS } : {}),
    ...(reviews
      ? {
          onInventory: (inv) => reviews.observe(inv, plan.runId, { asOf, slaDays: config.policy.slaDays }),
          extraDrafts: (inv) => reviews.drafts(inv),
        }
      : {}),
  });
  if (reviews) {
    const totals = await handReviewsToSeal(runStore, plan.runId, reviews, asOf);
    if (totals) obs.logger.info('revocations', { ...totals });
  }
  return summary;
});
