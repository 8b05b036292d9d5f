/**
 * One scan shard (issue 18, docs/sharding.md): the rules and the SoD engine over the identities
 * plan-shards gave this shard, and nothing else written.
 *
 * What a shard loads:
 * - every principal of the run as its key record (core/run/shard-keys.ts), so correlation, the
 *   people directory and every cross-identity look-up (an NHI's owner by uid or email, the
 *   carriers of an ambiguous email, display names) answer exactly as in the single scan;
 * - the full record and the grants of its own principals;
 * - the full record of every AWS principal and the grants of every assumable AWS role (a caller of
 *   this shard may reach a role of another identity through its trust policy);
 * - every entitlement, HR person and link (definitions and the directory).
 *
 * It keeps the drafts whose subject hashes to it (an identity's, or an email's for
 * IDENTITY-AMBIGUOUS: exactly one shard keeps each), and answers for the stored findings it owns
 * whether their facts still hold, so reconcile never needs the inventory.
 */
import { dropFutureActivity } from '../activity';
import { appendAll } from '../arrays';
import type { Policy } from '../config';
import type { FindingChanges } from '../findings/lifecycle';
import type { Finding, FindingDraft, RuleId } from '../findings/model';
import { type Inventory, InventoryBuilder, inForce, type SourceInfo } from '../inventory';
import type { Entitlement, Grant, Identity, Person, PersonLink, Principal } from '../model';
import { type RunStore, type SnapshotSource, snapshotLineBatches } from '../ports';
import { compareDrafts, evaluateRules } from '../rules';
import { factsHoldIn } from '../rules/facts';
import type { SnapshotHeader } from '../snapshot';
import { type CompiledRuleset, evaluateSod } from '../sod';
import { lifecycleOf, markOverdue, type NameInventory, type NamePrincipal, nameSeen } from './scan';
import { type KeyRecord, principalOfKey } from './shard-keys';
import { shardLines } from './shard-lines';
import {
  directoryOf,
  type ShardContext,
  shardContextKey,
  shardDraftsKey,
  shardFindingsKey,
  shardOf,
  shardOutputKey,
} from './shard-plan';
import type { RunPlan, SourceResult } from './types';

/** At most this many activity warnings per source (as the single scan). */
export const LATE_WARNINGS_SHOWN = 20;

/**
 * Rules whose drafts reconcile makes (from what the shards report, `watched`), never a shard: a
 * shard's part of the lifecycle leaves their stored findings to reconcile.
 */
export const RECONCILE_RULES: ReadonlySet<string> = new Set<RuleId>(['REVIEW-REVOKE-NOT-DONE']);

/** What one shard hands reconcile (`shardOutputKey`). */
export interface ShardOutput {
  runId: string;
  shard: number;
  count: number;
  /**
   * How many drafts this shard owns. The drafts themselves are JSON lines at `shardDraftsKey`,
   * sorted by `compareDrafts` (at 10x ~110k per shard: one JSON text of them was 150 MB, and
   * reconcile parsing every shard's at once ran out of heap).
   */
  draftCount: number;
  /** Stored finding id → its facts in this run: 1 hold, 0 gone, 2 cannot tell. Owned findings only. */
  facts: Record<string, 0 | 1 | 2>;
  /** Principals the drafts name and their identities' principals, as display names read them. */
  names: {
    principals: Record<string, NamePrincipal>;
    /** Principal uid → its identity's principals (absent: in no identity). */
    identities: Record<string, string[]>;
  };
  /** Per source, activity later than the as-of on owned principals: the first few, by position. */
  late: Record<string, { count: number; first: { at: number; text: string }[] }>;
  /** Grants in force of owned principals (or of record-less principals hashed here). */
  grants: number;
  /** The same in every shard: identities and principal records of the run. */
  identities: number;
  principals: number;
  /** Links of the HR source naming an account in no source (the same in every shard). */
  warnings: string[];
  /** What `watch` asked for, of owned principals; the sources as every shard sees them. */
  watched?: WatchedFacts;
  /**
   * This shard's part of the findings lifecycle (`ScanShardInput.lifecycle`), when it could run it
   * alone: its findings are at `shardFindingsKey`. Absent: reconcile runs the lifecycle itself.
   */
  lifecycle?: ShardLifecycle;
}

/**
 * What the lifecycle gave one shard: its drafts against the stored findings it answers for
 * (`facts`), named and marked overdue as the single scan does. The lists hold finding ids, sorted.
 */
export interface ShardLifecycle {
  findings: number;
  changed: string[];
  changes: Record<keyof FindingChanges, string[]>;
}

/** What a revocation check (core/reviews/revocation.ts) and its drafts read of an inventory. */
export interface WatchedFacts {
  sources: SourceInfo[];
  grants: Record<string, Grant[]>;
  notInForce: Grant[];
  identities: Record<string, Identity>;
  entitlements: Record<string, Entitlement>;
}

export interface ScanShardInput {
  plan: RunPlan;
  sources: SourceResult[];
  policy: Policy;
  sod: CompiledRuleset | undefined;
  snapshots: SnapshotSource;
  runStore: RunStore;
  shard: number;
  count: number;
  /** Every stored finding (read only): the shard answers `factsHold` for those it owns. */
  previous: readonly Finding[];
  /** More drafts made outside the rules, with this shard's inventory (kept when owned). */
  extraDrafts?: (inventory: Inventory) => FindingDraft[];
  /**
   * Access-review revocations to check (principal uids, entitlement uids): the shard reports what
   * the revocation check reads of the principals it owns (`ShardOutput.watched`).
   */
  watch?: { principals: readonly string[]; entitlements: readonly string[] };
  /**
   * Run the findings lifecycle for this shard's part (its drafts, the stored findings it answers
   * for) when that part stands alone (`shardLifecycle`), so reconcile only merges. The run's
   * ruleset hashes (the policy basis) come with it.
   */
  lifecycle?: { rulesetHashes: Readonly<Record<string, string>> };
}

/**
 * @example
 * await scanShardStep({ plan, sources, policy, sod, snapshots, runStore, shard: 0, count: 3, previous });
 */
export async function scanShardStep(input: ScanShardInput): Promise<ShardOutput> {
  const { plan, shard, count } = input;
  if (!Number.isInteger(shard) || shard < 0 || shard >= count)
    throw new Error(`scan-shard: shard ${shard} is not one of 0…${count - 1}`);
  // The inventory lives only while the drafts and facts are made: the lifecycle below runs
  // without it (its names from the output's tables), so a shard's peak stays the inventory's.
  const evaluated = await evaluateShard(input);
  const output = evaluated.output;
  // The drafts as reconcile reads them (JSON lines): the lifecycle here starts from the same text.
  const draftLines = evaluated.drafts.map((d) => JSON.stringify(d));
  evaluated.drafts = [];
  const lifecycle = input.lifecycle
    ? shardLifecycle(
        { ...input, lifecycle: input.lifecycle },
        nameInventory([output]),
        draftLines,
        output.facts,
      )
    : undefined;
  if (lifecycle) output.lifecycle = lifecycle.summary;
  // The drafts (and findings) first: the output is what says the shard finished.
  await input.runStore.putLines(shardDraftsKey(plan.runId, shard), draftLines);
  if (lifecycle)
    await input.runStore.putLines(shardFindingsKey(plan.runId, shard), jsonOf(lifecycle.findings));
  await input.runStore.put(shardOutputKey(plan.runId, shard), output);
  return output;
}

/** A shard's drafts (owned, sorted) and its output but the lifecycle. */
async function evaluateShard(
  input: ScanShardInput,
): Promise<{ output: ShardOutput; drafts: FindingDraft[] }> {
  const { plan, shard, count } = input;
  const context = await input.runStore.get<ShardContext>(shardContextKey(plan.runId, shard));
  if (!context || context.runId !== plan.runId || context.count !== count)
    throw new Error(`scan-shard: run ${plan.runId} has no plan for shard ${shard} of ${count}`);
  const { inv, grants, late, known } = await readShardInventory(input, context);
  const owned = new Set(context.owned);
  context.held = [];
  /** A principal of this shard: its identity's, or (no record) its uid hashes here. */
  const mine = (uid: string) =>
    owned.has(uid) || (!known.has(uid) && shardOf(`principal:${uid}`, count) === shard);

  const sourcePolicies = new Map(plan.sources.flatMap((s) => (s.policy ? [[s.id, s.policy] as const] : [])));
  const ruleOptions = {
    asOf: new Date(plan.asOf),
    policy: input.policy,
    financiallySignificant: (id: string) =>
      plan.sources.find((s) => s.id === id)?.financiallySignificant ?? false,
    sourcePolicy: (id: string) => sourcePolicies.get(id),
  };
  const all = evaluateRules(inv, { ...ruleOptions, sod: undefined });
  appendAll(all, input.sod ? evaluateSod(inv, input.sod) : []);
  appendAll(all, input.extraDrafts?.(inv) ?? []);
  const drafts = all.filter((d) => shardOf(d.subject.identity, count) === shard).sort(compareDrafts);

  const hold = factsHoldIn(inv, new Date(plan.asOf));
  const facts: Record<string, 0 | 1 | 2> = {};
  for (const f of input.previous) {
    // An email's doubt (IDENTITY-AMBIGUOUS) is judged from the run's ambiguities, which every
    // shard holds: by the shard its drafts go to (the email's), so that shard's part of the
    // lifecycle stands alone.
    if (f.rule === 'IDENTITY-AMBIGUOUS') {
      if (shardOf(f.subject.identity, count) !== shard) continue;
      const h = hold(f);
      facts[f.id] = h === true ? 1 : h === false ? 0 : 2;
      continue;
    }
    // The shard of the first principal's identity, as the whole run correlates it; a principal
    // without a record this run (or none) leaves it to the subject's.
    const first = f.subject.principals[0];
    const identity = first !== undefined ? inv.identityOf(first) : undefined;
    if (!identity && first !== undefined && known.has(first)) continue; // held by another shard
    if (shardOf(identity?.id ?? f.subject.identity, count) !== shard) continue;
    const h = hold(f);
    facts[f.id] = h === true ? 1 : h === false ? 0 : 2;
  }

  const output: ShardOutput = {
    runId: plan.runId,
    shard,
    count,
    draftCount: drafts.length,
    facts,
    // Reconcile also names the access-review findings it makes from `watched`: their principals too.
    names: namesOf(inv, [
      ...drafts.map((d) => d.subject.principals),
      (input.watch?.principals ?? []).filter((uid) => mine(uid)),
    ]),
    late,
    grants,
    identities: context.totals.identities,
    principals: context.totals.principals,
    warnings: inv.directory.unusedLinks.filter((l) => l.reason === 'principal').map((l) => l.text),
    ...(input.watch ? { watched: watchedFacts(inv, input.watch, mine) } : {}),
  };
  return { output, drafts };
}

function* jsonOf(items: readonly unknown[]): Generator<string> {
  for (const item of items) yield JSON.stringify(item);
}

/**
 * The lifecycle of one shard's part of the run, or undefined when that part does not stand alone.
 * It stands alone when no draft of this shard touches a stored finding another shard answers for:
 * none has the id of one, and none shares a rule, rule key and anchor with one (the lifecycle
 * could take it for that finding). Then the lifecycle over these drafts and the stored findings
 * this shard answers for gives, finding for finding, what it gives over the whole run (every
 * finding's fate depends only on its own drafts, its stored form and its facts); reconcile checks
 * the rest (every stored finding answered by exactly one shard, no id from two shards).
 */
function shardLifecycle(
  input: ScanShardInput & { lifecycle: NonNullable<ScanShardInput['lifecycle']> },
  names: NameInventory,
  draftLines: readonly string[],
  facts: Readonly<Record<string, 0 | 1 | 2>>,
): { summary: ShardLifecycle; findings: Finding[] } | undefined {
  const { plan } = input;
  const drafts = draftLines.map((line) => JSON.parse(line) as FindingDraft);
  const mine: Finding[] = [];
  const othersIds = new Set<string>();
  const othersAnchors = new Set<string>();
  for (const f of input.previous) {
    if (facts[f.id] !== undefined && !RECONCILE_RULES.has(f.rule)) {
      mine.push(f);
      continue;
    }
    othersIds.add(f.id);
    if (f.ruleKey === undefined) continue;
    for (const a of f.subject.anchors ?? []) othersAnchors.add(`${f.rule}\u0000${f.ruleKey}\u0000${a}`);
  }
  if (othersAnchors.size > 0) {
    for (const d of drafts) {
      if (d.ruleKey === undefined) continue;
      for (const a of d.subject.anchors ?? [])
        if (othersAnchors.has(`${d.rule}\u0000${d.ruleKey}\u0000${a}`)) return undefined;
    }
  }
  const hold = (f: Finding): boolean | undefined => {
    const v = facts[f.id];
    return v === 1 ? true : v === 0 ? false : undefined;
  };
  const result = lifecycleOf(
    { plan, sources: input.sources, policy: input.policy, rulesetHashes: input.lifecycle.rulesetHashes },
    mine,
    drafts,
    hold,
  );
  // A draft with the id of a finding another shard answers for: the lifecycle here took it for new.
  for (const f of result.findings) if (othersIds.has(f.id)) return undefined;
  nameSeen(result.findings, plan.runId, names);
  markOverdue(result, new Date(plan.asOf));
  const ids = (list: readonly Finding[]) => list.map((f) => f.id);
  const changes = Object.fromEntries(
    Object.entries(result.changes).map(([k, v]) => [k, ids(v as Finding[])]),
  ) as ShardLifecycle['changes'];
  return {
    summary: { findings: result.findings.length, changed: ids(result.changed), changes },
    findings: result.findings,
  };
}

function watchedFacts(
  inv: Inventory,
  watch: NonNullable<ScanShardInput['watch']>,
  mine: (uid: string) => boolean,
): WatchedFacts {
  const out: WatchedFacts = {
    sources: [...inv.sources.values()],
    grants: {},
    notInForce: [],
    identities: {},
    entitlements: {},
  };
  const entitlement = (uid: string) => {
    const e = inv.entitlements.get(uid);
    if (e) out.entitlements[uid] = e;
  };
  for (const uid of watch.entitlements) entitlement(uid);
  const principals = new Set(watch.principals.filter(mine));
  for (const uid of principals) {
    const grants = inv.grantsOf(uid);
    if (grants.length > 0) out.grants[uid] = [...grants];
    for (const g of grants) for (const e of [g.entitlement, ...g.path]) entitlement(e);
    const identity = inv.identityOf(uid);
    if (identity) out.identities[uid] = identity;
  }
  for (const g of inv.grantsNotInForce) {
    if (!principals.has(g.principal)) continue;
    out.notInForce.push(g);
    for (const e of [g.entitlement, ...g.path]) entitlement(e);
  }
  return out;
}

/** The shards' name tables as the inventory `nameSeen` reads. */
export function nameInventory(outputs: readonly Pick<ShardOutput, 'names'>[]): NameInventory {
  const principals = new Map<string, ShardOutput['names']['principals'][string]>();
  const identities = new Map<string, string[]>();
  for (const out of outputs) {
    for (const [uid, p] of Object.entries(out.names.principals)) principals.set(uid, p);
    for (const [uid, list] of Object.entries(out.names.identities)) identities.set(uid, list);
  }
  return {
    identityOf: (uid) => {
      const list = identities.get(uid);
      return list ? { principals: list } : undefined;
    },
    principals,
  };
}

/** What the display names of findings about `subjects` read (scan.ts `nameSeen`), and no more. */
function namesOf(inv: Inventory, subjects: readonly (readonly string[])[]): ShardOutput['names'] {
  const principals: Record<string, NamePrincipal> = {};
  const identities: Record<string, string[]> = {};
  const keep = (uid: string) => {
    if (principals[uid]) return;
    const p = inv.principals.get(uid);
    if (!p) return;
    const np: NamePrincipal = { uid: p.uid, system: p.system, name: p.name, status: p.status, tags: {} };
    if (p.tags.displayName !== undefined) np.tags.displayName = p.tags.displayName;
    principals[uid] = np;
  };
  for (const principals of subjects) {
    for (const uid of principals) {
      keep(uid);
      if (identities[uid]) continue;
      const identity = inv.identityOf(uid);
      if (!identity) continue;
      identities[uid] = [...identity.principals];
      for (const member of identity.principals) keep(member);
    }
  }
  return { principals, identities };
}

type SnapshotRecordUnion = {
  principal: Principal;
  entitlement: Entitlement;
  grant: Grant;
  person: Person;
  link: PersonLink;
};

async function readShardInventory(
  input: ScanShardInput,
  context: ShardContext,
): Promise<{ inv: Inventory; grants: number; late: ShardOutput['late']; known: Set<string> }> {
  const { plan, count, shard } = input;
  const significant = new Map(plan.sources.map((s) => [s.id, s.financiallySignificant]));
  const asOf = new Date(plan.asOf);
  const asOfMs = asOf.getTime();
  const builder = new InventoryBuilder({
    financiallySignificant: (id) => significant.get(id) ?? false,
    asOf,
  });
  const late: ShardOutput['late'] = {};
  const owned = new Set(context.owned);
  const assumable = new Set(context.assumable);
  /** Principals whose full record (and grants) this shard loads. */
  const full = (uid: string) => owned.has(uid) || assumable.has(uid);
  /** Every principal uid of the run with a record. */
  const known = new Set<string>();
  let grants = 0;
  // Grants of a principal without a record go to the shard its uid hashes to (the last answer is
  // kept: a principal's grants are consecutive lines).
  let lastUid: string | undefined;
  let lastMine = false;
  const ownsGrantOf = (uid: string) => {
    if (uid === lastUid) return lastMine;
    lastUid = uid;
    lastMine = owned.has(uid) || (!known.has(uid) && shardOf(`principal:${uid}`, count) === shard);
    return lastMine;
  };

  // Every key index first (uids; the key records of the principals held): a grant may name a
  // principal of a source read later.
  const held = new Set(context.held);
  const membersOf = new Map<string, KeyRecord[]>();
  for (const source of input.sources) {
    if (!source.snapshot) continue;
    if (!source.keyIndex) throw new Error(`scan-shard: source ${source.id} has no key index`);
    const keys: KeyRecord[] = [];
    await keyUids(input.snapshots, source.keyIndex.location, (uid, line) => {
      known.add(uid);
      if (held.has(uid)) keys.push((JSON.parse(line) as { key: KeyRecord }).key);
    });
    membersOf.set(source.id, keys);
  }
  held.clear();

  for (const [sourceNo, source] of input.sources.entries()) {
    if (!source.snapshot) {
      builder.addFailedSource({
        sourceId: source.id,
        system: source.system,
        error: source.error ?? 'not collected',
        ...(source.tenant ? { tenant: source.tenant } : {}),
      });
      continue;
    }
    // The key records held first, in snapshot order: the principals keep the single scan's order,
    // and the full records read below take their place.
    for (const key of membersOf.get(source.id) ?? []) builder.addPrincipal(principalOfKey(key));
    membersOf.delete(source.id);
    const sourceLate: { at: number; text: string }[] = [];
    let lateCount = 0;
    let first = true;
    // The lines plan-shards kept for this shard, in snapshot order (core/run/shard-lines.ts).
    const parts = context.parts[sourceNo] ?? 0;
    for await (const batch of shardLines(input.runStore, plan.runId, shard, sourceNo, parts))
      for (const kept of batch) {
        if (first) {
          builder.addSnapshotHeader(JSON.parse(kept) as SnapshotHeader);
          first = false;
          continue;
        }
        // A principal line comes as `<ordinal> <line>`.
        let line = kept;
        let at = -1;
        const c = kept.charCodeAt(0);
        if (c >= 48 && c <= 57) {
          const space = kept.indexOf(' ');
          at = Number(kept.slice(0, space));
          line = kept.slice(space + 1);
        }
        const rec = JSON.parse(line) as Partial<SnapshotRecordUnion>;
        if (rec.grant) {
          const uid = rec.grant.principal;
          const mine = ownsGrantOf(uid);
          if (!mine && !assumable.has(uid)) continue;
          if (mine && inForce(rec.grant, asOfMs)) grants++;
          // Grants of a principal without a record are kept too: no rule reads them, but a revocation
          // check must see them (a grant still there is never "revoked").
          builder.addGrant(rec.grant);
        } else if (rec.principal) {
          const uid = rec.principal.uid;
          if (at < 0 || !full(uid))
            throw new Error(
              `scan-shard: ${source.id}: principal ${uid} is not one plan-shards gave shard ${shard}`,
            );
          const warnings = dropFutureActivity(rec.principal, asOfMs);
          if (owned.has(uid)) {
            lateCount += warnings.length;
            for (const text of warnings)
              if (sourceLate.length < LATE_WARNINGS_SHOWN) sourceLate.push({ at, text });
          }
          builder.addPrincipal(rec.principal);
        } else if (rec.entitlement) builder.addEntitlement(rec.entitlement);
      }
    if (first) throw new Error(`scan-shard: ${source.id}: plan-shards wrote no lines for shard ${shard}`);
    if (lateCount > 0) late[source.id] = { count: lateCount, first: sourceLate };
  }
  const inv = builder.finish({ identities: context.identities, directory: directoryOf(context.directory) });
  return { inv, grants, late, known };
}

const KEY_PREFIX = '{"key":{"uid":"';

/**
 * The uids of a key index with their lines, in order, handed to `each` (keyRecordOf writes the uid
 * first: no parse per line). Read in batches: no promise per line.
 */
async function keyUids(
  snapshots: SnapshotSource,
  location: string,
  each: (uid: string, line: string) => void,
): Promise<void> {
  let first = true;
  for await (const batch of snapshotLineBatches(snapshots, location)) {
    for (const line of batch) {
      if (first) {
        first = false;
        continue;
      }
      if (line.startsWith(KEY_PREFIX)) {
        const end = line.indexOf('"', KEY_PREFIX.length);
        const raw = line.slice(KEY_PREFIX.length, end);
        if (end > 0 && !raw.includes('\\')) {
          each(raw, line);
          continue;
        }
      }
      each((JSON.parse(line) as { key: KeyRecord }).key.uid, line);
    }
  }
}
