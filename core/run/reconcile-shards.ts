/**
 * The reconcile step of a sharded scan (issue 18, docs/sharding.md): every shard's drafts merged in
 * one order, diffed against the findings store by the same lifecycle as the single scan, stored
 * under the same key in the same form, so `seal` is unchanged.
 *
 * It needs every shard's output: one missing (a shard that failed, even after retries) stops the
 * run before anything is reconciled, so nothing is resolved on a partial view.
 */
import type { Policy } from '../config';
import type { Logger } from '../connector';
import type { PackReader } from '../evidence/ports';
import { sortIds } from '../findings/lifecycle';
import type { Finding, FindingDraft } from '../findings/model';
import type { FindingsRepository } from '../findings/repository';
import type { SourceInfo } from '../inventory';
import type { Entitlement, Grant, Identity } from '../model';
import { type RunStore, runStoreLineBatches } from '../ports';
import type { RevocationInventory } from '../reviews/revocation';
import { compareDrafts } from '../rules';
import type { RevokeRuleInventory } from '../rules/review-revoke-not-done';
import { reserveRun } from './recover';
import { type RunRecord, unsealedRecords } from './run-record';
import {
  countBy,
  holdsOrCommitted,
  isOpen,
  lifecycleOf,
  markOverdue,
  nameSeen,
  runLifecycle,
  type ScanResult,
  type ScanSummary,
  scanResultKey,
} from './scan';
import { shardDraftsKey, shardFindingsKey, shardOutputKey } from './shard-plan';
import {
  LATE_WARNINGS_SHOWN,
  nameInventory,
  RECONCILE_RULES,
  type ShardLifecycle,
  type ShardOutput,
} from './shard-scan';
import type { RunPlan, SourceResult } from './types';

export interface ReconcileShardsInput {
  plan: RunPlan;
  /** The run's sources: the activity warnings the shards found are added to them, as the single scan does. */
  sources: SourceResult[];
  policy: Policy;
  count: number;
  repo: FindingsRepository;
  runStore: RunStore;
  now: () => Date;
  logger: Logger;
  packs?: PackReader;
  reservationLeaseMs?: number;
  rulesetHashes?: Readonly<Record<string, string>>;
  /** Drafts made outside the shards (none yet: reviews' drafts come from the shards' inventories). */
  extraDrafts?: FindingDraft[];
  /** The shards' outputs when the caller read them already (`readShardOutputs`); else read here. */
  outputs?: ShardOutput[];
}

/** Raised when a shard's output is missing or is another run's: the run fails, nothing is reconciled. */
export class ShardMissingError extends Error {}

/**
 * @example
 * const summary = await reconcileShardsStep({ plan, sources, policy, count: 3, repo, runStore, now, logger });
 */
export async function reconcileShardsStep(input: ReconcileShardsInput): Promise<ScanSummary> {
  const { plan, repo, logger } = input;
  const resultKey = scanResultKey(plan.runId);
  const stored = await input.runStore.get<ScanResult>(resultKey);
  if (stored && (await holdsOrCommitted(repo, plan.runId))) return stored.summary;

  // Every shard first: a missing one stops the run before the chain is even reserved.
  const outputs = input.outputs ?? (await readShardOutputs(input.runStore, plan.runId, input.count));
  checkOutputs(outputs, plan.runId, input.count);

  const head = await reserveRun(input, plan.runId);

  const firstOut = outputs[0]!;
  const warnings = firstOut.warnings;
  for (const w of warnings) logger.warn('link not applied', { warning: w });
  addLateWarnings(input.sources, outputs);

  // The shards ran the lifecycle of their parts (`ShardOutput.lifecycle`): merged here. Otherwise
  // (a part did not stand alone, or drafts made here) the lifecycle runs here over every draft.
  const merged = await mergeShardLifecycles(input, outputs);
  let findings: Finding[];
  let changed: string[];
  let changes: ScanResult['changes'];
  let runRecords: RunRecord[];
  if (merged) ({ findings, changed, changes, runRecords } = merged);
  else {
    const drafts = await mergeShardDrafts(input.runStore, plan.runId, outputs, input.extraDrafts ?? []);
    const facts = new Map<string, 0 | 1 | 2>();
    for (const out of outputs) for (const [id, v] of Object.entries(out.facts)) facts.set(id, v);
    const factsHold = (f: Finding): boolean | undefined => {
      const v = facts.get(f.id);
      // A stored finding no shard answered for: the store changed after the shards read it.
      if (v === undefined)
        throw new ShardMissingError(
          `reconcile: no shard judged the facts of finding ${f.id}: nothing was reconciled`,
        );
      return v === 1 ? true : v === 0 ? false : undefined;
    };
    const lifecycle = await runLifecycle(input, drafts, factsHold);
    const { result } = lifecycle;
    nameSeen(result.findings, plan.runId, nameInventory(outputs));
    markOverdue(result, new Date(plan.asOf));
    const ids = (list: Finding[]) => list.map((f) => f.id);
    findings = result.findings;
    changed = ids(result.changed);
    changes = Object.fromEntries(
      Object.entries(result.changes).map(([k, v]) => [k, ids(v as Finding[])]),
    ) as ScanResult['changes'];
    runRecords = lifecycle.runRecords;
  }

  const summary: ScanSummary = {
    runId: plan.runId,
    head,
    resultKey,
    findings: findings.length,
    open: findings.filter(isOpen).length,
    byRule: countBy(findings.filter(isOpen), (f) => f.rule),
    bySeverity: countBy(findings.filter(isOpen), (f) => f.severity),
    changes: Object.fromEntries(
      Object.entries(changes).map(([k, v]) => [k, v.length]),
    ) as ScanSummary['changes'],
    identities: firstOut.identities,
    principals: firstOut.principals,
    grants: outputs.reduce((n, o) => n + o.grants, 0),
    ...(warnings.length ? { warnings } : {}),
  };
  const full: ScanResult = {
    runId: plan.runId,
    head,
    findings,
    changed,
    changes,
    summary,
    ...(runRecords.length ? { runRecords } : {}),
  };
  await input.runStore.put(resultKey, full);
  logger.info('scan finished', {
    runId: plan.runId,
    findings: summary.findings,
    open: summary.open,
    shards: input.count,
    // Where the lifecycle ran: in the shards (merged here) or here over every draft.
    lifecycle: merged ? 'shards' : 'reconcile',
  });
  return summary;
}

/**
 * The shards' lifecycles merged: every shard's findings (sorted by id) merged by id, and their
 * changes. Undefined when reconcile must run the lifecycle itself: a shard did not run its part,
 * drafts were made here, the stored findings are not exactly those the shards answered for
 * (each by one shard), or two shards gave one finding id.
 */
async function mergeShardLifecycles(
  input: ReconcileShardsInput,
  outputs: readonly ShardOutput[],
): Promise<
  | { findings: Finding[]; changed: string[]; changes: ScanResult['changes']; runRecords: RunRecord[] }
  | undefined
> {
  const { plan, repo } = input;
  const extra = input.extraDrafts ?? [];
  if (extra.some((d) => !RECONCILE_RULES.has(d.rule))) return undefined;
  const parts: ShardLifecycle[] = [];
  for (const out of outputs) {
    if (!out.lifecycle) return undefined;
    parts.push(out.lifecycle);
  }
  const answered = new Set<string>();
  let answers = 0;
  for (const out of outputs) {
    for (const id of Object.keys(out.facts)) answered.add(id);
    answers += Object.keys(out.facts).length;
  }
  const previous = await repo.loadAll();
  if (answers !== answered.size || previous.length !== answered.size) return undefined;
  for (const f of previous) if (!answered.has(f.id)) return undefined;
  const runRecords = unsealedRecords(await repo.listRunRecords());

  // The rules reconcile makes drafts of: their part of the lifecycle runs here, the shards' facts
  // judging their stored findings (the shards left those findings alone).
  const extraPrevious = previous.filter((f) => RECONCILE_RULES.has(f.rule));
  const hold = (f: Finding): boolean | undefined => {
    for (const out of outputs) {
      const v = out.facts[f.id];
      if (v !== undefined) return v === 1 ? true : v === 0 ? false : undefined;
    }
    return undefined;
  };
  const own =
    extra.length > 0 || extraPrevious.length > 0 ? lifecycleOf(input, extraPrevious, extra, hold) : undefined;
  if (own) {
    nameSeen(own.findings, plan.runId, nameInventory(outputs));
    markOverdue(own, new Date(plan.asOf));
  }

  const count = outputs.length;
  const lanes: ShardLane<Finding>[] = [];
  for (const out of outputs)
    lanes.push(
      await ShardLane.open<Finding>(
        input.runStore,
        shardFindingsKey(plan.runId, out.shard),
        out.shard,
        (a, b) => a.id < b.id,
        (what) =>
          missing(
            out.shard,
            count,
            plan.runId,
            `has ${what === 'none' ? 'no findings' : 'findings out of order'}`,
          ),
      ),
    );
  const findings: Finding[] = [];
  // This step's own findings (sorted by id) take their place among the shards'.
  const mineSorted = own?.findings ?? [];
  let m = 0;
  for (;;) {
    let best: ShardLane<Finding> | undefined;
    for (const lane of lanes) {
      if (!lane.head) continue;
      if (!best || lane.head.id < best.head!.id) best = lane;
      // One id from two shards: the parts did not stand alone after all.
      else if (lane.head.id === best.head!.id) return undefined;
    }
    const x = mineSorted[m];
    if (x && (!best || x.id <= best.head!.id)) {
      if (best && x.id === best.head!.id) return undefined;
      findings.push(x);
      m++;
      continue;
    }
    if (!best) break;
    findings.push(best.head!);
    if (best.batchUsed) await best.refill();
    best.next();
  }
  for (const lane of lanes) {
    const expected = parts[lane.shard]!.findings;
    if (lane.read !== expected)
      throw missing(
        lane.shard,
        count,
        plan.runId,
        `has ${lane.read} findings where its output says ${expected}`,
      );
  }
  const ids = (list: readonly Finding[]) => list.map((f) => f.id);
  const changes = {} as ScanResult['changes'];
  for (const key of Object.keys(parts[0]!.changes) as (keyof ScanResult['changes'])[])
    changes[key] = sortIds([...parts.flatMap((p) => p.changes[key]), ...ids(own?.changes[key] ?? [])]);
  const changed = sortIds([...parts.flatMap((p) => p.changed), ...ids(own?.changed ?? [])]);
  return { findings, changed, changes, runRecords };
}

/**
 * Every shard's output (`shardOutputKey`), in shard order.
 *
 * @throws ShardMissingError when one is missing or is another run's: nothing may be reconciled.
 */
export async function readShardOutputs(
  runStore: RunStore,
  runId: string,
  count: number,
): Promise<ShardOutput[]> {
  const outputs: ShardOutput[] = [];
  for (let shard = 0; shard < count; shard++) {
    const out = await runStore.get<ShardOutput>(shardOutputKey(runId, shard));
    if (!out) throw missing(shard, count, runId, 'has no result');
    outputs.push(out);
  }
  checkOutputs(outputs, runId, count);
  return outputs;
}

function checkOutputs(outputs: readonly ShardOutput[], runId: string, count: number): void {
  if (outputs.length !== count) throw missing(outputs.length, count, runId, 'has no result');
  outputs.forEach((out, shard) => {
    if (out.runId !== runId || out.shard !== shard || out.count !== count)
      throw missing(shard, count, runId, 'has no result');
  });
}

function missing(shard: number, count: number, runId: string, what: string): ShardMissingError {
  return new ShardMissingError(
    `reconcile: shard ${shard} of ${count} of run ${runId} ${what}: nothing was reconciled`,
  );
}

/**
 * Every shard's drafts (JSON lines, each shard's sorted by `compareDrafts`) and `extra`, merged
 * into one list in the order the single scan sorts them: a k-way merge reading one line per shard
 * at a time, never a whole shard's text. Ties go to the lower shard, then `extra`: the same order
 * as a stable sort of the shards' lists concatenated in shard order.
 *
 * @throws ShardMissingError when a shard's drafts are missing, out of order or not as many as its
 *   output says (a torn write): nothing may be reconciled.
 */
export async function mergeShardDrafts(
  runStore: RunStore,
  runId: string,
  outputs: readonly ShardOutput[],
  extra: readonly FindingDraft[],
): Promise<FindingDraft[]> {
  const count = outputs.length;
  const lanes: ShardLane<FindingDraft>[] = [];
  for (const out of outputs)
    lanes.push(
      await ShardLane.open<FindingDraft>(
        runStore,
        shardDraftsKey(runId, out.shard),
        out.shard,
        (a, b) => compareDrafts(a, b) <= 0,
        (what) =>
          missing(out.shard, count, runId, `has ${what === 'none' ? 'no drafts' : 'drafts out of order'}`),
      ),
    );
  const sortedExtra = [...extra].sort(compareDrafts);
  let e = 0;
  const merged: FindingDraft[] = [];
  for (;;) {
    let best: ShardLane<FindingDraft> | undefined;
    for (const lane of lanes) {
      if (lane.head && (!best || compareDrafts(lane.head, best.head!) < 0)) best = lane;
    }
    const x = sortedExtra[e];
    if (x && (!best || compareDrafts(x, best.head!) < 0)) {
      merged.push(x);
      e++;
      continue;
    }
    if (!best) break;
    merged.push(best.head!);
    if (best.batchUsed) await best.refill();
    best.next();
  }
  for (const lane of lanes) {
    const expected = outputs[lane.shard]!.draftCount;
    if (lane.read !== expected)
      throw missing(lane.shard, count, runId, `has ${lane.read} drafts where its output says ${expected}`);
  }
  return merged;
}

/**
 * One shard's sorted JSON lines in a k-way merge: the head (the next value, undefined past the
 * last) and how many were read. Lines come in batches: a promise per batch, never one per line
 * (1.1M findings at 10x), so the caller awaits `refill()` only when `batchUsed`, then `next()`.
 */
class ShardLane<T> {
  head: T | undefined;
  read = 0;
  private batch: string[] = [];
  private at = 0;
  private done = false;

  private constructor(
    readonly shard: number,
    private readonly it: AsyncIterator<string[]>,
    /** Whether `b` may follow `a`. */
    private readonly inOrder: (a: T, b: T) => boolean,
    private readonly fail: (what: 'none' | 'out of order') => Error,
  ) {}

  /** @throws the error `fail('none')` gives when nothing is stored at `key`. */
  static async open<T>(
    runStore: RunStore,
    key: string,
    shard: number,
    inOrder: (a: T, b: T) => boolean,
    fail: (what: 'none' | 'out of order') => Error,
  ): Promise<ShardLane<T>> {
    const batches = await runStoreLineBatches(runStore, key);
    if (!batches) throw fail('none');
    const lane = new ShardLane(shard, batches[Symbol.asyncIterator](), inOrder, fail);
    await lane.refill();
    lane.next();
    return lane;
  }

  get batchUsed(): boolean {
    return this.at >= this.batch.length;
  }

  async refill(): Promise<void> {
    while (this.at >= this.batch.length && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else {
        this.batch = r.value;
        this.at = 0;
      }
    }
  }

  /** The head moves to the batch's next line (undefined when the batch is used up). */
  next(): void {
    if (this.at >= this.batch.length) {
      this.head = undefined;
      return;
    }
    this.read++;
    const value = JSON.parse(this.batch[this.at++]!) as T;
    if (this.head !== undefined && !this.inOrder(this.head, value)) throw this.fail('out of order');
    this.head = value;
  }
}

/**
 * Activity after the as-of, as the single scan reports it per source: the first 20 by position in
 * the snapshot, then how many more.
 */
function addLateWarnings(sources: SourceResult[], outputs: readonly ShardOutput[]): void {
  for (const source of sources) {
    let count = 0;
    const first: { at: number; text: string }[] = [];
    for (const out of outputs) {
      const late = out.late[source.id];
      if (!late) continue;
      count += late.count;
      for (const w of late.first) first.push(w);
    }
    if (count === 0) continue;
    first.sort((a, b) => a.at - b.at);
    const shown = first.slice(0, LATE_WARNINGS_SHOWN).map((w) => w.text);
    if (count > shown.length) shown.push(`… and ${count - shown.length} more activity times after the as-of`);
    source.warnings = [...(source.warnings ?? []), ...shown];
  }
}

/**
 * What the shards reported of the access-review principals (`ScanShardInput.watch`), as the
 * inventory the revocation check and REVIEW-REVOKE-NOT-DONE read: the same answers the single
 * scan's inventory gives for those principals.
 */
export function watchedInventory(
  outputs: readonly Pick<ShardOutput, 'watched'>[],
): RevocationInventory & RevokeRuleInventory & { watched: boolean } {
  const sources = new Map<string, SourceInfo>();
  const grants = new Map<string, Grant[]>();
  const identities = new Map<string, Identity>();
  const entitlements = new Map<string, Entitlement>();
  const notInForce: Grant[] = [];
  let watched = false;
  for (const out of outputs) {
    const w = out.watched;
    if (!w) continue;
    watched = true;
    if (sources.size === 0) for (const s of w.sources) sources.set(s.sourceId, s);
    for (const [uid, list] of Object.entries(w.grants)) grants.set(uid, list);
    for (const [uid, identity] of Object.entries(w.identities)) identities.set(uid, identity);
    for (const [uid, e] of Object.entries(w.entitlements)) entitlements.set(uid, e);
    for (const g of w.notInForce) notInForce.push(g);
  }
  return {
    watched,
    sources,
    entitlements,
    grantsNotInForce: notInForce,
    grantsOf: (uid) => grants.get(uid) ?? [],
    identityOf: (uid) => identities.get(uid),
  };
}
