/**
 * Step 1 (plan): fix the run id, clock and config hash, and list the sources — an Organization
 * becomes one source per account (connectors/plan-sources.ts, as `accessproof scan` plans). An
 * Organization whose accounts cannot be listed rides along in `failed`. Distributed mode writes the
 * item list to staging for the map.
 */
import { createHash } from 'node:crypto';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import * as z from 'zod';
import { plannedSource, planSources } from '../../connectors/plan-sources';
import { planRun } from '../../core/run/plan';
import { effectivePolicy } from '../../core/run/policy-doc';
import { readEnvironment } from '../shared/environment';
import { parseEvent, runConfigSchema } from '../shared/events';
import { instrument, observability } from '../shared/observability';
import { loadRunConfig, parseRunConfig } from '../shared/run-config';
import { runItemsKey, runItemsObjectKey, s3Client, stagingStores } from '../shared/staging';
import { TOOL_VERSION } from '../shared/tool-version';

const obs = observability();
const { PLAN_ITEMS, RUN_CONFIG_BUCKET_OWNER, MAX_ORGANIZATION_ACCOUNTS } = readEnvironment([
  'PLAN_ITEMS',
  'RUN_CONFIG_BUCKET_OWNER',
  'MAX_ORGANIZATION_ACCOUNTS',
]);
const s3 = s3Client(obs);
const organizations = obs.tracer.captureAWSv3Client(new OrganizationsClient({}));
const staging = PLAN_ITEMS === 's3' ? readEnvironment(['STAGING_BUCKET', 'STAGING_BUCKET_OWNER']) : undefined;
const itemStore = staging
  ? stagingStores(s3, {
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
  const { config, inputs, rulesets, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, RUN_CONFIG_BUCKET_OWNER),
  );
  const { sources, failed } = await planSources(config.sources, {
    rulesets,
    organizations: { organizations, logger: obs.core },
    ...(MAX_ORGANIZATION_ACCOUNTS !== undefined ? { maxAccounts: MAX_ORGANIZATION_ACCOUNTS } : {}),
  });
  const startedAt = new Date(execution.startedAt);
  // The nonce comes from the execution name, so a retried plan gets the same run id.
  const nonce = createHash('sha256').update(execution.name).digest('hex').slice(0, 8);
  const plan = planRun({
    config,
    inputs,
    // As `accessproof scan`: configSha256 is the SHA-256 of the policy.json the seal step writes.
    policySha256: effectivePolicy(config, rulesetTexts).sha256,
    startedAt,
    asOf: startedAt,
    nonce,
    toolVersion: TOOL_VERSION,
    sources: sources.map(plannedSource),
  });
  obs.logger.info('run planned', { runId: plan.runId, sources: sources.length, failed: failed.length });
  if (!itemStore || !staging) return { ...plan, sources, failed }; // inline Map: it iterates the full source configs
  await itemStore.put(runItemsKey(plan.runId), sources);
  return {
    ...plan,
    failed,
    items: { bucket: staging.STAGING_BUCKET, key: runItemsObjectKey(plan.runId), count: sources.length },
  };
});
