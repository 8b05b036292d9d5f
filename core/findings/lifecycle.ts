/**
 * The findings lifecycle (DESIGN.md §4): merge one run's rule output with every stored finding.
 *
 * `open` → `resolved` (a later complete collection of every source of the finding no longer sees
 * it) → `reopened` (seen again); `open`/`reopened` → `risk-accepted` (see `exceptions.ts`) →
 * `reopened` when the exception expires. Nothing is ever deleted. Pure: time arrives as `asOf`.
 */
import type { EvidenceItem, Finding, FindingDraft, HistoryEntry, Severity } from './model';
import { findingId, SEVERITIES } from './model';

/** Days to fix a finding, by severity (config `policy.slaDays`). */
export type SlaDays = Record<Severity, number>;

export interface ReconcileInput {
  /** Every stored finding, whatever its status. */
  previous: readonly Finding[];
  /** What the rules produced in this run. */
  drafts: readonly FindingDraft[];
  runId: string;
  /** The run's clock: due dates, resolutions and exception expiry are computed against it. */
  asOf: Date;
  /** Source ids collected completely in this run. */
  completeSources: ReadonlySet<string>;
  /** Source ids that failed or were collected only in part. They win over `completeSources`. */
  failedOrIncompleteSources: ReadonlySet<string>;
  slaDays: SlaDays;
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
  const seen = mergeDrafts(input.drafts);
  const previousById = new Map<string, Finding>();
  for (const f of input.previous) previousById.set(f.id, f);

  const changes: FindingChanges = {
    opened: [],
    reopened: [],
    resolved: [],
    stillOpen: [],
    stillAccepted: [],
    expiredExceptions: [],
  };
  const after = new Map<string, Finding>();
  const changed: Finding[] = [];

  for (const [id, draft] of seen) {
    const prev = previousById.get(id);
    const next = prev
      ? seenAgain(prev, draft, runId, asOf, at, slaDays, changes)
      : opened(id, draft, runId, asOf, at, slaDays);
    if (!prev) changes.opened.push(next);
    after.set(id, next);
    changed.push(next);
  }

  const canResolve = (f: Finding) =>
    f.sources.length > 0 &&
    f.sources.every((s) => input.completeSources.has(s) && !input.failedOrIncompleteSources.has(s));

  for (const prev of previousById.values()) {
    if (seen.has(prev.id)) continue;
    let next = prev;
    if (
      (prev.status === 'open' || prev.status === 'reopened' || prev.status === 'risk-accepted') &&
      canResolve(prev)
    ) {
      next = resolve(prev, runId, at);
      changes.resolved.push(next);
    } else if (prev.status === 'risk-accepted') {
      if (exceptionExpired(prev, asOf)) {
        next = expireException(prev, runId, asOf, at, slaDays);
        changes.expiredExceptions.push(next);
      } else {
        changes.stillAccepted.push(prev);
      }
    }
    after.set(prev.id, next);
    if (next !== prev) changed.push(next);
  }

  for (const key of Object.keys(changes) as (keyof FindingChanges)[]) changes[key] = sortById(changes[key]);
  return { findings: sortById([...after.values()]), changed: sortById(changed), changes };
}

/** Sorts on the bare id strings: a comparator reading `.id` off many object shapes is ~10× slower at 100k. */
function sortById(list: Finding[]): Finding[] {
  const byId = new Map<string, Finding>();
  for (const f of list) byId.set(f.id, f);
  return [...byId.keys()].sort().map((id) => byId.get(id)!);
}

function opened(
  id: string,
  draft: FindingDraft,
  runId: string,
  asOf: Date,
  at: string,
  slaDays: SlaDays,
): Finding {
  return {
    ...draft,
    id,
    firstSeenRun: runId,
    lastSeenRun: runId,
    status: 'open',
    dueAt: dueFrom(asOf, draft.severity, slaDays),
    history: [{ at, runId, event: 'opened' }],
  };
}

function seenAgain(
  prev: Finding,
  draft: FindingDraft,
  runId: string,
  asOf: Date,
  at: string,
  slaDays: SlaDays,
  changes: FindingChanges,
): Finding {
  const history = [...prev.history];
  const next: Finding = { ...prev, ...draft, lastSeenRun: runId, history };
  if (prev.severity !== draft.severity) {
    history.push({ at, runId, event: 'severity-changed', note: `${prev.severity} → ${draft.severity}` });
  }

  if (prev.status === 'resolved') {
    delete next.resolution;
    next.status = 'reopened';
    next.dueAt = dueFrom(asOf, draft.severity, slaDays);
    history.push({
      at,
      runId,
      event: 'reopened',
      note: `seen again after resolution in run ${prev.resolution?.runId ?? 'unknown'}`,
    });
    changes.reopened.push(next);
    return next;
  }
  if (prev.status === 'risk-accepted') {
    if (exceptionExpired(prev, asOf)) {
      const expired = expireException(next, runId, asOf, at, slaDays);
      changes.expiredExceptions.push(expired);
      return expired;
    }
    changes.stillAccepted.push(next);
    return next;
  }
  // open / reopened: a changed severity moves the due date, counted from when this open period began.
  if (prev.severity !== draft.severity) {
    next.dueAt = dueFrom(openPeriodStart(prev, asOf), draft.severity, slaDays);
  }
  changes.stillOpen.push(next);
  return next;
}

function resolve(prev: Finding, runId: string, at: string): Finding {
  const how = `not seen in complete collection of ${[...prev.sources].sort().join(', ')}`;
  const next: Finding = {
    ...prev,
    status: 'resolved',
    resolution: { runId, how, at },
    history: [...prev.history, { at, runId, event: 'resolved', note: how }],
  };
  // The exception no longer covers anything; its grant stays in history.
  delete next.exception;
  return next;
}

function expireException(prev: Finding, runId: string, asOf: Date, at: string, slaDays: SlaDays): Finding {
  const ex = prev.exception;
  const entry: HistoryEntry = {
    at,
    runId,
    event: 'exception-expired',
    note: ex ? `exception approved by ${ex.approver} expired at ${ex.expiresAt}` : 'exception missing',
  };
  const next: Finding = {
    ...prev,
    status: 'reopened',
    dueAt: dueFrom(asOf, prev.severity, slaDays),
    history: [...prev.history, entry],
  };
  delete next.exception;
  return next;
}

function exceptionExpired(f: Finding, asOf: Date): boolean {
  if (!f.exception) return true;
  const expires = Date.parse(f.exception.expiresAt);
  return Number.isNaN(expires) || expires <= asOf.getTime();
}

function dueFrom(start: Date, severity: Severity, slaDays: SlaDays): string {
  return new Date(start.getTime() + slaDays[severity] * DAY_MS).toISOString();
}

/** When the finding last became open (opened, reopened, exception expired). */
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
    subject: { identity: d.subject.identity, principals: [...new Set(d.subject.principals)].sort() },
    detail: d.detail,
    evidence: d.evidence,
    sources: [...new Set(d.sources)].sort(),
  };
  if (d.key !== undefined) out.key = d.key;
  return out;
}

/**
 * Normalize drafts and group them by id. Two drafts with one id (a rule reporting the same problem twice) merge:
 * the most severe wins, sources and evidence are unioned, so the outcome never depends on order.
 */
function mergeDrafts(drafts: readonly FindingDraft[]): Map<string, FindingDraft> {
  const out = new Map<string, FindingDraft>();
  for (const raw of drafts) {
    const d = facts(raw);
    const id = flat(findingId(d));
    const have = out.get(id);
    if (!have) {
      out.set(id, d);
      continue;
    }
    const [first, second] = rank(have) <= rank(d) ? [have, d] : [d, have];
    out.set(id, {
      ...first,
      sources: [...new Set([...first.sources, ...second.sources])].sort(),
      evidence: unionEvidence(first.evidence, second.evidence),
    });
  }
  return out;
}

/**
 * A copy of `s` as one flat string. `findingId` returns a slice of the digest, and V8 compares
 * and hashes sliced strings about 3× slower: at 100k findings the sorts dominated `reconcile`.
 */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
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
