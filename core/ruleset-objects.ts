/**
 * Salesforce object permissions are only collected for the objects someone asked about: those a
 * source lists in `objects` and those the SoD rulesets name in `objectPermission` matchers. Adding
 * the rulesets' objects to every Salesforce source is part of planning a run, shared by the CLI and
 * the plan Lambda.
 */
import type { SourceConfig } from './config';
import type { Matcher } from './sod';

/** Anything with SoD functions and their matchers: parsed `Ruleset`s or a `CompiledRuleset`. */
export interface RulesetMatchers {
  functions: ReadonlyArray<{ grants: readonly Matcher[] }>;
}

/**
 * Every Salesforce source also collects the objects the rulesets' `objectPermission` matchers name
 * (sorted, without duplicates); other sources are returned as they are.
 *
 * @example
 * const planned = withRulesetObjects(sources, rulesets);
 * // a salesforce source with objects: [Account] and a ruleset naming Vendor__c → [Account, Vendor__c]
 */
export function withRulesetObjects<S extends SourceConfig>(
  sources: readonly S[],
  rulesets: readonly RulesetMatchers[],
): S[] {
  const named = new Set<string>();
  const sapObjects = new Set<string>();
  for (const r of rulesets)
    for (const fn of r.functions)
      for (const m of fn.grants) {
        if (m.system === 'salesforce' && m.kind === 'objectPermission') named.add(m.object);
        if (m.kind === 'sap') for (const a of m.authorizations) sapObjects.add(a.object);
      }
  if (named.size === 0 && sapObjects.size === 0) return [...sources];
  return sources.map((s) => {
    if (s.system === 'salesforce' && named.size > 0)
      return { ...s, objects: [...new Set([...s.objects, ...named])].sort() };
    // SAP: AGR_1251 rows of these objects (and S_TCODE) are kept. A source listing no objects
    // keeps every object, so rulesets only narrow a source that already names some.
    if (s.system === 'sap' && sapObjects.size > 0 && s.objects.length > 0)
      return { ...s, objects: [...new Set([...s.objects, ...sapObjects])].sort() };
    return s;
  });
}
