/**
 * Sharded scan, step 2, one Distributed Map item (issue 18, docs/sharding.md): rules and SoD over
 * this shard's identities; drafts, facts of the stored findings it owns, name tables and (when its
 * part stands alone) its findings after the lifecycle to staging.
 */
import * as z from 'zod';
import { effectivePolicy } from '../../core/run/policy-doc';
import { scanShardStep } from '../../core/run/shard-scan';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { collectedSchema, parseEvent, runConfigSchema, runPlanSchema } from '../shared/events';
import { findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { reviewWatchFor } from '../shared/review-evidence';
import { compileRunRulesetsOnce, loadRunConfig, parseRunConfig } from '../shared/run-config';
import { s3Client, stagingStores } from '../shared/staging';

const obs = observability();
const env = readEnvironment([
  'STAGING_BUCKET',
  'STAGING_BUCKET_OWNER',
  'FINDINGS_TABLE',
  'RUN_CONFIG_BUCKET_OWNER',
]);
const s3 = s3Client(obs);
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const shardEvent = z.object({
  plan: runPlanSchema,
  runConfig: runConfigSchema,
  collected: collectedSchema,
  shard: z.object({ shard: z.number().int().nonnegative(), count: z.number().int().positive() }),
});

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected, shard } = parseEvent(shardEvent, event, 'scan-shard');
  const { config, rulesets, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  // Access-review revocations plan-shards read (none without the reviewer app): report their facts.
  const watch = await reviewWatchFor(runStore, plan.runId);
  const out = await scanShardStep({
    plan,
    sources,
    policy: config.policy,
    sod: await compileRunRulesetsOnce(rulesets),
    snapshots,
    runStore,
    shard: shard.shard,
    count: shard.count,
    previous: await repo.loadAll(),
    ...(watch ? { watch } : {}),
    // The shard runs the lifecycle of its part (reconcile then merges): the policy basis as reconcile's.
    lifecycle: {
      rulesetHashes: Object.fromEntries(
        effectivePolicy(config, rulesetTexts).document.rulesets.map((r) => [r.id, r.sha256]),
      ),
    },
  });
  // The Map's result stays small: the output itself is in staging.
  return {
    shard: out.shard,
    drafts: out.draftCount,
    // Whether its part of the lifecycle ran here (reconcile merges) or is left to reconcile.
    lifecycle: out.lifecycle !== undefined,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
});
