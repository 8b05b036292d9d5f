/**
 * The engine's SoD conflicts (the scan's SOD-CONFLICT findings) against DuckDB's on the same data.
 */
import type { Finding } from '../core/findings/model';
import type { Inventory } from '../core/inventory';
import type { CompiledRuleset } from '../core/sod';
import { type DuckdbSodResult, duckdbSod } from './duckdb-sod';

export interface SodCrossCheck {
  ours: Set<string>;
  duck: DuckdbSodResult;
  /** Conflicts DuckDB found that the engine did not. */
  missing: string[];
  /** Conflicts the engine found that DuckDB did not. */
  extra: string[];
}

/** `runId`: only findings this run saw count (a stored finding from an earlier run does not). */
export async function crossCheckSod(
  runId: string,
  findings: readonly Finding[],
  inventory: Inventory,
  compiled: CompiledRuleset,
): Promise<SodCrossCheck> {
  const ours = new Set(
    findings
      .filter((f) => f.rule === 'SOD-CONFLICT' && f.lastSeenRun === runId)
      .map((f) => `${f.subject.identity}|${String(f.detail.riskId)}`),
  );
  const duck = await duckdbSod(inventory, compiled);
  return {
    ours,
    duck,
    missing: [...duck.pairs].filter((p) => !ours.has(p)),
    extra: [...ours].filter((p) => !duck.pairs.has(p)),
  };
}
