/**
 * functions/review-reminders/handler.ts on dynalite and a local SNS imitation: the due reminders go
 * out once as email-ready messages addressed by the `to` attribute; a refused publish fails the
 * invocation and records nothing, so the next run sends it.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbReviewStore } from '../../../stores/dynamodb-reviews';
import { type RunningServer, startAwsServer } from '../../support/aws-query-server/http-server';
import { createReviewsTable, type RunningDynalite, startDynalite } from '../../support/dynalite';
import { CFO, CONTROLLER, startedCampaign } from '../../unit/core/reviews/review-fixture';

const TABLE = 'reviews';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:accessproof-review-notices';
const B = 'aws.owner@example.com';
const published: URLSearchParams[] = [];
let refuse = false;
let ddb: RunningDynalite;
let sns: RunningServer;
let savedEnv: NodeJS.ProcessEnv;
let handler: (event: unknown, context: Context) => Promise<{ sent: number; campaigns: string[] }>;

function snsImitation(form: URLSearchParams) {
  if (form.get('Action') !== 'Publish') return { status: 400, contentType: 'text/xml', body: '<Error/>' };
  if (refuse) {
    return {
      status: 403,
      contentType: 'text/xml',
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not allowed</Message></Error></ErrorResponse>',
    };
  }
  published.push(form);
  return {
    status: 200,
    contentType: 'text/xml',
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-${published.length}</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

/** The value of a message attribute in a Query-protocol Publish form. */
function attribute(form: URLSearchParams, name: string): string | undefined {
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
    if (form.get(`MessageAttributes.entry.${i}.Name`) === name) {
      return form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? undefined;
    }
  }
  return undefined;
}

beforeAll(async () => {
  ddb = await startDynalite();
  await createReviewsTable(ddb.client, TABLE);
  sns = await startAwsServer({ sns: (r) => snsImitation(r.form) });
  savedEnv = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-only',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SNS: sns.endpoint,
    REVIEWS_TABLE: TABLE,
    REVIEW_NOTICES_TOPIC_ARN: TOPIC,
    APP_BASE_URL: 'https://reviews.example.com/',
    POWERTOOLS_METRICS_NAMESPACE: 'AccessProofTest',
    POWERTOOLS_SERVICE_NAME: 'review-reminders',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  ({ handler } = (await import('../../../functions/review-reminders/handler')) as unknown as {
    handler: typeof handler;
  });
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await sns?.close();
  await ddb?.stop();
});

const context = { functionName: 'review-reminders', awsRequestId: 'r-1' } as unknown as Context;

describe('review-reminders Lambda (dynalite, SNS imitation)', () => {
  it('publishes each due reminder once, addressed by `to`; a refused publish records nothing', async () => {
    // Arrange: due in two days (the handler judges at the real clock), two reviewers.
    const due = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
    const campaign = startedCampaign({
      dueAt: due,
      reviewers: { default: CONTROLLER, bySource: { 'aws-test': B }, fallback: CFO },
    });
    const store = new DynamoDbReviewStore({ tableName: TABLE, client: ddb.newClient() });
    await store.create(campaign);
    // Act
    refuse = true;
    const refused = await handler({ source: 'aws.events' }, context).catch((e: Error) => e);
    const afterRefusal = (await store.get(campaign.id))!;
    refuse = false;
    const first = await handler({ source: 'aws.events' }, context);
    const second = await handler({ source: 'aws.events' }, context);
    const stored = (await store.get(campaign.id))!;
    // Assert
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/AuthorizationError/);
    expect(afterRefusal.notices ?? []).toEqual([]);
    expect(first.sent).toBe(2);
    expect(second.sent).toBe(0);
    expect(published).toHaveLength(2);
    expect(published.map((f) => attribute(f, 'to')).sort()).toEqual([B, CONTROLLER].sort());
    for (const form of published) {
      expect(form.get('TopicArn')).toBe(TOPIC);
      expect(attribute(form, 'kind')).toBe('reminder');
      expect(form.get('Message')).toContain(`https://reviews.example.com/c/${campaign.id}`);
      expect(form.get('Subject')!.length).toBeLessThan(100);
    }
    expect(stored.notices?.map((n) => n.via)).toEqual(['sns', 'sns']);
    await store.close();
  });
});
