/**
 * The sources a run collects, as full source configs — the one plan that `accessproof scan` and the
 * plan Lambda share: an AWS Organization source becomes one source per ACTIVE member account
 * (`organizations:ListAccounts`), ids must stay unique after that, and Salesforce sources also
 * collect the objects the rulesets name. An Organization whose accounts cannot be listed is a
 * failed source, not an aborted run (DESIGN.md §1).
 */
import type { SourceConfig } from '../core/config';
import { InputError, SourceError } from '../core/errors';
import { type RulesetMatchers, withRulesetObjects } from '../core/ruleset-objects';
import { failedSource } from '../core/run/collect';
import type { PlannedSource, SourceResult } from '../core/run/types';
import type { OrganizationPlanDeps } from './aws-iam/live/organization-planner';

export interface SourcePlan {
  /** What to collect, in config order (an Organization's accounts sorted by id). */
  sources: SourceConfig[];
  /** Sources that failed before collection (an Organization whose accounts could not be listed). */
  failed: SourceResult[];
}

export interface PlanSourcesOptions {
  /** Parsed or compiled rulesets: their Salesforce objects are added to every Salesforce source. */
  rulesets?: readonly RulesetMatchers[];
  /** How Organization sources list their accounts (a ready client in Lambda; built per source on one machine). */
  organizations?: OrganizationPlanDeps;
}

/**
 * @throws InputError for a bad plan (two sources with one id, an Organization id too long for its accounts)
 * @example
 * const { sources, failed } = await planSources(config.sources, { rulesets: [compiled] });
 */
export async function planSources(
  configured: readonly SourceConfig[],
  options: PlanSourcesOptions = {},
): Promise<SourcePlan> {
  const sources: SourceConfig[] = [];
  const failed: SourceResult[] = [];
  for (const s of configured) {
    if (s.system !== 'aws' || !s.organization || s.files) {
      sources.push(s);
      continue;
    }
    // Loaded only when an Organization is configured: it pulls in the Organizations client.
    const { planAwsOrganizationSources } = await import('./aws-iam/live/organization-planner');
    try {
      sources.push(...(await planAwsOrganizationSources(s, options.organizations ?? {})));
    } catch (err) {
      if (err instanceof InputError) throw err;
      const message = (err as Error).message;
      failed.push(
        failedSource(
          s.id,
          'aws',
          err instanceof SourceError ? message : `organizations:ListAccounts: ${message}`,
        ),
      );
    }
  }
  const ids = new Set<string>();
  for (const s of sources) {
    if (ids.has(s.id)) throw new InputError(`two sources have the id "${s.id}"`, { field: 'sources' });
    ids.add(s.id);
  }
  return { sources: withRulesetObjects(sources, options.rulesets ?? []), failed };
}

/** The part of a source the run's records keep (core's PlannedSource). */
export function plannedSource(s: SourceConfig): PlannedSource {
  return { id: s.id, system: s.system, financiallySignificant: s.financiallySignificant };
}
