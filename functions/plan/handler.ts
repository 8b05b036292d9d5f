/**
 * Step 1 (plan): fix the run id, clock and config hash, and list the sources — an Organization
 * becomes one source per account. Distributed mode writes the item list to staging for the map.
 */
import { createHash } from 'node:crypto';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { z } from 'zod';
import { planRun } from '../../core/run/plan';
import { readEnvironment } from '../shared/environment';
import { parseEvent, runConfigSchema } from '../shared/events';
import { instrument, observability } from '../shared/observability';
import { plannedSource, planSources } from '../shared/planned-sources';
import { parseRunConfig } from '../shared/run-config';
import { runItemsKey, runItemsObjectKey, s3Client, stagingStores } from '../shared/staging';
import { TOOL_VERSION } from '../shared/tool-version';

const obs = observability();
const { PLAN_ITEMS } = readEnvironment(['PLAN_ITEMS']);
const organizations = obs.tracer.captureAWSv3Client(new OrganizationsClient({}));
const staging = PLAN_ITEMS === 's3' ? readEnvironment(['STAGING_BUCKET', 'STAGING_BUCKET_OWNER']) : undefined;
const itemStore = staging
  ? stagingStores(s3Client(obs), {
      bucket: staging.STAGING_BUCKET,
      expectedBucketOwner: staging.STAGING_BUCKET_OWNER,
    }).runStore
  : undefined;
const planEvent = z.object({
  execution: z.object({ name: z.string().min(1), startedAt: z.iso.datetime({ offset: true }) }),
  runConfig: runConfigSchema,
});

export const handler = instrument(obs, async (event: unknown) => {
  const { execution, runConfig } = parseEvent(planEvent, event, 'plan');
  const { config, inputs, rulesets } = parseRunConfig(runConfig);
  const sources = await planSources(config, rulesets, { organizations, logger: obs.core });
  const startedAt = new Date(execution.startedAt);
  // The nonce comes from the execution name, so a retried plan gets the same run id.
  const nonce = createHash('sha256').update(execution.name).digest('hex').slice(0, 8);
  const plan = planRun({
    config,
    inputs,
    startedAt,
    asOf: startedAt,
    nonce,
    toolVersion: TOOL_VERSION,
    sources: sources.map(plannedSource),
  });
  obs.logger.info('run planned', { runId: plan.runId, sources: sources.length });
  if (!itemStore || !staging) return { ...plan, sources }; // inline Map: it iterates the full source configs
  await itemStore.put(runItemsKey(plan.runId), sources);
  return {
    ...plan,
    items: { bucket: staging.STAGING_BUCKET, key: runItemsObjectKey(plan.runId), count: sources.length },
  };
});
