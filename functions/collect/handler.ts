/**
 * Step 2 (collect), once per source and again per cursor: drive the connector until it completes,
 * fails, or nears the Lambda deadline (then it returns a cursor and the state machine calls again).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { collectStep } from '../../core/run/collect';
import { readEnvironment } from '../shared/environment';
import { collectEventSchema, parseEvent } from '../shared/events';
import { instrument, observability } from '../shared/observability';
import { s3Client, stagingStores } from '../shared/staging';
import { lambdaConnectors, withDeploymentExternalId } from './connectors';

/** Stop this long before the deadline: time to flush a part and write the checkpoint. */
const DEADLINE_MARGIN_MS = 90_000;

const obs = observability();
const env = readEnvironment(['STAGING_BUCKET', 'STAGING_BUCKET_OWNER', 'SOURCE_SECRETS', 'EXTERNAL_ID']);
const s3 = s3Client(obs);
const { snapshots } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const connectors = lambdaConnectors(
  obs.tracer.captureAWSv3Client(new SecretsManagerClient({})),
  env.SOURCE_SECRETS,
);

export const handler = instrument(obs, async (event: unknown, context: Context) => {
  const { runId, source: planned, cursor } = parseEvent(collectEventSchema, event, 'collect');
  const source = withDeploymentExternalId(planned, env.EXTERNAL_ID);
  obs.logger.appendKeys({ runId, sourceId: source.id, system: source.system, resumed: Boolean(cursor) });
  return collectStep({
    connector: await connectors(source),
    source,
    key: `${runId}/${source.id}`,
    staging: snapshots,
    now: () => new Date(),
    deadline: { remainingMs: () => context.getRemainingTimeInMillis(), marginMs: DEADLINE_MARGIN_MS },
    ...(cursor ? { cursor } : {}),
    logger: obs.core,
  });
});
