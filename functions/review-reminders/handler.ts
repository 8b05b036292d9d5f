/**
 * Review reminders in AWS, on an EventBridge schedule: every open campaign's due reminders (due − 3
 * days, due) and escalations (after due) go to the notices SNS topic as email-ready text, each
 * recorded on its campaign once delivered (core/reviews/reminders.ts), so a retry or a second
 * schedule sends nothing twice. Links point at the app, where the IdP signs the reviewer in.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { sendDueNotices } from '../../core/reviews/reminders';
import { DynamoDbReviewStore } from '../../stores/dynamodb-reviews';
import { SnsNoticeDelivery } from '../../stores/sns-notices/sns-notice-delivery';
import { instrument, observability } from '../shared/observability';
import { readRemindersEnvironment } from '../shared/reviews-environment';

const obs = observability();
const env = readRemindersEnvironment();
const store = new DynamoDbReviewStore({
  tableName: env.REVIEWS_TABLE,
  client: obs.tracer.captureAWSv3Client(new DynamoDBClient({})),
});
const sns = new SnsNoticeDelivery({
  client: obs.tracer.captureAWSv3Client(new SNSClient({})),
  topicArn: env.REVIEW_NOTICES_TOPIC_ARN,
});
const base = env.APP_BASE_URL.replace(/\/+$/, '');

export const handler = instrument(obs, async (_event: unknown) => {
  const results = await sendDueNotices(store, sns, new Date(), {
    linkFor: (c) => `${base}/c/${encodeURIComponent(c.id)}`,
  });
  const sent = results.reduce((n, r) => n + r.sent.length, 0);
  const failed = results.flatMap((r) => r.failed.map((f) => `${r.campaignId}: ${f.error}`));
  obs.logger.info('review notices', { sent, failed: failed.length });
  // Failing the invocation lets the schedule's retry send what is missing (sent ones are recorded).
  if (failed.length > 0) throw new Error(`${failed.length} review notice(s) not sent: ${failed[0]}`);
  return { sent, campaigns: results.map((r) => r.campaignId) };
});
