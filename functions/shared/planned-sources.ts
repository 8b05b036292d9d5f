/**
 * The sources a run collects, as full source configs: an AWS Organization source becomes one
 * source per ACTIVE account (connectors/aws-iam), and Salesforce sources also collect the objects
 * the rulesets name. This mirrors what `accessproof scan` plans (cli/scan-pipeline.ts), so a
 * deployed run and a local run collect the same things.
 */
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { Config, SourceConfig } from '../../core/config';
import type { Logger } from '../../core/connector';
import { InputError } from '../../core/errors';
import type { PlannedSource } from '../../core/run/types';
import type { Ruleset } from '../../core/sod';

export type RunSource = SourceConfig & PlannedSource;

/**
 * @example
 * const sources = await planSources(config, rulesets, { organizations, logger });
 */
export async function planSources(
  config: Config,
  rulesets: readonly Ruleset[],
  deps: { organizations: OrganizationsClient; logger: Logger },
): Promise<RunSource[]> {
  const out: RunSource[] = [];
  for (const s of config.sources) {
    if (s.system === 'aws' && s.organization && !s.files) {
      const { planAwsOrganizationSources } = await import(
        '../../connectors/aws-iam/live/organization-planner'
      );
      out.push(...(await planAwsOrganizationSources(s, deps)));
    } else out.push(s);
  }
  const ids = new Set<string>();
  for (const s of out) {
    if (ids.has(s.id)) throw new InputError(`two sources have the id "${s.id}"`, { field: 'sources' });
    ids.add(s.id);
  }
  const objects = new Set<string>();
  for (const r of rulesets)
    for (const fn of r.functions)
      for (const g of fn.grants)
        if (g.system === 'salesforce' && g.kind === 'objectPermission') objects.add(g.object);
  if (objects.size === 0) return out;
  return out.map((s) =>
    s.system === 'salesforce' ? { ...s, objects: [...new Set([...s.objects, ...objects])].sort() } : s,
  );
}

/** The part of a source the run's records keep (core's PlannedSource). */
export function plannedSource(s: RunSource): PlannedSource {
  return { id: s.id, system: s.system, financiallySignificant: s.financiallySignificant };
}
