/**
 * The plan-shards step of a sharded scan (issue 18, docs/sharding.md): merge every source's key
 * index, correlate every principal of the run exactly as the single scan does (same code: the
 * InventoryBuilder over the key records and the HR people and links), and give each identity to
 * the shard its id hashes to. A person's principals are one identity, so they land in one shard,
 * however many keys (employee id, emails, links) joined them.
 *
 * The shard count comes from the inventory's size and a memory budget per shard.
 */
import { createHash } from 'node:crypto';
import { type Inventory, InventoryBuilder } from '../inventory';
import type { Person, PersonLink } from '../model';
import type { RunStore, SnapshotSource } from '../ports';
import { type KeyIndexHeader, type KeyRecord, principalOfKey } from './shard-keys';
import type { RunPlan, SourceResult } from './types';

/** Default memory budget of one scan shard (a 2 GB Lambda; `--memory-budget-mb`). */
export const DEFAULT_SHARD_MEMORY_MB = 2048;
/** Never more shards than this (a Distributed Map item list and a local machine's patience). */
export const MAX_SHARDS = 256;

/**
 * Bytes one record costs in a shard's heap. Every shard holds every principal's key record, every
 * entitlement and every HR person (cross-identity look-ups and definitions); grants and full
 * principal records only of its own identities. Calibrated from `npm run bench` (1.2 GB peak for
 * 150k principals, 2.08M grants: ~450 B a grant); a `maxShardRssMb` above the estimate in the
 * bench's output means these must be raised.
 */
export const SHARD_BYTES = {
  base: 200 * 1024 * 1024,
  keyRecord: 600,
  person: 500,
  entitlement: 1500,
  grant: 450,
  principal: 1500,
} as const;

export interface InventorySize {
  principals: number;
  entitlements: number;
  grants: number;
  people: number;
}

export interface ShardEstimate {
  /** What every shard holds whatever the count. */
  globalMb: number;
  /** One shard's part of the grants and principal records. */
  ownedMb: number;
  totalMb: number;
}

const MB = 1024 * 1024;

/** The estimated heap of one of `count` shards. */
export function estimateShard(size: InventorySize, count: number): ShardEstimate {
  const b = SHARD_BYTES;
  const globalBytes =
    b.base + size.principals * b.keyRecord + size.people * b.person + size.entitlements * b.entitlement;
  const ownedBytes = (size.grants * b.grant + size.principals * b.principal) / count;
  const globalMb = Math.ceil(globalBytes / MB);
  const ownedMb = Math.ceil(ownedBytes / MB);
  return { globalMb, ownedMb, totalMb: globalMb + ownedMb };
}

/**
 * The fewest shards whose estimate fits `budgetMb`. Throws when even `MAX_SHARDS` do not fit (the
 * part every shard holds is larger than the budget): a bigger budget is the only answer then.
 */
export function chooseShardCount(size: InventorySize, budgetMb = DEFAULT_SHARD_MEMORY_MB): number {
  for (let n = 1; n <= MAX_SHARDS; n++) if (estimateShard(size, n).totalMb <= budgetMb) return n;
  const e = estimateShard(size, MAX_SHARDS);
  throw new Error(
    `plan-shards: ${MAX_SHARDS} shards of ${budgetMb} MB cannot hold this inventory (every shard needs ${e.globalMb} MB for ${size.principals} key records, ${size.people} people and ${size.entitlements} entitlements, plus ${e.ownedMb} MB of its own): raise the memory budget`,
  );
}

/** The inventory size the sources' counts announce. */
export function sizeOf(sources: readonly SourceResult[]): InventorySize {
  const size: InventorySize = { principals: 0, entitlements: 0, grants: 0, people: 0 };
  for (const s of sources) {
    size.principals += s.counts.principals;
    size.entitlements += s.counts.entitlements;
    size.grants += s.counts.grants;
    size.people += s.counts.people ?? 0;
  }
  return size;
}

/**
 * The shard of an identity id (or of any finding subject's id): the first 32 bits of its SHA-256,
 * modulo the count. Stable across runs, machines and Node versions.
 *
 * @example
 * shardOf('person:employee:HI-10134', 4); // 0…3, always the same
 */
export function shardOf(id: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(id).digest().readUInt32BE(0) % count;
}

/** What plan-shards stores for the whole run (`shardPlanKey`). */
export interface ShardPlan {
  runId: string;
  count: number;
  budgetMb: number;
  estimate: ShardEstimate;
  size: InventorySize;
  identities: number;
  /** Principals owned by each shard (the key records of its identities). */
  principalsPerShard: number[];
}

/** The Distributed Map's items: one per shard (small: the uids stay in the run store). */
export interface ShardList {
  runId: string;
  count: number;
  shards: { shard: number; count: number }[];
}

export const shardPlanKey = (runId: string) => `runs/${runId}/shards/plan.json`;
export const shardOwnedKey = (runId: string, shard: number) => `runs/${runId}/shards/owned-${shard}.json`;
export const shardOutputKey = (runId: string, shard: number) => `runs/${runId}/shards/output-${shard}.json`;

export interface PlanShardsInput {
  plan: RunPlan;
  sources: SourceResult[];
  snapshots: SnapshotSource;
  runStore: RunStore;
  /** A fixed shard count (`scan --shards N`); absent: chosen from the size and the budget. */
  shards?: number;
  memoryBudgetMb?: number;
}

/**
 * @example
 * const list = await planShardsStep({ plan, sources, snapshots: staging, runStore });
 * list.shards; // [{ shard: 0, count: 3 }, { shard: 1, count: 3 }, { shard: 2, count: 3 }]
 */
export async function planShardsStep(input: PlanShardsInput): Promise<ShardList> {
  const { plan, runStore } = input;
  const budgetMb = input.memoryBudgetMb ?? DEFAULT_SHARD_MEMORY_MB;
  const size = sizeOf(input.sources);
  const count = input.shards ?? chooseShardCount(size, budgetMb);
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new Error(`plan-shards: the shard count must be 1…${MAX_SHARDS}, got ${count}`);
  const inv = await readKeyInventory(plan, input.sources, input.snapshots);
  const owned: string[][] = Array.from({ length: count }, () => []);
  for (const identity of inv.identities) {
    const list = owned[shardOf(identity.id, count)]!;
    for (const uid of identity.principals) list.push(uid);
  }
  for (let i = 0; i < count; i++) await runStore.put(shardOwnedKey(plan.runId, i), owned[i]);
  const shardPlan: ShardPlan = {
    runId: plan.runId,
    count,
    budgetMb,
    estimate: estimateShard(size, count),
    size,
    identities: inv.identities.length,
    principalsPerShard: owned.map((o) => o.length),
  };
  await runStore.put(shardPlanKey(plan.runId), shardPlan);
  return {
    runId: plan.runId,
    count,
    shards: Array.from({ length: count }, (_, shard) => ({ shard, count })),
  };
}

/**
 * The run's principals as key records, the HR people and links and every source's header, built
 * into an inventory without grants: its identities are the single scan's identities.
 */
export async function readKeyInventory(
  plan: RunPlan,
  sources: readonly SourceResult[],
  snapshots: SnapshotSource,
): Promise<Inventory> {
  const significant = new Map(plan.sources.map((s) => [s.id, s.financiallySignificant]));
  const builder = new InventoryBuilder({
    financiallySignificant: (id) => significant.get(id) ?? false,
    asOf: new Date(plan.asOf),
  });
  for (const source of sources) {
    if (!source.snapshot) {
      builder.addFailedSource({
        sourceId: source.id,
        system: source.system,
        error: source.error ?? 'not collected',
        ...(source.tenant ? { tenant: source.tenant } : {}),
      });
      continue;
    }
    if (!source.keyIndex)
      throw new Error(
        `plan-shards: source ${source.id} has no key index: collect it with keyIndex for a sharded scan`,
      );
    for await (const key of keyRecords(snapshots, source.keyIndex.location, (h) =>
      builder.addSnapshotHeader(h.snapshot),
    ))
      builder.addPrincipal(principalOfKey(key));
    if (source.system !== 'hr') continue;
    let first = true;
    for await (const line of snapshots.lines(source.snapshot.location)) {
      if (first) {
        first = false;
        continue;
      }
      const rec = JSON.parse(line) as { person?: Person; link?: PersonLink };
      if (rec.person) builder.addPerson(rec.person);
      else if (rec.link) builder.addLink(rec.link);
    }
  }
  return builder.finish();
}

/** The key records of one key index file, its header handed to `onHeader` first. */
export async function* keyRecords(
  snapshots: SnapshotSource,
  location: string,
  onHeader?: (header: KeyIndexHeader) => void,
): AsyncGenerator<KeyRecord> {
  let first = true;
  for await (const line of snapshots.lines(location)) {
    if (first) {
      const header = JSON.parse(line) as KeyIndexHeader;
      if (header.type !== 'key-index')
        throw new Error(`${location}: not a key index (header type ${header.type})`);
      onHeader?.(header);
      first = false;
      continue;
    }
    yield (JSON.parse(line) as { key: KeyRecord }).key;
  }
}
