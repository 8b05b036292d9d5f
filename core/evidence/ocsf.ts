/**
 * Findings as OCSF 1.x Detection Finding events (class 2004), one per finding: what `findings
 * --format ocsf` prints and the pack's `findings.ocsf.json`. The mapping (issue 16) keeps every
 * AccessProof fact: what OCSF has no attribute for goes under `unmapped.accessproof`. Times OCSF
 * asks for that AccessProof does not know (when an older run last saw a finding) are left out,
 * never guessed.
 */
import type { EvidenceItem, Finding, FindingStatus, Severity } from '../findings/model';
import { ruleInfo } from '../rules/catalog';

/** The OCSF schema version the events are written to and validated against (test/fixtures/ocsf-schema). */
export const OCSF_SCHEMA_VERSION = '1.9.0-dev';
export const OCSF_DETECTION_FINDING = { categoryUid: 2, classUid: 2004 } as const;

export interface OcsfContext {
  /** The run the events describe (its findings table). */
  runId: string;
  /** The run's clock. */
  asOf: string;
  organization: string;
  toolVersion: string;
}

export type OcsfEvent = Record<string, unknown>;

const SEVERITY: Record<Severity, { id: number; caption: string }> = {
  critical: { id: 5, caption: 'Critical' },
  high: { id: 4, caption: 'High' },
  medium: { id: 3, caption: 'Medium' },
  low: { id: 2, caption: 'Low' },
};

/** Lifecycle → OCSF finding status: a reopened finding is new work again; an exception suppresses. */
const STATUS: Record<FindingStatus, { id: number; caption: string }> = {
  open: { id: 1, caption: 'New' },
  reopened: { id: 1, caption: 'New' },
  'risk-accepted': { id: 3, caption: 'Suppressed' },
  resolved: { id: 4, caption: 'Resolved' },
};

const ACTIVITY = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;

/**
 * @example
 * const events = findings.map((f) => toOcsf(f, { runId, asOf, organization, toolVersion }));
 */
export function toOcsf(f: Finding, ctx: OcsfContext): OcsfEvent {
  const activityId: 1 | 2 | 3 = f.status === 'resolved' ? 3 : f.firstSeenRun === ctx.runId ? 1 : 2;
  const openedAt = f.history.find((h) => h.event === 'opened')?.at;
  const firstSeen = millis(openedAt);
  const lastSeen = f.lastSeenRun === ctx.runId ? millis(ctx.asOf) : undefined;
  const severity = SEVERITY[f.severity];
  const status = STATUS[f.status];
  const rule = ruleInfo(f.rule);
  // Detection Finding has no top-level user or actor (only the host profile adds one): the
  // subject's principals travel as evidences whose `user` is the principal (system, tenant, id).
  const evidences: OcsfEvent[] = [];
  for (const e of f.evidence) {
    const ev = evidenceOf(e);
    if (ev !== undefined) evidences.push(ev);
  }
  for (const uid of f.subject.principals) evidences.push(subjectEvidence(uid, f));

  const event: OcsfEvent = {
    activity_id: activityId,
    activity_name: ACTIVITY[activityId],
    category_uid: OCSF_DETECTION_FINDING.categoryUid,
    category_name: 'Findings',
    class_uid: OCSF_DETECTION_FINDING.classUid,
    class_name: 'Detection Finding',
    type_uid: OCSF_DETECTION_FINDING.classUid * 100 + activityId,
    type_name: `Detection Finding: ${ACTIVITY[activityId]}`,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: status.id,
    status: status.caption,
  };
  if (f.status === 'reopened') event.status_detail = 'Reopened: seen again after it was resolved';
  event.time = firstSeen ?? millis(ctx.asOf) ?? 0;
  event.message = f.title;
  event.is_alert = f.status === 'open' || f.status === 'reopened';
  const info: OcsfEvent = {
    uid: f.id,
    title: f.title,
    desc: rule.description,
    types: [f.rule],
    analytic: { uid: f.rule, name: f.rule, type_id: 1, type: 'Rule', desc: rule.description },
  };
  if (f.sources.length) info.data_sources = [...f.sources];
  if (firstSeen !== undefined) {
    info.first_seen_time = firstSeen;
    info.created_time = firstSeen;
  }
  if (lastSeen !== undefined) info.last_seen_time = lastSeen;
  event.finding_info = info;
  event.resources = f.subject.principals.map((uid) => resourceOf(uid, f));
  if (evidences.length) event.evidences = evidences;
  event.remediation = { desc: rule.remediation };
  event.metadata = {
    product: { name: 'AccessProof', vendor_name: 'AccessProof', version: ctx.toolVersion },
    version: OCSF_SCHEMA_VERSION,
    uid: `${f.id}:${ctx.runId}`,
    log_name: 'findings',
    tenant_uid: ctx.organization,
  };
  event.unmapped = {
    accessproof: dropUndefined({
      runId: ctx.runId,
      asOf: ctx.asOf,
      status: f.status,
      identity: f.subject.identity,
      principals: f.subject.principals,
      display: f.display,
      owner: f.owner,
      dueAt: f.dueAt,
      overdue: f.overdue ?? false,
      firstSeenRun: f.firstSeenRun,
      lastSeenRun: f.lastSeenRun,
      sources: f.sources,
      detail: f.detail,
      exception: f.exception,
      resolution: f.resolution,
    }),
  };
  return event;
}

/** `<system>:<tenant>:<nativeId>` → its parts; the native id may itself hold colons (ARNs). */
export function splitPrincipalUid(uid: string): { system: string; tenant: string; nativeId: string } {
  const a = uid.indexOf(':');
  const b = a < 0 ? -1 : uid.indexOf(':', a + 1);
  if (a < 0 || b < 0) return { system: '', tenant: '', nativeId: uid };
  return { system: uid.slice(0, a), tenant: uid.slice(a + 1, b), nativeId: uid.slice(b + 1) };
}

// The builders below assign keys one by one instead of spreading `{...(x ? { k } : {})}`: the same
// objects with the same key order (so the same JSON), without the throwaway objects. A 200k-finding
// pack builds about 1.5 million of them (issue 11).

function resourceOf(uid: string, f: Finding): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  const out: OcsfEvent = {
    uid,
    uid_alt: nativeId,
    name: f.subject.principals.length === 1 && f.display ? f.display : nativeId,
    type: system ? `${system} principal` : 'principal',
  };
  if (tenant) out.namespace = tenant;
  out.role_id = 1;
  out.role = 'Target';
  return out;
}

function userOf(uid: string): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  const out: OcsfEvent = { uid, name: nativeId };
  if (tenant) out.account = { uid: tenant, name: system ? `${system} ${tenant}` : tenant };
  return out;
}

/** One principal the finding is about, as an evidence whose `user` (and `actor`) is that principal. */
function subjectEvidence(uid: string, f: Finding): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  const user = userOf(uid);
  user.uid_alt = nativeId;
  if (f.subject.principals.length === 1 && f.display) user.display_name = f.display;
  const data: OcsfEvent = { kind: 'subject', principal: uid, system, tenant, nativeId };
  if (f.subject.identity !== undefined) data.identity = f.subject.identity;
  return { name: 'subject', user, actor: { user }, data };
}

/** A grant (the SoD functions it gives), an activity signal or a credential date, as OCSF evidence. */
function evidenceOf(e: EvidenceItem): OcsfEvent | undefined {
  const data: OcsfEvent = {};
  if (e.kind !== undefined) data.kind = e.kind;
  if (e.text !== undefined) data.text = e.text;
  if (e.function !== undefined) data.function = e.function;
  if (e.path !== undefined) data.path = e.path;
  if (e.signal !== undefined) data.signal = e.signal;
  if (e.at !== undefined) data.at = e.at;
  const out: OcsfEvent = { data };
  if (e.kind === 'grant' && e.function) out.name = e.function;
  if (e.principal) out.actor = { user: userOf(e.principal) };
  if (e.entitlement) {
    const { system, tenant, nativeId } = splitPrincipalUid(e.entitlement);
    const resource: OcsfEvent = {
      uid: e.entitlement,
      name: nativeId,
      type: system ? `${system} entitlement` : 'entitlement',
    };
    if (tenant) resource.namespace = tenant;
    resource.role_id = 4;
    resource.role = 'Related';
    out.resources = [resource];
  }
  return out;
}

function millis(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<T>;
}
