/**
 * Campaign start in AWS (issue 17): the owner's form and its POST behind the reviewer app's HTTP API
 * (routes `/owner/*`, same JWT authorizer). The only function that reads the evidence bucket: the
 * campaign's population is the chain head's sealed inventory, read by object version, built by the
 * same core as `accessproof review start` (functions/shared/review-start.ts, core/reviews/create.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { loadPackInventory } from '../../core/reviews/pack-inventory';
import { DynamoDbFindingsRepository } from '../../stores/dynamodb-findings';
import {
  DynamoDbReviewStore,
  dynamoDbAuditAppender,
  loadOrCreateAppKey,
} from '../../stores/dynamodb-reviews';
import { gunzipLines } from '../../stores/sqlite-reviews/gunzip-lines';
import { evidencePackReader } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { campaignStartHandler } from '../shared/review-start';
import { readReviewStartEnvironment } from '../shared/reviews-environment';

const obs = observability();
const env = readReviewStartEnvironment();
const ddb = obs.tracer.captureAWSv3Client(new DynamoDBClient({}));
const s3 = obs.tracer.captureAWSv3Client(
  new S3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' }),
);
const store = new DynamoDbReviewStore({ tableName: env.REVIEWS_TABLE, client: ddb });
const findings = new DynamoDbFindingsRepository({ tableName: env.FINDINGS_TABLE, client: ddb });
const appendAudit = dynamoDbAuditAppender(ddb, env.REVIEWS_TABLE);

const start = campaignStartHandler({
  owners: env.REVIEW_OWNERS,
  trustedProviders: env.IDENTITY_PROVIDER ? [env.IDENTITY_PROVIDER] : [],
  key: await loadOrCreateAppKey(ddb, env.REVIEWS_TABLE),
  now: () => new Date(),
  audit: async (entry) => {
    await appendAudit(entry);
    obs.logger.info('review audit', { action: entry.action, outcome: entry.outcome, status: entry.status });
  },
  // A fresh pack reader per request: it caches the bucket listing.
  start: () => ({
    base: {
      latestPack: () => loadPackInventory(evidencePackReader(s3, env), gunzipLines),
      openFindings: async () =>
        (await findings.loadAll()).filter((f) => f.status === 'open' || f.status === 'reopened'),
    },
    store,
  }),
});

export const handler = instrument(obs, async (event: unknown) => start(event));
