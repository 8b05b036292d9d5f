/**
 * Sharded scan, step 3 (issue 18, docs/sharding.md): every shard's output or nothing; the same
 * lifecycle as the single scan; the same ScanSummary at `$.scan` for seal.
 */
import * as z from 'zod';
import { effectivePolicy } from '../../core/run/policy-doc';
import { reconcileShardsStep } from '../../core/run/reconcile-shards';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import {
  collectedSchema,
  parseEvent,
  runConfigSchema,
  runPlanSchema,
  shardListSchema,
} from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
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
  'RESERVATION_LEASE_MS',
  'RUN_CONFIG_BUCKET_OWNER',
]);
const s3 = s3Client(obs);
const { runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const reconcileEvent = z.object({
  plan: runPlanSchema,
  runConfig: runConfigSchema,
  collected: collectedSchema,
  shards: shardListSchema,
});

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected, shards } = parseEvent(reconcileEvent, event, 'reconcile');
  const { config, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  return reconcileShardsStep({
    plan,
    sources: await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER),
    policy: config.policy,
    count: shards.count,
    repo,
    runStore,
    packs: evidencePackReader(s3, env),
    now: () => new Date(),
    logger: obs.core,
    rulesetHashes: Object.fromEntries(
      effectivePolicy(config, rulesetTexts).document.rulesets.map((r) => [r.id, r.sha256]),
    ),
    ...(env.RESERVATION_LEASE_MS ? { reservationLeaseMs: env.RESERVATION_LEASE_MS } : {}),
  });
});
