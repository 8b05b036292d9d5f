/**
 * Risk acceptance (DESIGN.md §4): a control owner accepts a finding for a limited time, with an
 * approver, a rationale and optionally a compensating control. `reconcile` reopens the finding
 * once the exception has expired.
 */
import * as z from 'zod';
import { InputError } from '../errors';
import type { Finding, FindingException } from './model';

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
  options: { maxDays?: number } = {},
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

  const grantedAt = at.toISOString();
  const exception: FindingException = {
    approver: a.approver,
    rationale: a.rationale,
    expiresAt: expires.toISOString(),
    grantedAt,
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
  expiresAt: string;
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
    out.push(row);
  }
  return out.sort((a, b) => (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0));
}
