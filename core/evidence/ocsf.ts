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
  const evidences = [
    ...f.evidence.map(evidenceOf).filter((e): e is OcsfEvent => e !== undefined),
    ...f.subject.principals.map((uid) => subjectEvidence(uid, f)),
  ];

  return {
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
    ...(f.status === 'reopened' ? { status_detail: 'Reopened: seen again after it was resolved' } : {}),
    time: firstSeen ?? millis(ctx.asOf) ?? 0,
    message: f.title,
    is_alert: f.status === 'open' || f.status === 'reopened',
    finding_info: {
      uid: f.id,
      title: f.title,
      desc: rule.description,
      types: [f.rule],
      analytic: { uid: f.rule, name: f.rule, type_id: 1, type: 'Rule', desc: rule.description },
      ...(f.sources.length ? { data_sources: [...f.sources] } : {}),
      ...(firstSeen !== undefined ? { first_seen_time: firstSeen, created_time: firstSeen } : {}),
      ...(lastSeen !== undefined ? { last_seen_time: lastSeen } : {}),
    },
    resources: f.subject.principals.map((uid) => resourceOf(uid, f)),
    ...(evidences.length ? { evidences } : {}),
    remediation: { desc: rule.remediation },
    metadata: {
      product: { name: 'AccessProof', vendor_name: 'AccessProof', version: ctx.toolVersion },
      version: OCSF_SCHEMA_VERSION,
      uid: `${f.id}:${ctx.runId}`,
      log_name: 'findings',
      tenant_uid: ctx.organization,
    },
    unmapped: {
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
    },
  };
}

/** `<system>:<tenant>:<nativeId>` → its parts; the native id may itself hold colons (ARNs). */
export function splitPrincipalUid(uid: string): { system: string; tenant: string; nativeId: string } {
  const a = uid.indexOf(':');
  const b = a < 0 ? -1 : uid.indexOf(':', a + 1);
  if (a < 0 || b < 0) return { system: '', tenant: '', nativeId: uid };
  return { system: uid.slice(0, a), tenant: uid.slice(a + 1, b), nativeId: uid.slice(b + 1) };
}

function resourceOf(uid: string, f: Finding): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  return {
    uid,
    uid_alt: nativeId,
    name: f.subject.principals.length === 1 && f.display ? f.display : nativeId,
    type: system ? `${system} principal` : 'principal',
    ...(tenant ? { namespace: tenant } : {}),
    role_id: 1,
    role: 'Target',
  };
}

function userOf(uid: string): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  return {
    uid,
    name: nativeId,
    ...(tenant ? { account: { uid: tenant, name: system ? `${system} ${tenant}` : tenant } } : {}),
  };
}

/** One principal the finding is about, as an evidence whose `user` (and `actor`) is that principal. */
function subjectEvidence(uid: string, f: Finding): OcsfEvent {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  const user = {
    ...userOf(uid),
    uid_alt: nativeId,
    ...(f.subject.principals.length === 1 && f.display ? { display_name: f.display } : {}),
  };
  return {
    name: 'subject',
    user,
    actor: { user },
    data: dropUndefined({
      kind: 'subject',
      principal: uid,
      system,
      tenant,
      nativeId,
      identity: f.subject.identity,
    }),
  };
}

/** A grant (the SoD functions it gives), an activity signal or a credential date, as OCSF evidence. */
function evidenceOf(e: EvidenceItem): OcsfEvent | undefined {
  const data = dropUndefined({
    kind: e.kind,
    text: e.text,
    function: e.function,
    path: e.path,
    signal: e.signal,
    at: e.at,
  });
  const out: OcsfEvent = { data };
  if (e.kind === 'grant' && e.function) out.name = e.function;
  if (e.principal) out.actor = { user: userOf(e.principal) };
  if (e.entitlement) {
    const { system, tenant, nativeId } = splitPrincipalUid(e.entitlement);
    out.resources = [
      {
        uid: e.entitlement,
        name: nativeId,
        type: system ? `${system} entitlement` : 'entitlement',
        ...(tenant ? { namespace: tenant } : {}),
        role_id: 4,
        role: 'Related',
      },
    ];
  }
  return out;
}

function millis(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
