/**
 * Risk acceptance: a control owner accepts a finding for a limited time, with an approver, a
 * rationale and (always for `critical`) a compensating control. The approver must be listed in
 * `policy.exceptionApprovers` for the finding's severity (or its SoD risk) and must not be the
 * subject, by any email, employee id or principal of the correlated identity. The exception
 * records what it accepted; `reconcile` reopens the finding once it expires, or when the finding
 * escalates, gains a principal or its facts change (`exception-invalidated`).
 */
import * as z from 'zod';
import type { ExceptionApprovers } from '../config';
import { InputError } from '../errors';
import { type AcceptedFacts, type Finding, type FindingException, factsSha256 } from './model';

/** Longest exception a single approval may grant: one audit year, so each is re-approved yearly. */
export const MAX_EXCEPTION_DAYS = 365;

const DAY_MS = 86_400_000;

export interface RiskAcceptance {
  approver: string;
  rationale: string;
  compensatingControl?: string;
  /** ISO 8601 date-time, or a bare date (`2027-03-31`, midnight UTC). */
  expiresAt: string;
}

const isoDateTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const acceptanceSchema = z
  .object({
    approver: z.string().trim().min(1, 'is required'),
    rationale: z.string().trim().min(10, 'must say why, in at least 10 characters'),
    compensatingControl: z.string().trim().min(1, 'must not be empty when given').optional(),
    expiresAt: isoDateTime,
  })
  .strict();

/**
 * Accept the risk of an `open` or `reopened` finding (or renew an accepted one). Returns the
 * updated finding; the caller stores it with `FindingsRepository.putFinding`.
 *
 * Throws `InputError` naming the field when the approver or rationale is missing, the expiry is
 * not in the future, or it lies more than `maxDays` (default 365) after `at`, or when the finding
 * is resolved (there is nothing left to accept).
 *
 * @example
 * const accepted = acceptRisk(finding, {
 *   approver: 'cfo@example.com', rationale: 'Vendor batch job; replaced in Q3 migration',
 *   expiresAt: '2026-12-31',
 * }, new Date('2026-10-01T00:00:00Z'));
 */
export function acceptRisk(
  finding: Finding,
  acceptance: RiskAcceptance,
  at: Date,
  options: {
    maxDays?: number;
    /** Who may approve; absent: nobody may (the policy must name approvers). */
    approvers?: ExceptionApprovers;
    /** Wall-clock time the acceptance is entered (default `at`). */
    enteredAt?: Date;
  } = {},
): Finding {
  const maxDays = options.maxDays ?? MAX_EXCEPTION_DAYS;
  const parsed = acceptanceSchema.safeParse(acceptance);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || undefined;
    throw new InputError(`risk acceptance for finding ${finding.id}: ${issue?.message ?? 'invalid'}`, {
      ...(field ? { field } : {}),
    });
  }
  const a = parsed.data;
  if (finding.status === 'resolved') {
    throw new InputError(`finding ${finding.id} is resolved: there is no risk left to accept`, {
      field: 'finding',
    });
  }
  const expires = new Date(Date.parse(a.expiresAt));
  if (expires.getTime() <= at.getTime()) {
    throw new InputError(`expiry ${a.expiresAt} is not after ${at.toISOString()}`, { field: 'expiresAt' });
  }
  if (expires.getTime() > at.getTime() + maxDays * DAY_MS) {
    throw new InputError(`expiry ${a.expiresAt} is more than ${maxDays} days away; approve again later`, {
      field: 'expiresAt',
    });
  }
  checkApprover(finding, a.approver, options.approvers);
  if (finding.severity === 'critical' && a.compensatingControl === undefined) {
    throw new InputError(
      `finding ${finding.id} is critical: accepting it needs a compensating control (--compensating-control)`,
      { field: 'compensatingControl' },
    );
  }

  const grantedAt = at.toISOString();
  const riskId = typeof finding.detail.riskId === 'string' ? finding.detail.riskId : undefined;
  const accepted: AcceptedFacts = {
    rule: finding.rule,
    severity: finding.severity,
    ...(riskId !== undefined ? { riskId } : {}),
    principals: [...finding.subject.principals],
    factsSha256: finding.factsSha256 ?? factsSha256(finding),
  };
  const exception: FindingException = {
    approver: a.approver,
    rationale: a.rationale,
    expiresAt: expires.toISOString(),
    grantedAt,
    enteredAt: (options.enteredAt ?? at).toISOString(),
    accepted,
  };
  if (a.compensatingControl !== undefined) exception.compensatingControl = a.compensatingControl;
  const renewal = finding.status === 'risk-accepted';
  return {
    ...finding,
    status: 'risk-accepted',
    exception,
    history: [
      ...finding.history,
      {
        at: grantedAt,
        event: 'risk-accepted',
        by: a.approver,
        note: `${renewal ? 'renewed' : 'accepted'} until ${exception.expiresAt}: ${a.rationale}${
          a.compensatingControl ? ` (compensating control: ${a.compensatingControl})` : ''
        }`,
      },
    ],
  };
}

/** The approvers the policy lists for this finding: its SoD risk's list, else its severity's. */
export function approversFor(
  finding: Pick<Finding, 'severity' | 'detail'>,
  approvers?: ExceptionApprovers,
): string[] {
  const riskId = typeof finding.detail.riskId === 'string' ? finding.detail.riskId : undefined;
  const list =
    (riskId !== undefined ? approvers?.risks?.[riskId] : undefined) ?? approvers?.[finding.severity];
  return list ?? [];
}

const norm = (s: string) => s.trim().toLowerCase();

/** Refuses an approver the policy does not list, or who is the finding's subject by any of their identities. */
function checkApprover(finding: Finding, approver: string, approvers: ExceptionApprovers | undefined): void {
  const who = norm(approver);
  const riskId = typeof finding.detail.riskId === 'string' ? finding.detail.riskId : undefined;
  const allowed = approversFor(finding, approvers);
  if (allowed.length === 0) {
    const where =
      riskId !== undefined && approvers?.risks ? `policy.exceptionApprovers.risks.${riskId} or ` : '';
    throw new InputError(
      `no approver may accept ${finding.severity} finding ${finding.id}: list them under ${where}policy.exceptionApprovers.${finding.severity}`,
      { field: 'approver' },
    );
  }
  if (!allowed.some((a) => norm(a) === who)) {
    throw new InputError(
      `approver ${approver} is not listed for ${riskId ?? finding.severity} findings in policy.exceptionApprovers (listed: ${allowed.join(', ')})`,
      { field: 'approver' },
    );
  }
  const self = subjectMatch(finding, who);
  if (self) {
    throw new InputError(
      `approver ${approver} is the subject of finding ${finding.id} (${self}): an exception needs an independent approver`,
      { field: 'approver' },
    );
  }
}

/** How `who` (normalized) is the finding's subject, or undefined. */
function subjectMatch(finding: Finding, who: string): string | undefined {
  for (const anchor of finding.subject.anchors ?? []) {
    const colon = anchor.indexOf(':');
    const value = anchor.slice(colon + 1);
    if (norm(value) === who) return `${anchor.slice(0, colon)} ${value}`;
    if (anchor.startsWith('principal:') && norm(nativeIdOf(value)) === who) return `principal ${value}`;
  }
  for (const uid of finding.subject.principals) {
    if (norm(uid) === who || norm(nativeIdOf(uid)) === who) return `principal ${uid}`;
  }
  const id = finding.subject.identity;
  if (norm(id.replace(/^person:(employee:)?|^principal:/, '')) === who) return `identity ${id}`;
  return undefined;
}

/** `<system>:<tenant>:<nativeId>` → nativeId (it may itself contain colons, like an ARN). */
function nativeIdOf(uid: string): string {
  const first = uid.indexOf(':');
  const second = uid.indexOf(':', first + 1);
  return second < 0 ? uid : uid.slice(second + 1);
}

/** One row of `exceptions.jsonl`: a risk acceptance in force at the run's `asOf`. */
export interface ExceptionRecord {
  findingId: string;
  rule: Finding['rule'];
  severity: Finding['severity'];
  title: string;
  subject: Finding['subject'];
  approver: string;
  rationale: string;
  compensatingControl?: string;
  grantedAt: string;
  enteredAt?: string;
  expiresAt: string;
  accepted?: AcceptedFacts;
}

/**
 * The exceptions in force at `asOf` (risk-accepted and not yet expired), sorted by finding id.
 *
 * @example
 * const rows = exceptionsInForce(result.findings, asOf); // → exceptions.jsonl
 */
export function exceptionsInForce(findings: readonly Finding[], asOf: Date): ExceptionRecord[] {
  const out: ExceptionRecord[] = [];
  for (const f of findings) {
    const ex = f.exception;
    if (f.status !== 'risk-accepted' || !ex) continue;
    if (!(Date.parse(ex.expiresAt) > asOf.getTime())) continue;
    if (Date.parse(ex.grantedAt) > asOf.getTime()) continue; // not yet in effect at the run's as-of
    const row: ExceptionRecord = {
      findingId: f.id,
      rule: f.rule,
      severity: f.severity,
      title: f.title,
      subject: f.subject,
      approver: ex.approver,
      rationale: ex.rationale,
      grantedAt: ex.grantedAt,
      expiresAt: ex.expiresAt,
    };
    if (ex.compensatingControl !== undefined) row.compensatingControl = ex.compensatingControl;
    if (ex.enteredAt !== undefined) row.enteredAt = ex.enteredAt;
    if (ex.accepted !== undefined) row.accepted = ex.accepted;
    out.push(row);
  }
  return out.sort((a, b) => (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0));
}
