/**
 * Step 3 of a run: read every collected snapshot, correlate identities, evaluate the rules and
 * reconcile the drafts with the stored findings. The result goes to the run store for `seal`.
 */

import { dropFutureActivity } from '../activity';
import { concatenated } from '../arrays';
import type { Policy } from '../config';
import type { Logger } from '../connector';
import { InputError } from '../errors';
import type { PackReader } from '../evidence/ports';
import { displayName, isOverdue } from '../findings/display';
import { type FindingChanges, type ReconcileResult, reconcile } from '../findings/lifecycle';
import type { Finding, FindingDraft, RuleId, Severity } from '../findings/model';
import type { ChainHead, FindingsRepository } from '../findings/repository';
import { type Inventory, InventoryBuilder } from '../inventory';
import type { Entitlement, Grant, Person, PersonLink, Principal } from '../model';
import type { RunStore, SnapshotSource } from '../ports';
import { evaluateRules } from '../rules';
import { factsHoldIn, policyBasisFor } from '../rules/facts';
import { RECORD_KINDS, type RecordKind, type SnapshotHeader } from '../snapshot';
import { type CompiledRuleset, planSod, sodDrafts as sodDraftsOf } from '../sod';
import { reserveRun } from './recover';
import { type RunRecord, unsealedRecords } from './run-record';
import type { RunPlan, SourceResult } from './types';

export interface ScanStepInput {
  plan: RunPlan;
  sources: SourceResult[];
  policy: Policy;
  sod: CompiledRuleset | undefined;
  snapshots: SnapshotSource;
  repo: FindingsRepository;
  runStore: RunStore;
  /** The real clock, for the reservation's timestamp only (rules use `plan.asOf`). */
  now: () => Date;
  logger: Logger;
  /** Called after each stage with its name (benchmark and progress hooks). */
  onStage?: (stage: ScanStage, records: number) => void;
  /**
   * The evidence store's reader: when given, a run that crashed between reserving the chain and
   * committing is settled first (its sealed pack adopted, or its reservation cleared).
   */
  packs?: PackReader;
  /**
   * How old a reservation must be before its run counts as crashed (default 26 h, longer than the
   * longest run). 0 only when no other run can be alive (the CLI locks its state folder).
   */
  reservationLeaseMs?: number;
  /** Hands the correlated inventory to a caller that cross-checks the engine (the benchmark). */
  onInventory?: (inventory: Inventory) => void;
  /**
   * Ruleset id → SHA-256 of its text (policy.json): a SoD finding no longer flagged because its
   * ruleset changed is resolved `policy-changed`. Absent: such findings stay as they were.
   */
  rulesetHashes?: Readonly<Record<string, string>>;
  /** More drafts made outside the rules, with the inventory. */
  extraDrafts?: (inventory: Inventory) => FindingDraft[];
  /**
   * Most findings one run may produce (config `limits.maxFindings`; the CLI defaults it from the
   * heap): past it the scan stops before reserving the chain (`FindingsLimitError`, exit 2).
   * Absent: no limit.
   */
  maxFindings?: number;
}

/** A run would produce more findings than `maxFindings`: stopped before anything was reserved. */
export class FindingsLimitError extends InputError {}

/**
 * Throws `FindingsLimitError` when this run's drafts would exceed `maxFindings`. The count is of
 * drafts (SoD conflicts before their evidence is built); findings stored by earlier runs and not
 * seen again come on top, so the limit keeps a margin.
 */
export function checkFindingsLimit(
  counts: { rules?: number; sod: number; other: number },
  maxFindings: number | undefined,
): void {
  if (maxFindings === undefined) return;
  const total = (counts.rules ?? 0) + counts.sod + counts.other;
  if (total <= maxFindings) return;
  const n = (x: number) => x.toLocaleString('en-US');
  throw new FindingsLimitError(
    `this run would record ${n(total)} findings (${n(counts.sod)} SoD conflicts, ${counts.rules === undefined ? 'the other rules not counted yet' : `${n(counts.rules)} from the other rules`}${counts.other ? `, ${n(counts.other)} from access reviews` : ''}), above limits.maxFindings (${n(maxFindings)}): a single scan holds every finding in memory and would run out of it. Nothing of this run was reserved, kept or sealed. Raise limits.maxFindings in the config together with the heap (NODE_OPTIONS=--max-old-space-size=<MB>), or narrow the ruleset or the sources (docs/limits.md)`,
  );
}

const GRANT_KIND = RECORD_KINDS.indexOf('grant');

export type ScanStage = 'parse' | 'correlate' | 'rules' | 'sod' | 'diff' | 'store';

export interface ScanSummary {
  runId: string;
  /** The head the pack will link to. */
  head: ChainHead | null;
  /** The run store key of the full result. */
  resultKey: string;
  findings: number;
  open: number;
  /** Open (and reopened) findings by rule. */
  byRule: Partial<Record<RuleId, number>>;
  bySeverity: Partial<Record<Severity, number>>;
  changes: Record<keyof FindingChanges, number>;
  identities: number;
  principals: number;
  grants: number;
  /**
   * What the scan noticed about its inputs that no snapshot could: links of the HR source naming an
   * account that is in no source of the run (`links.csv:4: principal … is in no source …`).
   */
  warnings?: string[];
}

/** Everything `seal` needs, stored under `resultKey`. */
export interface ScanResult {
  runId: string;
  head: ChainHead | null;
  /** Every finding after the run, sorted by id. */
  findings: Finding[];
  /** Ids of the findings whose stored form changed in this run. */
  changed: string[];
  changes: Record<keyof FindingChanges, string[]>;
  summary: ScanSummary;
  /** Failed and released runs no pack carries yet: sealed into this run's pack (`runs.jsonl`). */
  runRecords?: RunRecord[];
}

export function scanResultKey(runId: string): string {
  return `runs/${runId}/scan-result.json`;
}

/**
 * The findings lifecycle of a run over its drafts: the stored findings and unsealed run records
 * loaded, then `reconcile` with the run's sources, policy basis and facts. One implementation for
 * the single scan and the sharded reconcile, so the two cannot drift.
 *
 * @example
 * const { result, runRecords } = await runLifecycle(input, drafts, factsHoldIn(inv, asOf));
 */
export async function runLifecycle(
  input: Pick<ScanStepInput, 'plan' | 'sources' | 'policy' | 'repo' | 'rulesetHashes'>,
  drafts: Iterable<FindingDraft>,
  factsHold: (f: Finding) => boolean | undefined,
): Promise<{ result: ReconcileResult; runRecords: RunRecord[] }> {
  const previous = await input.repo.loadAll();
  const runRecords = unsealedRecords(await input.repo.listRunRecords());
  return { result: lifecycleOf(input, previous, drafts, factsHold), runRecords };
}

/**
 * `reconcile` with the run's sources, policy basis and facts over `previous` (the stored findings,
 * or the part of them one scan shard answers for: core/run/shard-scan.ts). Pure.
 */
export function lifecycleOf(
  input: Pick<ScanStepInput, 'plan' | 'sources' | 'policy' | 'rulesetHashes'>,
  previous: readonly Finding[],
  drafts: Iterable<FindingDraft>,
  factsHold: (f: Finding) => boolean | undefined,
): ReconcileResult {
  const { plan } = input;
  const sourcePolicies = new Map(plan.sources.flatMap((s) => (s.policy ? [[s.id, s.policy] as const] : [])));
  const complete = new Set(input.sources.filter((s) => s.status === 'complete').map((s) => s.id));
  const notComplete = new Set(input.sources.filter((s) => s.status !== 'complete').map((s) => s.id));
  return reconcile({
    previous,
    drafts,
    runId: plan.runId,
    asOf: new Date(plan.asOf),
    completeSources: complete,
    failedOrIncompleteSources: notComplete,
    slaDays: input.policy.slaDays,
    // A source that failed may be a whole AWS Organization whose accounts could not be listed:
    // then no absent source proves it was removed from the configuration.
    ...(input.sources.some((s) => s.status === 'failed')
      ? {}
      : {
          configuredSources: new Set([...plan.sources.map((s) => s.id), ...input.sources.map((s) => s.id)]),
        }),
    policyBasis: policyBasisFor(input.policy, new Map(Object.entries(input.rulesetHashes ?? {})), (id) =>
      sourcePolicies.get(id),
    ),
    factsHold,
  });
}

/**
 * @example
 * const summary = await scanStep({ plan, sources, policy, sod, snapshots, repo, runStore, now: () => new Date(), logger });
 */
export async function scanStep(input: ScanStepInput): Promise<ScanSummary> {
  const { plan, repo, logger } = input;
  const resultKey = scanResultKey(plan.runId);
  const stored = await input.runStore.get<ScanResult>(resultKey);
  // A re-delivered step reuses its result only while the run still holds (or has committed) the
  // chain. A run whose reservation was released (a failed step, then a redrive) scans again: the
  // findings may have changed since, and its old result would overwrite them.
  if (stored && (await holdsOrCommitted(repo, plan.runId))) return stored.summary;

  // The inventory is read, the rules run and the SoD conflicts are counted before the chain is
  // reserved: a run with more findings than this process can hold stops here, with nothing
  // reserved or written (issue 11: 250k users x 22 findings ran the heap out after minutes).
  const inv = await readInventory(input);
  input.onInventory?.(inv);
  const warnings = inv.directory.unusedLinks.filter((l) => l.reason === 'principal').map((l) => l.text);
  for (const w of warnings) logger.warn('link not applied', { warning: w });
  const sourcePolicies = new Map(plan.sources.flatMap((s) => (s.policy ? [[s.id, s.policy] as const] : [])));
  const ruleOptions = {
    asOf: new Date(plan.asOf),
    policy: input.policy,
    financiallySignificant: (id: string) =>
      plan.sources.find((s) => s.id === id)?.financiallySignificant ?? false,
    sourcePolicy: (id: string) => sourcePolicies.get(id),
  };
  // The principal rules and the SoD engine run as two stages so each can be measured on its own.
  // The SoD conflicts are counted first: at 250k users holding every role, the rules stage itself
  // ran the 4 GB heap out (measured), so the limit is checked before it and again after it.
  const sodPlan = input.sod ? planSod(inv, input.sod) : undefined;
  const extraDrafts = input.extraDrafts?.(inv) ?? [];
  checkFindingsLimit({ sod: sodPlan?.conflicts.length ?? 0, other: extraDrafts.length }, input.maxFindings);
  const ruleDrafts = evaluateRules(inv, { ...ruleOptions, sod: undefined });
  input.onStage?.('rules', ruleDrafts.length);
  checkFindingsLimit(
    { rules: ruleDrafts.length, sod: sodPlan?.conflicts.length ?? 0, other: extraDrafts.length },
    input.maxFindings,
  );

  const head = await reserveRun(input, plan.runId);

  const sodDrafts = input.sod && sodPlan ? sodDraftsOf(inv, input.sod, sodPlan) : [];
  input.onStage?.('sod', sodDrafts.length);
  // The drafts stream into the lifecycle list by list: never one array of them all, and never
  // spread into arguments (`push(...sodDrafts)` threw RangeError past ~150k SoD conflicts, issue 11).
  // No sort either: the lifecycle's output is sorted by finding id whatever the drafts' order.
  const drafts = concatenated([ruleDrafts, sodDrafts, extraDrafts]);

  const { result, runRecords } = await runLifecycle(input, drafts, factsHoldIn(inv, new Date(plan.asOf)));
  nameSeen(result.findings, plan.runId, inv);
  markOverdue(result, new Date(plan.asOf));
  input.onStage?.('diff', result.findings.length);

  const ids = (list: Finding[]) => list.map((f) => f.id);
  const changes = Object.fromEntries(
    Object.entries(result.changes).map(([k, v]) => [k, ids(v as Finding[])]),
  ) as ScanResult['changes'];
  const summary: ScanSummary = {
    runId: plan.runId,
    head,
    resultKey,
    findings: result.findings.length,
    open: result.findings.filter(isOpen).length,
    byRule: countBy(result.findings.filter(isOpen), (f) => f.rule),
    bySeverity: countBy(result.findings.filter(isOpen), (f) => f.severity),
    changes: Object.fromEntries(
      Object.entries(changes).map(([k, v]) => [k, v.length]),
    ) as ScanSummary['changes'],
    identities: inv.identities.length,
    principals: inv.principals.size,
    grants: inv.grantCount,
    ...(warnings.length ? { warnings } : {}),
  };
  const full: ScanResult = {
    runId: plan.runId,
    head,
    findings: result.findings,
    changed: ids(result.changed),
    changes,
    summary,
    ...(runRecords.length ? { runRecords } : {}),
  };
  await input.runStore.put(resultKey, full);
  input.onStage?.('store', result.findings.length);
  logger.info('scan finished', { runId: plan.runId, findings: summary.findings, open: summary.open });
  return summary;
}

export async function holdsOrCommitted(repo: FindingsRepository, runId: string): Promise<boolean> {
  if ((await repo.pendingReservation())?.runId === runId) return true;
  return (await repo.getChainHead())?.runId === runId;
}

/** Findings that ask for action now: open or reopened (not resolved, not under an exception). */
export function isOpen(f: Finding): boolean {
  return f.status === 'open' || f.status === 'reopened';
}

async function readInventory(input: ScanStepInput): Promise<Inventory> {
  const significant = new Map(input.plan.sources.map((s) => [s.id, s.financiallySignificant]));
  const builder = new InventoryBuilder({
    financiallySignificant: (id) => significant.get(id) ?? false,
    // Validity windows (SAP user and role-assignment dates) are judged against the run's as-of.
    asOf: new Date(input.plan.asOf),
  });
  let records = 0;
  const asOfMs = Date.parse(input.plan.asOf);
  for (const source of input.sources) {
    const late: string[] = [];
    if (!source.snapshot) {
      builder.addFailedSource({
        sourceId: source.id,
        system: source.system,
        error: source.error ?? 'not collected',
        ...(source.tenant ? { tenant: source.tenant } : {}),
      });
      continue;
    }
    const add = (kind: RecordKind | undefined, value: unknown) => {
      if (kind === 'grant') builder.addGrant(value as Grant);
      else if (kind === 'principal') {
        for (const w of dropFutureActivity(value as Principal, asOfMs)) late.push(w);
        builder.addPrincipal(value as Principal);
      } else if (kind === 'entitlement') builder.addEntitlement(value as Entitlement);
      else if (kind === 'person') builder.addPerson(value as Person);
      else if (kind === 'link') builder.addLink(value as PersonLink);
      records++;
    };
    // Collected in this process: the very records the snapshot's lines were written from.
    const kept = input.snapshots.takeRecords?.(source.snapshot.location);
    if (kept) {
      builder.addSnapshotHeader(kept.header);
      for (const part of kept.parts) {
        const { kinds, records: values } = part;
        for (let i = 0; i < values.length; i++) {
          // Grants are ~93 % of the records (2M on the bench): straight to the builder.
          if (kinds[i] === GRANT_KIND) {
            builder.addGrant(values[i] as Grant);
            records++;
          } else add(RECORD_KINDS[kinds[i] as number], values[i]);
        }
      }
      if (late.length > 0) addWarnings(source, builder, late);
      continue;
    }
    let first = true;
    for await (const line of input.snapshots.lines(source.snapshot.location)) {
      if (first) {
        builder.addSnapshotHeader(JSON.parse(line) as SnapshotHeader);
        first = false;
        continue;
      }
      // Record lines are one-key objects: {"principal":…}, {"entitlement":…} or {"grant":…}.
      const rec = JSON.parse(line) as Partial<SnapshotRecordUnion>;
      if (rec.grant) add('grant', rec.grant);
      else if (rec.principal) add('principal', rec.principal);
      else if (rec.entitlement) add('entitlement', rec.entitlement);
      else if (rec.person) add('person', rec.person);
      else if (rec.link) add('link', rec.link);
      else records++;
    }
    if (late.length > 0) addWarnings(source, builder, late);
  }
  input.onStage?.('parse', records);
  const inv = builder.finish();
  input.onStage?.('correlate', inv.identities.length);
  return inv;
}

/**
 * The `display` name of every finding this run saw, resolved one way from the subject's principals
 * (`display.ts`). Findings not seen keep the name they were stored with. (Seen findings are all
 * rewritten by the lifecycle, so the store gets the name.)
 */
export function nameSeen(findings: Finding[], runId: string, inv: NameInventory): void {
  // An identity's name is computed once, not once per finding about it (tens per person, issue 11).
  // Keyed by the identity's principal list, which the inventory holds once per identity.
  // `null`: the identity has no name (one lookup per finding, not `has` then `get`).
  const names = new Map<readonly string[], string | null>();
  for (const f of findings) {
    if (f.lastSeenRun !== runId) continue;
    // The identity's principals, not only the subject's: one name per identity in every finding.
    const { subject } = f;
    const first = subject.principals[0];
    const identity = first !== undefined ? inv.identityOf(first) : undefined;
    let name = identity ? names.get(identity.principals) : undefined;
    if (name === undefined) {
      const principals: NamePrincipal[] = [];
      for (const uid of identity?.principals ?? subject.principals) {
        const p = inv.principals.get(uid);
        if (p) principals.push(p);
      }
      name = displayName(principals) ?? null;
      if (identity) names.set(identity.principals, name);
    }
    if (name === null) continue;
    f.display = name;
    // A person is named one way in titles too: where a title names the person only by the
    // account's own name in its system ("Murphy, Lena", a login email), the display name takes its
    // place (the account stays in the principals). A title that already names the person keeps the
    // account name as the account ("Leaver Tomas Quintero still has active account tquintero").
    if (subject.principals.length !== 1 || !subject.identity.startsWith('person:')) continue;
    const own = inv.principals.get(first!)?.name.trim();
    if (own && own !== name && !f.title.includes(name) && f.title.includes(own)) {
      f.title = f.title.replace(own, name);
    }
  }
}

/**
 * `overdue` against this run's as-of on every finding. A finding the lifecycle did not change but
 * whose flag moved (it fell due, or it left the open states) is stored again so the store agrees.
 */
export function markOverdue(result: ReconcileResult, asOf: Date): void {
  // `changed` is a subsequence of `findings` (both sorted by id, the same objects, as `reconcile`
  // returns them): walked alongside instead of a set of 115k ids. Otherwise, the set.
  const list = result.changed;
  const walk = isSubsequence(list, result.findings);
  const changed = walk ? undefined : new Set(list.map((f) => f.id));
  const before = list.length;
  let j = 0;
  let extra = false;
  for (const f of result.findings) {
    let wasChanged: boolean;
    if (changed) wasChanged = changed.has(f.id);
    else {
      wasChanged = j < before && list[j] === f;
      if (wasChanged) j++;
    }
    const overdue = isOverdue(f, asOf);
    if ((f.overdue ?? false) === overdue) continue;
    if (overdue) f.overdue = true;
    else delete f.overdue;
    if (!wasChanged) {
      result.changed.push(f);
      extra = true;
    }
  }
  if (extra) result.changed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every item of `part` is in `whole`, in the same order (the same objects). */
function isSubsequence<T>(part: readonly T[], whole: readonly T[]): boolean {
  let j = 0;
  for (let i = 0; i < whole.length && j < part.length; i++) if (whole[i] === part[j]) j++;
  return j === part.length;
}

/** At most 20 warnings per source name a principal; the rest are counted. */
function addWarnings(source: SourceResult, builder: InventoryBuilder, late: string[]): void {
  const shown = late.slice(0, 20);
  if (late.length > shown.length)
    shown.push(`… and ${late.length - shown.length} more activity times after the as-of`);
  source.warnings = [...(source.warnings ?? []), ...shown];
  builder.addSourceWarnings(source.id, shown);
}

/** What a display name reads of a principal (`displayName`). */
export type NamePrincipal = Pick<Principal, 'uid' | 'system' | 'name' | 'status' | 'tags'>;

/** What `nameSeen` reads of an inventory: a sharded scan's reconcile answers it from the shards. */
export interface NameInventory {
  identityOf(uid: string): { principals: readonly string[] } | undefined;
  readonly principals: { get(uid: string): NamePrincipal | undefined };
}

type SnapshotRecordUnion = {
  principal: Principal;
  entitlement: Entitlement;
  grant: Grant;
  person: Person;
  link: PersonLink;
};

export function countBy<T, K extends string>(items: T[], key: (t: T) => K): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
