/**
 * The findings lifecycle: merge one run's rule output with every stored finding.
 *
 * `open` → `resolved` → `reopened` (seen again); `open`/`reopened` → `risk-accepted` (see
 * `exceptions.ts`) → `reopened` when the exception expires or stops matching what it accepted.
 * Nothing is ever deleted. Pure: time arrives as `asOf`.
 *
 * A finding leaves `open` only with a reason, and never while a source it depends on failed or
 * was collected in part:
 * - `remediated`: not seen, every source complete, and the facts that proved it are gone;
 * - `policy-changed`: not seen, every source complete, the facts still hold, and a policy value or
 *   ruleset the rule reads changed since it was last seen;
 * - `source-removed`: a source it depends on left the configuration (the others complete).
 * Not seen with the facts still holding and no policy change: it stays as it was (nothing is proven).
 */
import {
  type AcceptedFacts,
  type EvidenceItem,
  type Finding,
  type FindingDraft,
  factsSha256,
  findingId,
  type HistoryEntry,
  SEVERITIES,
  type Severity,
} from './model';

/** Days to fix a finding, by severity (config `policy.slaDays`). */
export type SlaDays = Record<Severity, number>;

export interface ReconcileInput {
  /** Every stored finding, whatever its status. */
  previous: readonly Finding[];
  /**
   * What the rules produced in this run, in any order, read once: an array or a generator that
   * streams the drafts of several producers without building one list of them all.
   */
  drafts: Iterable<FindingDraft>;
  runId: string;
  /** The run's clock: due dates, resolutions and exception expiry are computed against it. */
  asOf: Date;
  /** Source ids collected completely in this run. */
  completeSources: ReadonlySet<string>;
  /** Source ids that failed or were collected only in part. They win over `completeSources`. */
  failedOrIncompleteSources: ReadonlySet<string>;
  slaDays: SlaDays;
  /**
   * Source ids in the run's configuration. When given, a finding depending on a source not in it
   * is resolved `source-removed` (if its other sources are complete); when absent, it is kept.
   */
  configuredSources?: ReadonlySet<string>;
  /** The policy values a finding's rule reads in this run (see `Finding.policyBasis`). */
  policyBasis?: (f: Pick<FindingDraft, 'rule' | 'detail' | 'sources'>) => Record<string, string | number>;
  /**
   * Whether the facts that proved a finding (its principals, grants, signals) still hold in this
   * run's inventory. Absent: a finding not seen in complete collections counts as remediated.
   */
  factsHold?: (f: Finding) => boolean | undefined;
}

/** What moved in one run. The lists are disjoint and sorted by finding id. */
export interface FindingChanges {
  /** Seen for the first time. */
  opened: Finding[];
  /** Resolved earlier and seen again. */
  reopened: Finding[];
  /** Not seen in a complete collection of every one of their sources. */
  resolved: Finding[];
  /** Seen again and still `open` or `reopened`, with no status change. */
  stillOpen: Finding[];
  /** Seen again (or not seen, but not provably gone) and still under an exception in force. */
  stillAccepted: Finding[];
  /** Risk-accepted findings whose exception expired: now `reopened`. */
  expiredExceptions: Finding[];
  /** Risk-accepted findings that escalated, gained a principal or whose facts changed: now `reopened`. */
  invalidatedExceptions: Finding[];
}

export interface ReconcileResult {
  /** Every finding after the run (nothing deleted), sorted by id. */
  findings: Finding[];
  /** The findings whose stored form changed in this run, sorted by id: what `commitRun` must write. */
  changed: Finding[];
  changes: FindingChanges;
}

const DAY_MS = 86_400_000;

/**
 * Merge this run's drafts into the stored findings.
 *
 * A finding is written to history only when its status (or severity) changes, never for a mere
 * sighting: `lastSeenRun` records sightings, which keeps a finding's history — and its DynamoDB
 * item — small however many runs see it.
 *
 * @example
 * const { findings, changed, changes } = reconcile({
 *   previous: await repo.loadAll(), drafts, runId, asOf,
 *   completeSources: new Set(['netsuite']), failedOrIncompleteSources: new Set(['aws-prod']),
 *   slaDays: config.policy.slaDays,
 * });
 */
export function reconcile(input: ReconcileInput): ReconcileResult {
  const { runId, asOf, slaDays } = input;
  if (Number.isNaN(asOf.getTime())) throw new RangeError('reconcile: asOf is not a valid date');
  if (!runId) throw new RangeError('reconcile: runId is empty');
  for (const s of SEVERITIES) {
    if (!Number.isFinite(slaDays[s]) || slaDays[s] < 0) {
      throw new RangeError(`reconcile: slaDays.${s} must be a non-negative number`);
    }
  }
  const at = asOf.toISOString();
  const previousById = new Map<string, Finding>();
  for (const f of input.previous) previousById.set(f.id, f);
  const seen = recognise(mergeDrafts(input.drafts), input.previous, previousById);
  const dueFromAsOf = Object.fromEntries(SEVERITIES.map((v) => [v, dueFrom(asOf, v, slaDays)])) as Record<
    Severity,
    string
  >;
  const ctx: RunContext = { runId, asOf, at, slaDays, basis: input.policyBasis ?? (() => ({})), dueFromAsOf };

  const changes: FindingChanges = {
    opened: [],
    reopened: [],
    resolved: [],
    stillOpen: [],
    stillAccepted: [],
    expiredExceptions: [],
    invalidatedExceptions: [],
  };
  const after = new Map<string, Finding>();
  const changed: Finding[] = [];

  for (const [id, draft] of seen) {
    const prev = previousById.get(id);
    const next = prev ? seenAgain(prev, draft, ctx, changes) : opened(id, draft, ctx);
    if (!prev) changes.opened.push(next);
    after.set(id, next);
    changed.push(next);
  }

  const complete = (s: string) => input.completeSources.has(s) && !input.failedOrIncompleteSources.has(s);
  const configured = input.configuredSources;

  for (const prev of previousById.values()) {
    if (seen.has(prev.id)) continue;
    let next = prev;
    const why =
      prev.status === 'open' || prev.status === 'reopened' || prev.status === 'risk-accepted'
        ? resolutionFor(prev, complete, configured, ctx, input.factsHold)
        : undefined;
    if (why) {
      next = resolve(prev, why, ctx);
      changes.resolved.push(next);
    } else if (prev.status === 'risk-accepted' && !exceptionPending(prev, asOf)) {
      if (exceptionExpired(prev, asOf)) {
        next = expireException(prev, ctx);
        changes.expiredExceptions.push(next);
      } else {
        changes.stillAccepted.push(prev);
      }
    } else if (prev.status === 'risk-accepted') {
      // Granted after this run's as-of: the run describes a time before it existed.
      next = { ...prev, status: 'open' };
    }
    after.set(prev.id, next);
    if (next !== prev) changed.push(next);
  }

  // `after` is keyed by each finding's id: its keys sorted are the ids of the sorted findings.
  const findings = sortIds([...after.keys()]).map((id) => after.get(id)!);
  const keys = Object.keys(changes) as (keyof FindingChanges)[];
  // `changed` shares its findings with the change lists, so it is placed on its own: in one list
  // with them every run fell back to the sorts below (issue 18: 115k findings sorted twice).
  const ordered = inOrderOf(
    findings,
    keys.map((k) => changes[k]),
  );
  const changedInOrder = inOrderOf(findings, [changed]);
  if (ordered && changedInOrder) {
    keys.forEach((k, i) => {
      changes[k] = ordered[i]!;
    });
    return { findings, changed: changedInOrder[0]!, changes };
  }
  for (const key of keys) changes[key] = sortById(changes[key]);
  return { findings, changed: sortById(changed), changes };
}

/**
 * `lists` each sorted by id, in one pass over `sorted` instead of a sort per list (three sorts of
 * 200k findings were seconds, issue 11). Only when every list holds distinct findings that are all
 * in `sorted` and in no other list (as `reconcile` builds them); otherwise undefined.
 */
function inOrderOf(sorted: readonly Finding[], lists: readonly Finding[][]): Finding[][] | undefined {
  const slot = new Map<Finding, number>();
  let total = 0;
  lists.forEach((list, i) => {
    total += list.length;
    for (const f of list) slot.set(f, i);
  });
  if (slot.size !== total) return undefined; // a finding twice, or in two lists
  const out: Finding[][] = lists.map(() => []);
  let placed = 0;
  for (const f of sorted) {
    const i = slot.get(f);
    if (i === undefined) continue;
    out[i]!.push(f);
    placed++;
  }
  return placed === total ? out : undefined;
}

/** Sorts on the bare id strings: a comparator reading `.id` off many object shapes is ~10× slower at 100k. */
function sortById(list: Finding[]): Finding[] {
  const byId = new Map<string, Finding>();
  for (const f of list) byId.set(f.id, f);
  return sortIds([...byId.keys()]).map((id) => byId.get(id)!);
}

/** Value of a lowercase hex digit's char code, -1 for anything else. */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
}

/**
 * `ids.sort()` (code-unit order), in place. Finding ids are hex: they are placed by their first
 * four digits into 65,536 buckets (a digit's value rises with its char code, so bucket order is
 * string order) and each bucket, a few ids, is sorted on its own — linear where a comparison sort
 * of 220k strings was ~0.3 s of CPU (issue 11). Any id not starting with four lowercase hex digits,
 * or a small list, takes the plain sort.
 */
export function sortIds(ids: string[]): string[] {
  const n = ids.length;
  if (n < 4096) return ids.sort();
  const bucketOf = new Int32Array(n);
  const starts = new Int32Array(65_537);
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const b =
      (hexValue(id.charCodeAt(0)) << 12) |
      (hexValue(id.charCodeAt(1)) << 8) |
      (hexValue(id.charCodeAt(2)) << 4) |
      hexValue(id.charCodeAt(3));
    // A -1 digit (not hex, or past the end: NaN) makes the whole value negative.
    if (b < 0) return ids.sort();
    bucketOf[i] = b;
    starts[b + 1]!++;
  }
  for (let b = 1; b <= 65_536; b++) starts[b]! += starts[b - 1]!;
  const out: string[] = new Array(n);
  const next = starts.slice(0, 65_536);
  for (let i = 0; i < n; i++) out[next[bucketOf[i]!]!++] = ids[i]!;
  for (let b = 0; b < 65_536; b++) {
    const from = starts[b]!;
    const to = starts[b + 1]!;
    if (to - from < 2) continue;
    if (to - from > 32) {
      const part = out.slice(from, to).sort();
      for (let k = 0; k < part.length; k++) out[from + k] = part[k]!;
      continue;
    }
    for (let i = from + 1; i < to; i++) {
      const v = out[i]!;
      let j = i - 1;
      while (j >= from && out[j]! > v) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = v;
    }
  }
  for (let i = 0; i < n; i++) ids[i] = out[i]!;
  return ids;
}

interface RunContext {
  runId: string;
  asOf: Date;
  at: string;
  slaDays: SlaDays;
  basis: (f: Pick<FindingDraft, 'rule' | 'detail' | 'sources'>) => Record<string, string | number>;
  /** `dueFrom(asOf, severity, slaDays)` by severity: one date per run, not one per finding. */
  dueFromAsOf: Record<Severity, string>;
}

interface Resolution {
  reason: 'remediated' | 'policy-changed' | 'source-removed';
  how: string;
  policyChanges?: string[];
}

/**
 * Match drafts to stored findings. A draft whose id is stored is that finding. A draft about an
 * identity (`ruleKey` set) whose id is new is the stored finding of the same rule and rule key
 * that shares an anchor with it (an employee id, an email, a principal): the identity's key
 * changed (its only principal with an employee id was deleted), not the problem.
 */
function recognise(
  drafts: Map<string, FindingDraft>,
  previous: readonly Finding[],
  previousById: ReadonlyMap<string, Finding>,
): Map<string, FindingDraft> {
  const pending: [string, FindingDraft][] = [];
  for (const [id, d] of drafts) {
    if (!(previousById.has(id) || d.ruleKey === undefined || !d.subject.anchors?.length))
      pending.push([id, d]);
  }
  // Every draft keeps its own id unless one is pending and a stored finding shares an anchor with
  // it: then the drafts' map is the answer as it is, not copied (a first run: 115k entries).
  if (pending.length === 0) return drafts;
  const byAnchor = new Map<string, Finding[]>();
  for (const f of previous) {
    if (f.ruleKey === undefined) continue;
    for (const a of f.subject.anchors ?? []) {
      const k = `${f.rule}\u0000${f.ruleKey}\u0000${a}`;
      const list = byAnchor.get(k);
      if (list) list.push(f);
      else byAnchor.set(k, [f]);
    }
  }
  if (byAnchor.size === 0) return drafts;
  const out = new Map<string, FindingDraft>();
  for (const [id, d] of drafts) {
    if (previousById.has(id) || d.ruleKey === undefined || !d.subject.anchors?.length) out.set(id, d);
  }
  // A draft no stored finding shares an anchor with is new whatever the others pick (its id is
  // no stored finding's): only the rest need the ordered matching below. On a first run that is
  // none of them, where sorting and matching 200k drafts cost seconds (issue 11).
  const contested: [string, FindingDraft][] = [];
  for (const entry of pending) {
    const [id, d] = entry;
    const hit = (d.subject.anchors ?? []).some((a) => byAnchor.has(`${d.rule}\u0000${d.ruleKey}\u0000${a}`));
    if (hit) contested.push(entry);
    else out.set(id, d);
  }
  // Drafts in id order, candidates unresolved first then by id: the outcome is order-free.
  contested.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  for (const [id, d] of contested) {
    const candidates = new Map<string, Finding>();
    for (const a of d.subject.anchors ?? []) {
      for (const f of byAnchor.get(`${d.rule}\u0000${d.ruleKey}\u0000${a}`) ?? []) candidates.set(f.id, f);
    }
    const pick = [...candidates.values()]
      .filter((f) => !out.has(f.id) && !drafts.has(f.id))
      .sort(
        (a, b) => Number(a.status === 'resolved') - Number(b.status === 'resolved') || (a.id < b.id ? -1 : 1),
      )[0];
    out.set(pick ? pick.id : id, d);
  }
  return out;
}

/** Why a finding not seen in this run may leave `open`, or undefined when nothing is proven. */
function resolutionFor(
  prev: Finding,
  complete: (s: string) => boolean,
  configured: ReadonlySet<string> | undefined,
  ctx: RunContext,
  factsHold: ((f: Finding) => boolean | undefined) | undefined,
): Resolution | undefined {
  if (prev.sources.length === 0) return undefined;
  const removed = configured ? prev.sources.filter((s) => !configured.has(s)) : [];
  const kept = prev.sources.filter((s) => !removed.includes(s));
  if (!kept.every(complete)) return undefined;
  const list = (ids: readonly string[]) => [...ids].sort().join(', ');
  if (removed.length > 0) {
    return {
      reason: 'source-removed',
      how: `source ${list(removed)} is no longer configured${kept.length ? `; not seen in complete collection of ${list(kept)}` : ''}`,
    };
  }
  const hold = factsHold ? factsHold(prev) : false;
  if (hold === undefined) return undefined; // this run cannot tell whether the facts are gone
  if (hold) {
    const changes = prev.policyBasis ? policyChanges(prev.policyBasis, ctx.basis(prev)) : [];
    if (changes.length === 0) return undefined; // the rule no longer flags facts that still hold: prove nothing
    return {
      reason: 'policy-changed',
      how: `the facts still hold in complete collection of ${list(prev.sources)}, but the policy changed: ${changes.join('; ')}`,
      policyChanges: changes,
    };
  }
  return { reason: 'remediated', how: `not seen in complete collection of ${list(prev.sources)}` };
}

function policyChanges(
  before: Record<string, string | number>,
  now: Record<string, string | number>,
): string[] {
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(now)])].sort()) {
    if (before[k] !== now[k]) out.push(`${k}: ${before[k] ?? 'absent'} → ${now[k] ?? 'absent'}`);
  }
  return out;
}

function opened(id: string, draft: FindingDraft, ctx: RunContext): Finding {
  return {
    ...draft,
    id,
    firstSeenRun: ctx.runId,
    lastSeenRun: ctx.runId,
    status: 'open',
    dueAt: draft.dueAt ?? ctx.dueFromAsOf[draft.severity],
    history: [{ at: ctx.at, runId: ctx.runId, event: 'opened' }],
    factsSha256: factsSha256(draft),
    policyBasis: ctx.basis(draft),
  };
}

function seenAgain(prev: Finding, draft: FindingDraft, ctx: RunContext, changes: FindingChanges): Finding {
  const { runId, asOf, at, slaDays } = ctx;
  const history = [...prev.history];
  const next: Finding = {
    ...prev,
    ...draft,
    lastSeenRun: runId,
    history,
    factsSha256: factsSha256(draft),
    policyBasis: ctx.basis(draft),
  };
  // A draft without a key (or anchors) leaves the stored ones: the finding keeps its identity.
  if (draft.key === undefined && prev.key !== undefined) next.key = prev.key;
  // An owner recorded on the finding (by a person, or when it opened) stays; a rule only proposes one.
  if (prev.owner !== undefined) next.owner = prev.owner;
  if (prev.severity !== draft.severity) {
    history.push({ at, runId, event: 'severity-changed', note: `${prev.severity} → ${draft.severity}` });
  }
  const subjectNote = subjectChange(prev, draft);
  if (subjectNote) history.push({ at, runId, event: 'subject-changed', note: subjectNote });

  if (prev.status === 'resolved') {
    delete next.resolution;
    next.status = 'reopened';
    next.dueAt = draft.dueAt ?? dueFrom(asOf, draft.severity, slaDays);
    history.push({
      at,
      runId,
      event: 'reopened',
      note: `seen again after resolution in run ${prev.resolution?.runId ?? 'unknown'}`,
    });
    changes.reopened.push(next);
    return next;
  }
  if (prev.status === 'risk-accepted' && exceptionPending(prev, asOf)) {
    // Granted after this run's as-of: it did not exist at the time the run describes.
    next.status = 'open';
    changes.stillOpen.push(next);
    return next;
  }
  if (
    (prev.status === 'open' || prev.status === 'reopened') &&
    prev.exception &&
    !exceptionPending(prev, asOf)
  ) {
    // An exception entered for a later date than an earlier run's as-of: it takes effect now.
    if (exceptionExpired(prev, asOf)) {
      delete next.exception;
    } else {
      next.status = 'risk-accepted';
      history.push({
        at,
        runId,
        event: 'risk-accepted',
        note: `exception granted at ${prev.exception.grantedAt} takes effect`,
      });
    }
  }
  if (next.status === 'risk-accepted') {
    if (exceptionExpired(next, asOf)) {
      const expired = expireException(next, ctx);
      changes.expiredExceptions.push(expired);
      return expired;
    }
    const broken = next.exception?.accepted ? acceptedChange(next.exception.accepted, next) : undefined;
    if (broken) {
      const invalidated = invalidateException(next, broken, ctx);
      changes.invalidatedExceptions.push(invalidated);
      return invalidated;
    }
    changes.stillAccepted.push(next);
    return next;
  }
  // open / reopened: a changed severity moves the due date, counted from when this open period began.
  if (prev.severity !== draft.severity) {
    next.dueAt = draft.dueAt ?? dueFrom(openPeriodStart(prev, asOf), draft.severity, slaDays);
  }
  changes.stillOpen.push(next);
  return next;
}

/** `identity a → b; principals +x −y`, or undefined when the subject is the same. */
function subjectChange(prev: Finding, draft: FindingDraft): string | undefined {
  // Most findings seen again have the very same subject: no Sets then (115k findings per run).
  const a = prev.subject.principals;
  const b = draft.subject.principals;
  if (prev.subject.identity === draft.subject.identity && a.length === b.length) {
    let same = true;
    for (let i = 0; i < a.length && same; i++) same = a[i] === b[i];
    if (same) return undefined;
  }
  const parts: string[] = [];
  if (prev.subject.identity !== draft.subject.identity) {
    parts.push(`identity ${prev.subject.identity} → ${draft.subject.identity}`);
  }
  const before = new Set(prev.subject.principals);
  const now = new Set(draft.subject.principals);
  const gained = [...now].filter((p) => !before.has(p));
  const lost = [...before].filter((p) => !now.has(p));
  if (gained.length) parts.push(`principals gained ${gained.join(', ')}`);
  if (lost.length) parts.push(`principals lost ${lost.join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}

/** Why an exception no longer covers the finding, or undefined when it still matches what it accepted. */
function acceptedChange(accepted: AcceptedFacts, f: Finding): string | undefined {
  if (SEVERITIES.indexOf(f.severity) < SEVERITIES.indexOf(accepted.severity)) {
    return `severity escalated ${accepted.severity} → ${f.severity}`;
  }
  const gained = f.subject.principals.filter((p) => !accepted.principals.includes(p));
  if (gained.length) return `gained principal(s) ${gained.join(', ')}`;
  if (f.factsSha256 !== undefined && f.factsSha256 !== accepted.factsSha256) {
    return `the facts changed since the exception was granted (facts sha256 ${accepted.factsSha256.slice(0, 12)}… → ${f.factsSha256.slice(0, 12)}…)`;
  }
  return undefined;
}

function invalidateException(prev: Finding, why: string, ctx: RunContext): Finding {
  const ex = prev.exception;
  const next: Finding = {
    ...prev,
    status: 'reopened',
    dueAt: dueFrom(ctx.asOf, prev.severity, ctx.slaDays),
    history: [
      ...prev.history,
      {
        at: ctx.at,
        runId: ctx.runId,
        event: 'reopened',
        reason: 'exception-invalidated',
        note: `exception approved by ${ex?.approver ?? 'unknown'} no longer applies: ${why}`,
      },
    ],
  };
  delete next.exception;
  return next;
}

function resolve(prev: Finding, why: Resolution, ctx: RunContext): Finding {
  const { runId, at } = ctx;
  const resolution: Finding['resolution'] = { runId, how: why.how, at, reason: why.reason };
  if (why.policyChanges) resolution.policyChanges = why.policyChanges;
  const next: Finding = {
    ...prev,
    status: 'resolved',
    resolution,
    history: [...prev.history, { at, runId, event: 'resolved', reason: why.reason, note: why.how }],
  };
  // The exception no longer covers anything; its grant stays in history.
  delete next.exception;
  return next;
}

function expireException(prev: Finding, ctx: RunContext): Finding {
  const ex = prev.exception;
  const entry: HistoryEntry = {
    at: ctx.at,
    runId: ctx.runId,
    event: 'exception-expired',
    note: ex ? `exception approved by ${ex.approver} expired at ${ex.expiresAt}` : 'exception missing',
  };
  const next: Finding = {
    ...prev,
    status: 'reopened',
    dueAt: dueFrom(ctx.asOf, prev.severity, ctx.slaDays),
    history: [...prev.history, entry],
  };
  delete next.exception;
  return next;
}

/** The exception takes effect after `asOf` (entered with a later `--as-of` than this run's). */
export function exceptionPending(f: Finding, asOf: Date): boolean {
  const granted = f.exception ? Date.parse(f.exception.grantedAt) : Number.NaN;
  return !Number.isNaN(granted) && granted > asOf.getTime();
}

function exceptionExpired(f: Finding, asOf: Date): boolean {
  if (!f.exception) return true;
  const expires = Date.parse(f.exception.expiresAt);
  return Number.isNaN(expires) || expires <= asOf.getTime();
}

function dueFrom(start: Date, severity: Severity, slaDays: SlaDays): string {
  return new Date(start.getTime() + slaDays[severity] * DAY_MS).toISOString();
}

/** When the finding last became open (opened, reopened, exception expired or invalidated). */
function openPeriodStart(f: Finding, fallback: Date): Date {
  for (let i = f.history.length - 1; i >= 0; i--) {
    const h = f.history[i];
    if (h && (h.event === 'opened' || h.event === 'reopened' || h.event === 'exception-expired')) {
      const t = Date.parse(h.at);
      if (!Number.isNaN(t)) return new Date(t);
    }
  }
  return fallback;
}

/** The rule-owned part of a finding, normalized (sorted principals and sources). */
function facts(d: FindingDraft): FindingDraft {
  const out: FindingDraft = {
    rule: d.rule,
    severity: d.severity,
    title: d.title,
    subject: { identity: d.subject.identity, principals: sortedUnique(d.subject.principals) },
    detail: d.detail,
    evidence: d.evidence,
    sources: sortedUnique(d.sources),
  };
  if (d.subject.anchors !== undefined) out.subject.anchors = sortedUnique(d.subject.anchors);
  if (d.key !== undefined) out.key = d.key;
  if (d.ruleKey !== undefined) out.ruleKey = d.ruleKey;
  if (d.owner !== undefined) out.owner = d.owner;
  if (d.dueAt !== undefined) out.dueAt = d.dueAt;
  return out;
}

/**
 * `[...new Set(list)].sort()`, without the Set and the sort when the list is already strictly
 * ascending (most drafts' lists are: three per draft, 200k drafts, issue 11).
 */
function sortedUnique(list: readonly string[]): string[] {
  for (let i = 1; i < list.length; i++) {
    if (!(list[i - 1]! < list[i]!)) return [...new Set(list)].sort();
  }
  return list.slice();
}

/**
 * Normalize drafts and group them by id. Drafts with one id (a rule reporting the same problem
 * twice, or two producers reporting it) merge: the one ranked first (most severe, then by canonical
 * JSON) gives the fields, sources are unioned, evidence is unioned in rank order — so the outcome
 * depends neither on the order of the drafts nor on how many producers streamed them (before, three
 * or more duplicates were folded pairwise in arrival order, and the order could change the result).
 */
function mergeDrafts(drafts: Iterable<FindingDraft>): Map<string, FindingDraft> {
  const out = new Map<string, FindingDraft>();
  // Only ids seen more than once keep their drafts: every one of them, merged once at the end.
  const duplicates = new Map<string, FindingDraft[]>();
  for (const raw of drafts) {
    const d = facts(raw);
    const id = findingId(d); // a flat string: see findingId
    const have = out.get(id);
    if (!have) {
      out.set(id, d);
      continue;
    }
    const group = duplicates.get(id);
    if (group) group.push(d);
    else duplicates.set(id, [have, d]);
  }
  for (const [id, group] of duplicates) {
    const ranked = group
      .map((d) => ({ d, rank: rank(d) }))
      .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
    const first = ranked[0]!.d;
    const sources = new Set<string>();
    let evidence: EvidenceItem[] = [];
    for (const { d } of ranked) {
      for (const s of d.sources) sources.add(s);
      evidence = unionEvidence(evidence, d.evidence);
    }
    out.set(id, { ...first, sources: [...sources].sort(), evidence });
  }
  return out;
}

/** Severity first, then the canonical JSON, so the choice between duplicates is order-free. */
function rank(d: FindingDraft): string {
  return `${SEVERITIES.indexOf(d.severity)}${JSON.stringify(d)}`;
}

function unionEvidence(a: EvidenceItem[], b: EvidenceItem[]): EvidenceItem[] {
  const seen = new Set<string>();
  const out: EvidenceItem[] = [];
  for (const e of [...a, ...b]) {
    const k = JSON.stringify(e, Object.keys(e).sort());
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(e);
  }
  return out;
}
