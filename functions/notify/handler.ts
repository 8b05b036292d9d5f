/**
 * Step 5 (notify): one EventBridge event per new, reopened or overdue finding and the run digest
 * on the SNS topic.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { runMetrics } from '../../core/run/metrics';
import { notifyStep } from '../../core/run/notify';
import { SecurityHubImporter } from '../../stores/security-hub/security-hub-importer';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { EventBridgeSnsNotifier } from '../shared/eventbridge-sns-notifier';
import {
  collectedSchema,
  parseEvent,
  runPlanSchema,
  scanSummarySchema,
  sealedRunSchema,
} from '../shared/events';
import { emitRunMetrics, instrument, observability } from '../shared/observability';
import { s3Client, stagingStores } from '../shared/staging';

const obs = observability();
const env = readEnvironment([
  'STAGING_BUCKET',
  'STAGING_BUCKET_OWNER',
  'FINDINGS_EVENT_BUS',
  'NOTIFY_TOPIC_ARN',
  'SECURITY_HUB_PRODUCT_ARN',
]);
const s3 = s3Client(obs);
const { runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const notifier = new EventBridgeSnsNotifier({
  events: obs.tracer.captureAWSv3Client(new EventBridgeClient({})),
  sns: obs.tracer.captureAWSv3Client(new SNSClient({})),
  eventBusName: env.FINDINGS_EVENT_BUS,
  topicArn: env.NOTIFY_TOPIC_ARN,
});
// Opt-in (`securityHub: true`): throttled imports are retried, and the adaptive mode slows the
// client down to the account's rate (10 calls a second) instead of spending its retries.
const productArn = env.SECURITY_HUB_PRODUCT_ARN;
const securityHub = productArn
  ? {
      productArn,
      importer: new SecurityHubImporter({
        client: obs.tracer.captureAWSv3Client(
          new SecurityHubClient({ maxAttempts: 6, retryMode: 'adaptive' }),
        ),
        productArn,
      }),
    }
  : undefined;
const notifyEvent = z.object({
  plan: runPlanSchema,
  collected: collectedSchema,
  scan: scanSummarySchema,
  seal: sealedRunSchema,
});

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, collected, scan, seal } = parseEvent(notifyEvent, event, 'notify');
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  const digest = await notifyStep({
    resultKey: scan.resultKey,
    runStore,
    sealed: seal,
    sources,
    asOf: new Date(plan.asOf),
    notifier,
    ...(securityHub ? { securityHub } : {}),
  });
  emitRunMetrics(obs, runMetrics(digest));
  return digest;
});
