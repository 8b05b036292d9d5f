/**
 * What a run collects and evaluates — the one plan that `accessproof scan` and the Lambdas share:
 * - the sources, as full source configs: an AWS Organization source becomes one source per ACTIVE
 *   member account (`organizations:ListAccounts`), ids must stay unique after that, and Salesforce
 *   sources also collect the objects the rulesets name. An Organization whose accounts cannot be
 *   listed is a failed source, not an aborted run (docs/architecture.md);
 * - the rulesets, compiled with AWS action globs expanded from the packaged IAM action catalogue.
 */
import type { SourceConfig } from '../core/config';
import { InputError, SourceError } from '../core/errors';
import { type RulesetMatchers, withRulesetObjects } from '../core/ruleset-objects';
import { failedSource } from '../core/run/collect';
import type { PlannedSource, SourceResult } from '../core/run/types';
import { type CompiledRuleset, compileRulesets, type Ruleset } from '../core/sod';
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
  /**
   * The most accounts one Organization may plan (the deployment's `maxOrganizationAccounts`: the
   * run's state is sized for it). An Organization with more is a failed source naming both
   * numbers — never a silently truncated one. @default no limit
   */
  maxAccounts?: number;
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
      const accounts = await planAwsOrganizationSources(s, options.organizations ?? {});
      if (options.maxAccounts !== undefined && accounts.length > options.maxAccounts) {
        throw new SourceError(
          `the Organization has ${accounts.length} active accounts, more than the ${options.maxAccounts} this deployment's run state is sized for (maxOrganizationAccounts): none was collected; raise maxOrganizationAccounts (synth re-checks the state budget) or split the accounts across sources with \`accounts\``,
        );
      }
      sources.push(...accounts);
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
  return {
    id: s.id,
    system: s.system,
    financiallySignificant: s.financiallySignificant,
    ...(s.policy ? { policy: s.policy } : {}),
  };
}

/**
 * Compile a run's rulesets; when one has AWS matchers, action globs (`s3:Put*`) are expanded with
 * the IAM action catalogue, loaded only then.
 *
 * @example
 * const compiled = await compileRunRulesets(rulesets); // undefined when there are none
 */
export async function compileRunRulesets(rulesets: readonly Ruleset[]): Promise<CompiledRuleset | undefined> {
  if (rulesets.length === 0) return undefined;
  const needsAws = rulesets.some((r) => r.functions.some((fn) => fn.grants.some((g) => g.system === 'aws')));
  if (!needsAws) return compileRulesets([...rulesets]);
  const catalog = await import('./aws-iam/action-catalog');
  return compileRulesets([...rulesets], {
    expandAction: await catalog.loadActionExpander(),
    wildcardOnly: await catalog.loadWildcardOnly(),
  });
}
