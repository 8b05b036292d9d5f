/** Control: no identity holds, across all its accounts, two functions a risk of the SoD rulesets separates. */
import type { FindingDraft } from '../findings/model';
import type { Inventory } from '../inventory';
import { evaluateSod } from '../sod';
import type { RuleContext } from './context';

/**
 * SOD-CONFLICT: one draft per (identity, risk) where the identity's active principals together hold
 * every function of the risk (core/sod/engine.ts). Severity comes from the risk.
 *
 * @example
 * sodConflict(inventory, ctx); // [] when no ruleset is configured
 */
export function sodConflict(inv: Inventory, ctx: RuleContext): FindingDraft[] {
  return ctx.options.sod ? evaluateSod(inv, ctx.options.sod) : [];
}
