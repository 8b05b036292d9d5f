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
import { normalizeEmail } from '../correlate';
import { type Inventory, InventoryBuilder } from '../inventory';
import type { Identity, Person, PersonLink } from '../model';
import type { Ambiguity, HrStatus, MatchedBy, PeopleDirectory, PersonMatch, UnusedLink } from '../people';
import { type RunStore, type SnapshotSource, snapshotLineBatches } from '../ports';
import { type KeyIndexHeader, type KeyRecord, principalOfKey } from './shard-keys';
import { partitionSource } from './shard-lines';
import type { RunPlan, SourceResult } from './types';

/** Default memory budget of one scan shard (a 2 GB Lambda; `--memory-budget-mb`). */
export const DEFAULT_SHARD_MEMORY_MB = 2048;
/** Never more shards than this (a Distributed Map item list and a local machine's patience). */
export const MAX_SHARDS = 256;

/**
 * Bytes one record costs in a shard's heap. Every shard holds every principal's uid (to tell a
 * principal of another shard from one without a record) and every entitlement (definitions);
 * principal records, grants and the HR people they match only of its own identities (plus the few
 * key records its look-ups need). Calibrated from `npm run bench -- --size 10x`: with 7 shards
 * (2.86M grants and 214k principals each) the shards peaked at 2,500-2,790 MB RSS with V8's default
 * heap limit (~4 GB: garbage was left to grow), ~750 B a grant with its share of principals
 * (docs/benchmarks.md); the estimate is set to the largest of them. Shard processes now run with
 * a heap capped under the budget (cli/shard-runner.ts `shardHeapMb`): the finished 10x run with 11
 * shards peaked at 1,624 MB against 1,871 MB estimated. A `maxShardRssMb` above the estimate means
 * raise these.
 */
export const SHARD_BYTES = {
  base: 200 * 1024 * 1024,
  uid: 100,
  entitlement: 1500,
  person: 500,
  grant: 750,
  principal: 1600,
} as const;

/**
 * Bytes plan-shards holds per principal (its key record, correlated) and per HR person: the same
 * 10x run peaked at 2,738 MB in the process that collected and then planned 1.5M principals (an
 * upper bound for plan-shards alone).
 */
export const PLAN_BYTES = {
  base: 200 * 1024 * 1024,
  keyRecord: 1700,
  person: 1000,
} as const;

/**
 * The V8 heap reconcile and seal need at 10x (one process locally: `scan --shards N`, the bench):
 * every finding of the run (~1.1M) is held at once, as a draft, as a finding and in the pack's
 * tables. V8's default limit here (~4 GB) ran out while reading the 7 shards' drafts alone (7 x 153 MB
 * of JSON, ~1.1M drafts). With the drafts streamed, the finished 10x run (1,087,587 findings)
 * peaked at 4,801 MB RSS under this cap (reconcile 4,702 MB: `reconcileRssMb` in
 * bench/results/shard-figures-10x.json, which sizes the reconcile Lambda, infra/lib/shard-fit.ts).
 */
export const TEN_X_RECONCILE_HEAP_MB = 12_288;

/** The estimated heap of plan-shards for an inventory (every key record and HR person at once). */
export function estimatePlanShardsMb(size: InventorySize): number {
  const b = PLAN_BYTES;
  return Math.ceil((b.base + size.principals * b.keyRecord + size.people * b.person) / (1024 * 1024));
}

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
  const globalBytes = b.base + size.principals * b.uid + size.entitlements * b.entitlement;
  const ownedBytes = (size.grants * b.grant + size.principals * b.principal + size.people * b.person) / count;
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
    `plan-shards: ${MAX_SHARDS} shards of ${budgetMb} MB cannot hold this inventory (every shard needs ${e.globalMb} MB for ${size.principals} principal uids and ${size.entitlements} entitlements, plus ${e.ownedMb} MB of its own): raise the memory budget`,
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
export const shardContextKey = (runId: string, shard: number) => `runs/${runId}/shards/context-${shard}.json`;
export const shardOutputKey = (runId: string, shard: number) => `runs/${runId}/shards/output-${shard}.json`;
/** A shard's drafts, one JSON line each in reconcile's order (`compareDrafts`), written before its output. */
export const shardDraftsKey = (runId: string, shard: number) => `runs/${runId}/shards/drafts-${shard}.jsonl`;
/** A shard's findings after its part of the lifecycle, one JSON line each, sorted by id (`ShardOutput.lifecycle`). */
export const shardFindingsKey = (runId: string, shard: number) =>
  `runs/${runId}/shards/findings-${shard}.jsonl`;

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
  const assumable = new Set<string>();
  const uidsOf = new Map<string, string[]>();
  const inv = await readKeyInventory(plan, input.sources, input.snapshots, (k, sourceId) => {
    if (k.assumable) assumable.add(k.uid);
    const uids = uidsOf.get(sourceId);
    if (uids) uids.push(k.uid);
    else uidsOf.set(sourceId, [k.uid]);
  });
  const principalsPerShard: number[] = Array(count).fill(0);
  const shardOfIdentity = new Map<Identity, number>();
  const ownerOf = new Map<string, number>();
  for (const identity of inv.identities) {
    const s = shardOf(identity.id, count);
    shardOfIdentity.set(identity, s);
    principalsPerShard[s]! += identity.principals.length;
    for (const uid of identity.principals) ownerOf.set(uid, s);
  }
  // Every snapshot read once here, each shard's lines of it written apart: a shard then reads
  // ~1/N of the grants (core/run/shard-lines.ts).
  const routing = { count, ownerOf, known: new Set(inv.principals.keys()), assumable };
  const parts: number[][] = Array.from({ length: count }, () => []);
  for (const [sourceNo, source] of input.sources.entries()) {
    if (!source.snapshot) continue;
    const written = await partitionSource({
      runStore,
      snapshots: input.snapshots,
      runId: plan.runId,
      sourceId: source.id,
      location: source.snapshot.location,
      sourceNo,
      uids: uidsOf.get(source.id) ?? [],
      routing,
    });
    uidsOf.delete(source.id);
    for (let i = 0; i < count; i++) parts[i]![sourceNo] = written[i]!;
  }
  routing.known.clear();
  ownerOf.clear();
  // One shard's context at a time: at 10x the run holds 1.5M key records already.
  for (let i = 0; i < count; i++) {
    const context = shardContext(plan.runId, inv, i, count, shardOfIdentity, assumable);
    context.parts = input.sources.map((_, sourceNo) => parts[i]![sourceNo] ?? 0);
    await runStore.put(shardContextKey(plan.runId, i), context);
  }
  const shardPlan: ShardPlan = {
    runId: plan.runId,
    count,
    budgetMb,
    estimate: estimateShard(size, count),
    size,
    identities: inv.identities.length,
    principalsPerShard,
  };
  await runStore.put(shardPlanKey(plan.runId), shardPlan);
  return {
    runId: plan.runId,
    count,
    shards: Array.from({ length: count }, (_, shard) => ({ shard, count })),
  };
}

/**
 * What one scan shard needs beyond its snapshot lines (`shardContextKey`): which principals it
 * owns, the key records it holds (its own, those its rules look up across identities, every
 * assumable AWS role), their identities and the people directory as the whole run resolved them.
 */
export interface ShardContext {
  runId: string;
  shard: number;
  count: number;
  /**
   * The principals this shard holds as key records (its own, those its rules look up across
   * identities, every assumable AWS role): uids only. The shard reads every key index anyway and
   * keeps these records from it (their full key records here made each context ~140 MB at 10x).
   */
  held: string[];
  /** Principals whose full record and grants the shard loads (its own identities'). */
  owned: string[];
  /** AWS roles another shard's principal may assume: full record and grants in every shard. */
  assumable: string[];
  /** The identities of the principals held, sorted by id (trimmed to those held when not owned). */
  identities: Identity[];
  directory: DirectorySlice;
  /** The run's, the same in every shard. */
  totals: { identities: number; principals: number };
  /**
   * Per source of the run (in its order), how many parts of this shard's lines plan-shards wrote
   * (`shardLinesKey`; 0 for a source without a snapshot). The shard reads these, not the snapshots.
   */
  parts: number[];
}

/** A people directory restricted to what one shard reads (JSON). */
export interface DirectorySlice {
  authority: PeopleDirectory['authority'];
  hr: HrStatus;
  people: Person[];
  /** Principal uid → [person uid, matched by, value]. */
  matches: Record<string, [string, MatchedBy, string]>;
  /** Normalized email → person uids (the emails NHI owners name). */
  peopleByEmail: Record<string, string[]>;
  keptApart: string[];
  ambiguities: Ambiguity[];
  unusedLinks: UnusedLink[];
}

/** The directory a shard's inventory answers with. */
export function directoryOf(slice: DirectorySlice): PeopleDirectory {
  const people = new Map(slice.people.map((p) => [p.uid, p]));
  const person = (uid: string) => {
    const p = people.get(uid);
    if (!p) throw new Error(`shard directory: no person ${uid}`);
    return p;
  };
  const matches = new Map<string, PersonMatch>();
  for (const [uid, [personUid, by, value]] of Object.entries(slice.matches))
    matches.set(uid, { person: person(personUid), by, value });
  const byEmail = new Map<string, Person[]>();
  for (const [email, uids] of Object.entries(slice.peopleByEmail)) byEmail.set(email, uids.map(person));
  return {
    authority: slice.authority,
    hr: slice.hr,
    people,
    matchOf: (uid) => matches.get(uid),
    peopleWithEmail: (email) => {
      const e = normalizeEmail(email);
      return (e !== undefined && byEmail.get(e)) || [];
    },
    keptApart: new Set(slice.keptApart),
    ambiguities: slice.ambiguities,
    unusedLinks: slice.unusedLinks,
  };
}

/**
 * Shard `shard`'s context. Besides its own principals it holds, as key records: every principal an
 * owner of its non-human principals names (by uid, or every carrier of the email), every carrier
 * of an ambiguous email whose IDENTITY-AMBIGUOUS finding it owns, and every assumable AWS role.
 */
export function shardContext(
  runId: string,
  inv: Inventory,
  shard: number,
  count: number,
  shardOfIdentity: ReadonlyMap<Identity, number>,
  assumable: ReadonlySet<string>,
): ShardContext {
  const held = new Set<string>();
  const ownerEmails = new Set<string>();
  const owned: string[] = [];
  for (const identity of inv.identities) {
    if (shardOfIdentity.get(identity) !== shard) continue;
    for (const uid of identity.principals) {
      owned.push(uid);
      held.add(uid);
      const p = inv.principals.get(uid)!;
      if (p.kind !== 'nonhuman') continue;
      for (const raw of p.owners) {
        const o = raw.trim();
        if (inv.principals.has(o)) held.add(o);
        if (!o.includes('@')) continue;
        const email = normalizeEmail(o);
        if (email !== undefined) ownerEmails.add(email);
        for (const h of inv.principalsWithEmail(o)) held.add(h.uid);
      }
    }
  }
  for (const a of inv.directory.ambiguities) {
    if (shardOf(`email:${a.email}`, count) !== shard) continue;
    for (const h of inv.principalsWithEmail(a.email)) held.add(h.uid);
    for (const uid of a.principals) if (inv.principals.has(uid)) held.add(uid);
  }
  for (const uid of assumable) held.add(uid);

  const identities: Identity[] = [];
  const seen = new Set<Identity>();
  for (const identity of inv.identities) {
    if (seen.has(identity)) continue;
    if (shardOfIdentity.get(identity) === shard) {
      identities.push(identity);
      seen.add(identity);
      continue;
    }
    // Not this shard's: only the principals it holds, so its drafts (dropped) still hash elsewhere.
    if (!identity.principals.some((uid) => held.has(uid))) continue;
    seen.add(identity);
    identities.push({ ...identity, principals: identity.principals.filter((uid) => held.has(uid)) });
  }

  const dir = inv.directory;
  const people = new Map<string, Person>();
  const matches: DirectorySlice['matches'] = {};
  for (const uid of held) {
    const m = dir.matchOf(uid);
    if (!m) continue;
    people.set(m.person.uid, m.person);
    matches[uid] = [m.person.uid, m.by, m.value];
  }
  const peopleByEmail: DirectorySlice['peopleByEmail'] = {};
  for (const email of ownerEmails) {
    const list = dir.peopleWithEmail(email);
    if (list.length === 0) continue;
    for (const p of list) people.set(p.uid, p);
    peopleByEmail[email] = list.map((p) => p.uid);
  }
  return {
    runId,
    shard,
    count,
    held: [...held],
    owned,
    assumable: [...assumable],
    identities,
    directory: {
      authority: dir.authority,
      hr: dir.hr,
      people: [...people.values()],
      matches,
      peopleByEmail,
      keptApart: [...dir.keptApart].filter((uid) => held.has(uid)),
      ambiguities: [...dir.ambiguities],
      unusedLinks: [...dir.unusedLinks],
    },
    totals: { identities: inv.identities.length, principals: inv.principals.size },
    parts: [],
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
  onKey?: (key: KeyRecord, sourceId: string) => void,
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
    await keyRecords(
      snapshots,
      source.keyIndex.location,
      (key) => {
        onKey?.(key, source.id);
        builder.addPrincipal(principalOfKey(key));
      },
      (h) => builder.addSnapshotHeader(h.snapshot),
    );
    if (source.system !== 'hr') continue;
    let first = true;
    for await (const batch of snapshotLineBatches(snapshots, source.snapshot.location)) {
      for (const line of batch) {
        if (first) {
          first = false;
          continue;
        }
        const rec = JSON.parse(line) as { person?: Person; link?: PersonLink };
        if (rec.person) builder.addPerson(rec.person);
        else if (rec.link) builder.addLink(rec.link);
      }
    }
  }
  return builder.finish();
}

/**
 * The key records of one key index file, in order, handed to `each`, its header to `onHeader`
 * first. Read in batches of lines: no promise per record.
 */
export async function keyRecords(
  snapshots: SnapshotSource,
  location: string,
  each: (key: KeyRecord) => void,
  onHeader?: (header: KeyIndexHeader) => void,
): Promise<void> {
  let first = true;
  for await (const batch of snapshotLineBatches(snapshots, location)) {
    for (const line of batch) {
      if (first) {
        const header = JSON.parse(line) as KeyIndexHeader;
        if (header.type !== 'key-index')
          throw new Error(`${location}: not a key index (header type ${header.type})`);
        onHeader?.(header);
        first = false;
        continue;
      }
      each((JSON.parse(line) as { key: KeyRecord }).key);
    }
  }
}
