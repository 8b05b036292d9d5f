/**
 * Step 4 (seal): write the evidence pack into the object-locked bucket, sign its manifest with
 * KMS, and advance the findings store and the chain head.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { reportCampaigns } from '../../core/reviews/evidence';
import { sealMetrics } from '../../core/run/metrics';
import { effectivePolicy } from '../../core/run/policy-doc';
import { sealStep } from '../../core/run/seal';
import { beginAuditSeal } from '../../stores/dynamodb-reviews/audit-seal';
import { DynamoDbReviewStore } from '../../stores/dynamodb-reviews/dynamodb-review-store';
import { KmsSigner } from '../../stores/kms-signer/kms-signer';
import { S3EvidenceStore } from '../../stores/s3-evidence/s3-evidence-store';
import { SnsHeadAnchor } from '../../stores/sns-anchor/sns-head-anchor';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import {
  collectedSchema,
  parseEvent,
  runConfigSchema,
  runPlanSchema,
  scanSummarySchema,
} from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { emitRunMetrics, instrument, observability } from '../shared/observability';
import { reviewsForSeal } from '../shared/review-evidence';
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
  'EVIDENCE_RETENTION_DAYS',
  'SIGNING_KEY_ARN',
  'ANCHOR_TOPIC_ARN',
  'RUN_CONFIG_BUCKET_OWNER',
  'REVIEWS_TABLE',
  'REVIEW_AUDIT_SETTLE_SECONDS',
]);
const s3 = s3Client(obs);
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const writer = new S3EvidenceStore({
  client: s3,
  bucket: env.EVIDENCE_BUCKET,
  prefix: env.EVIDENCE_PREFIX,
  expectedBucketOwner: env.EVIDENCE_BUCKET_OWNER,
  retentionDays: env.EVIDENCE_RETENTION_DAYS,
  now: () => new Date(),
});
const signer = new KmsSigner({
  client: obs.tracer.captureAWSv3Client(new KMSClient({})),
  keyId: env.SIGNING_KEY_ARN,
});
const anchor = new SnsHeadAnchor({
  client: obs.tracer.captureAWSv3Client(new SNSClient({})),
  topicArn: env.ANCHOR_TOPIC_ARN,
});
// Set by the CDK only with the reviewer app on (AppFunction.bindReviewsReader): every campaign in
// the reviews table goes into the pack under reviews/, as `accessproof scan` seals reviews.db.
const reviewsClient = env.REVIEWS_TABLE ? obs.tracer.captureAWSv3Client(new DynamoDBClient({})) : undefined;
const reviewStore =
  env.REVIEWS_TABLE && reviewsClient
    ? new DynamoDbReviewStore({ tableName: env.REVIEWS_TABLE, client: reviewsClient })
    : undefined;
const sealEvent = z.object({
  plan: runPlanSchema,
  runConfig: runConfigSchema,
  collected: collectedSchema,
  scan: scanSummarySchema,
});

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected, scan } = parseEvent(sealEvent, event, 'seal');
  // The effective policy from the same staged config and rulesets plan and scan read (the staged
  // object is checked against its SHA-256): plan hashed exactly these bytes into configSha256.
  const { config, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  const policy = effectivePolicy(config, rulesetTexts);
  if (policy.sha256 !== plan.configSha256)
    throw new Error(
      `the run config changed since plan: policy.json has SHA-256 ${policy.sha256}, the plan recorded ${plan.configSha256}`,
    );
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  // The records the scan step built with each revocation checked against the run's inventory;
  // without them (a scan without the reviews table) the campaigns as they stand, without proof.
  const reviews = await reviewsForSeal(runStore, plan.runId, reviewStore, new Date(plan.asOf));
  const reviewArtefacts = reviews.artefacts;
  // The reviewer app's requests since the previous pack (AUDIT# rows), each sealed once: the
  // marker moves only after the pack is committed (stores/dynamodb-reviews/audit-seal.ts).
  const audit =
    env.REVIEWS_TABLE && reviewsClient
      ? await beginAuditSeal(reviewsClient, env.REVIEWS_TABLE, {
          runId: plan.runId,
          now: new Date(),
          ...(env.REVIEW_AUDIT_SETTLE_SECONDS !== undefined
            ? { settleMs: env.REVIEW_AUDIT_SETTLE_SECONDS * 1000 }
            : {}),
          isSealed: async (runId) =>
            (await evidencePackReader(s3, env).listPacks()).some((p) => p.runId === runId),
        })
      : undefined;
  const finishedAt = new Date();
  const sealed = await sealStep({
    plan,
    sources,
    resultKey: scan.resultKey,
    runStore,
    snapshots,
    writer,
    signer,
    anchor,
    repo,
    // A re-delivered seal commits the pack its first attempt published.
    packs: evidencePackReader(s3, env),
    finishedAt,
    logger: obs.core,
    ...(reviewStore || reviews.proven ? { campaigns: reportCampaigns(reviewArtefacts) } : {}),
    extraArtefacts: [
      { path: 'policy.json', content: policy.bytes, records: 0 },
      ...reviewArtefacts,
      ...(audit?.artefact ? [audit.artefact] : []),
    ],
  });
  await audit?.commit();
  emitRunMetrics(obs, sealMetrics(plan.startedAt, finishedAt));
  return sealed;
});
