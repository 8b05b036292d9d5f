/**
 * Step 2 of a run for one source: drive its connector and describe the outcome as a SourceResult.
 */
import { type CollectOutcome, type CollectRequest, collectSource } from '../collect-driver';
import type { SourceResult } from './types';

export type CollectStepResult = { done: true; result: SourceResult } | { done: false; cursor: string };

/**
 * Collect one source (from the start or from a cursor). `InputError` (a bad export file) propagates;
 * every other failure becomes a `failed` SourceResult so the run goes on.
 */
export async function collectStep(req: CollectRequest): Promise<CollectStepResult> {
  const outcome = await collectSource(req);
  if (outcome.status === 'partial') return { done: false, cursor: outcome.cursor };
  return { done: true, result: toSourceResult(req.source.id, req.connector.system, outcome) };
}

export function toSourceResult(
  id: string,
  system: SourceResult['system'],
  outcome: Exclude<CollectOutcome, { status: 'partial' }>,
): SourceResult {
  if (outcome.status === 'failed')
    return { id, system, status: 'failed', error: outcome.error, counts: outcome.counts };
  const h = outcome.header;
  return {
    id,
    system,
    status: h.complete ? 'complete' : 'incomplete',
    tenant: h.tenant,
    counts: h.counts,
    collectedAt: h.collectedAt,
    mode: h.mode,
    calls: h.calls,
    queries: h.queries,
    ...boundedWarnings(h.warnings),
    snapshot: outcome.snapshot,
    ...(outcome.keyIndex ? { keyIndex: outcome.keyIndex } : {}),
  };
}

/** Warnings a SourceResult carries between steps: the first few, each cut short, and the count. */
export const MAX_WARNINGS_IN_STATE = 5;
export const MAX_WARNING_CHARS = 300;

/**
 * A SourceResult travels in every Step Functions state (256 KB limit) and some warnings join every
 * affected user name: it carries the count and the first few only. The full list stays in the
 * snapshot header, in staging and in the sealed pack (`inventory/<source>.jsonl.gz`).
 */
export function boundedWarnings(
  all: readonly string[] | undefined,
): Pick<SourceResult, 'warnings' | 'warningCount'> {
  if (!all || all.length === 0) return {};
  const cut = (w: string) => (w.length > MAX_WARNING_CHARS ? `${w.slice(0, MAX_WARNING_CHARS - 1)}…` : w);
  return {
    warnings: all.slice(0, MAX_WARNINGS_IN_STATE).map(cut),
    ...(all.length > MAX_WARNINGS_IN_STATE || all.some((w) => w.length > MAX_WARNING_CHARS)
      ? { warningCount: all.length }
      : {}),
  };
}

/** A source whose collection threw before producing anything (e.g. the connector is missing). */
export function failedSource(id: string, system: SourceResult['system'], error: string): SourceResult {
  return { id, system, status: 'failed', error, counts: { principals: 0, entitlements: 0, grants: 0 } };
}
