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
  /** Conflicts both found whose proving grants differ. */
  evidenceDiffers: string[];
}

/** `runId`: only findings this run saw count (a stored finding from an earlier run does not). */
export async function crossCheckSod(
  runId: string,
  findings: readonly Finding[],
  inventory: Inventory,
  compiled: CompiledRuleset,
): Promise<SodCrossCheck> {
  const sod = findings.filter((f) => f.rule === 'SOD-CONFLICT' && f.lastSeenRun === runId);
  const ours = new Set(sod.map((f) => `${f.subject.identity}|${String(f.detail.riskId)}`));
  const duck = await duckdbSod(inventory, compiled);
  const evidenceDiffers: string[] = [];
  for (const f of sod) {
    const key = `${f.subject.identity}|${String(f.detail.riskId)}`;
    const theirs = duck.evidence.get(key);
    if (!theirs) continue;
    // The proof: every `grant` evidence item names the function it gives.
    const mine = f.evidence
      .filter((e) => e.kind === 'grant')
      .map((e) => `${e.function}|${e.principal}|${e.entitlement}`);
    // A grant reached through two groups is one (principal, entitlement) pair for DuckDB.
    const unique = [...new Set(mine)].sort();
    if (unique.join('\n') !== theirs.join('\n')) evidenceDiffers.push(key);
  }
  return {
    ours,
    duck,
    missing: [...duck.pairs].filter((p) => !ours.has(p)),
    extra: [...ours].filter((p) => !duck.pairs.has(p)),
    evidenceDiffers,
  };
}
