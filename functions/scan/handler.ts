/**
 * Step 3 (scan): settle a run that crashed before committing (as `accessproof scan` does first),
 * then correlate, evaluate the rules and reconcile findings; the full result goes to the run store.
 */
import * as z from 'zod';
import { effectivePolicy } from '../../core/run/policy-doc';
import { scanStep } from '../../core/run/scan';
import { runSources } from '../shared/collected-sources';
import { readEnvironment } from '../shared/environment';
import { collectedSchema, parseEvent, runConfigSchema, runPlanSchema } from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { compileRunRulesetsOnce, loadRunConfig, parseRunConfig } from '../shared/run-config';
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
const { snapshots, runStore } = stagingStores(s3, {
  bucket: env.STAGING_BUCKET,
  expectedBucketOwner: env.STAGING_BUCKET_OWNER,
});
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const scanEvent = z.object({ plan: runPlanSchema, runConfig: runConfigSchema, collected: collectedSchema });

export const handler = instrument(obs, async (event: unknown) => {
  const { plan, runConfig, collected } = parseEvent(scanEvent, event, 'scan');
  const { config, rulesets, rulesetTexts } = parseRunConfig(
    await loadRunConfig(runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER),
  );
  const sources = await runSources(plan, collected, s3, env.STAGING_BUCKET_OWNER);
  const packs = evidencePackReader(s3, env);
  const sod = await compileRunRulesetsOnce(rulesets);
  return scanStep({
    plan,
    sources,
    policy: config.policy,
    sod,
    snapshots,
    repo,
    runStore,
    packs,
    now: () => new Date(),
    logger: obs.core,
    rulesetHashes: Object.fromEntries(
      effectivePolicy(config, rulesetTexts).document.rulesets.map((r) => [r.id, r.sha256]),
    ),
    ...(env.RESERVATION_LEASE_MS ? { reservationLeaseMs: env.RESERVATION_LEASE_MS } : {}),
  });
});
