/**
 * The first two steps of a run of the bundled demo, with the real connectors in files mode: plan,
 * then collect every source (or those `keep` selects) into local staging under `root`.
 */
import { join, resolve } from 'node:path';
import { loadConfig } from '../../cli/config-loader';
import { loadRulesets } from '../../cli/scan-pipeline';
import { connectorFor } from '../../connectors/registry';
import type { SourceConfig } from '../../core/config';
import { silentLogger } from '../../core/connector';
import { collectStep } from '../../core/run/collect';
import { planRun } from '../../core/run/plan';
import type { SourceResult } from '../../core/run/types';
import { LocalSnapshotStaging } from '../../stores/local-staging/local-snapshot-staging';

export const DEMO_CONFIG = resolve(import.meta.dirname, '../../examples/demo/accessproof.yaml');

export async function collectedDemoRun(
  root: string,
  options: { nonce: string; at: string; keep?: (source: SourceConfig) => boolean },
) {
  const loaded = loadConfig(DEMO_CONFIG);
  const keep = options.keep;
  const config = keep ? { ...loaded.config, sources: loaded.config.sources.filter(keep) } : loaded.config;
  const { compiled } = await loadRulesets(loaded.rulesetFiles);
  const now = () => new Date(options.at);
  const plan = planRun({
    config,
    inputs: [],
    startedAt: now(),
    asOf: now(),
    nonce: options.nonce,
    toolVersion: 'test',
  });
  const staging = new LocalSnapshotStaging(join(root, 'staging', plan.runId));
  const sources: SourceResult[] = [];
  for (const source of config.sources) {
    const out = await collectStep({
      connector: await connectorFor(source.system),
      source,
      key: source.id,
      staging,
      now,
      logger: silentLogger,
    });
    if (!out.done) throw new Error('collection paused');
    sources.push(out.result);
  }
  return { plan, sources, staging, policy: config.policy, sod: compiled, now };
}
