/**
 * The campaign owner's screens in AWS (issue 17): the same router and pages as `accessproof serve`'s
 * `/o` (core/reviews/web/owner.ts), behind the reviewer app's HTTP API routes `/o` and `/o/*` and
 * its JWT authorizer. The owner is the verified email, one of `reviews.campaignOwners`. A function
 * of its own because it is the only one that reads the evidence bucket: a campaign's population is
 * the chain head's sealed inventory, read by object version (the reader `verify` uses).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { loadPackInventory } from '../../core/reviews/pack-inventory';
import { createReviewApp } from '../../core/reviews/web/app';
import { DynamoDbFindingsRepository } from '../../stores/dynamodb-findings';
import { gunzipLines } from '../../stores/sqlite-reviews/gunzip-lines';
import { evidencePackReader } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { dynamoDbReviewAppPorts } from '../shared/review-app-ports';
import { readReviewStartEnvironment } from '../shared/reviews-environment';
import { httpApiHandler } from '../shared/reviews-http';

const obs = observability();
const env = readReviewStartEnvironment();
const ddb = obs.tracer.captureAWSv3Client(new DynamoDBClient({}));
const s3 = obs.tracer.captureAWSv3Client(
  new S3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' }),
);
const findings = new DynamoDbFindingsRepository({ tableName: env.FINDINGS_TABLE, client: ddb });
const appUrl = env.APP_BASE_URL?.replace(/\/+$/, '');

const app = createReviewApp({
  ...(await dynamoDbReviewAppPorts(obs, ddb, env.REVIEWS_TABLE)),
  owners: env.REVIEW_OWNERS,
  campaignBase: {
    // A fresh pack reader per campaign: it caches the bucket listing.
    latestPack: () => loadPackInventory(evidencePackReader(s3, env), gunzipLines),
    openFindings: async () =>
      (await findings.loadAll()).filter((f) => f.status === 'open' || f.status === 'reopened'),
  },
  // Reviewers sign in through the IdP: their link is the campaign's page of the app.
  ...(appUrl ? { reviewerLink: (c: { id: string }) => `${appUrl}/c/${encodeURIComponent(c.id)}` } : {}),
});

export const handler = instrument(
  obs,
  httpApiHandler(app, { trustedProviders: env.IDENTITY_PROVIDER ? [env.IDENTITY_PROVIDER] : [] }),
);
