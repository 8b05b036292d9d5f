/** The SoD engine's public surface: parse → compile → evaluate (docs/rulesets.md). */
export {
  type CompiledFunction,
  type CompiledRisk,
  type CompiledRuleset,
  type CompileOptions,
  compileRulesets,
} from './compile';
export {
  computeIdentityFunctions,
  evaluateSod,
  findConflicts,
  functionsByIdentity,
  type IdentityFunctions,
  planSod,
  type SodConflict,
  type SodPlan,
  sodDrafts,
} from './engine';
export { type EntitlementMatch, matchEntitlement } from './match-entitlement';
export { type ParseRulesetOptions, parseRuleset, parseRulesets } from './parse-ruleset';
export type { Matcher, Risk, Ruleset, SodFunction } from './ruleset';
