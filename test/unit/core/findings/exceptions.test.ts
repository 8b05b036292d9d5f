import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import { acceptRisk, exceptionsInForce, MAX_EXCEPTION_DAYS } from '../../../../core/findings/exceptions';
import { reconcile } from '../../../../core/findings/lifecycle';
import type { Finding } from '../../../../core/findings/model';
import { makeDraft, SLA } from './draft-factory';

const AT = new Date('2026-10-01T00:00:00.000Z');

function openFinding(key = 'k1'): Finding {
  const { findings } = reconcile({
    previous: [],
    drafts: [makeDraft({ key })],
    runId: 'run-1',
    asOf: AT,
    completeSources: new Set(['aws-prod']),
    failedOrIncompleteSources: new Set(),
    slaDays: SLA,
  });
  return findings[0]!;
}

const acceptance = {
  approver: 'cfo@example.com',
  rationale: 'Batch job is retired with the Q4 ledger migration',
  expiresAt: '2026-12-31',
};

const OPTS = { approvers: { medium: ['cfo@example.com'], critical: ['cfo@example.com'] } };

describe('acceptRisk', () => {
  it('accepts an open finding until the expiry, recording who approved it in history', () => {
    // Arrange
    const f = openFinding();
    // Act
    const accepted = acceptRisk(f, { ...acceptance, compensatingControl: 'weekly job log review' }, AT, OPTS);
    // Assert
    expect(accepted.status).toBe('risk-accepted');
    expect(accepted.exception).toEqual({
      approver: 'cfo@example.com',
      rationale: acceptance.rationale,
      compensatingControl: 'weekly job log review',
      expiresAt: '2026-12-31T00:00:00.000Z',
      grantedAt: AT.toISOString(),
      enteredAt: AT.toISOString(),
      accepted: {
        rule: 'NHI-DORMANT',
        severity: 'medium',
        principals: f.subject.principals,
        factsSha256: f.factsSha256,
      },
    });
    expect(accepted.history.at(-1)).toMatchObject({
      event: 'risk-accepted',
      by: 'cfo@example.com',
      at: AT.toISOString(),
    });
    expect(f.status).toBe('open');
  });

  it('accepts an expiry with an offset and renews an accepted finding', () => {
    // Arrange
    const accepted = acceptRisk(openFinding(), acceptance, AT, OPTS);
    // Act
    const renewed = acceptRisk(accepted, { ...acceptance, expiresAt: '2027-03-31T12:00:00+02:00' }, AT, OPTS);
    // Assert
    expect(renewed.exception?.expiresAt).toBe('2027-03-31T10:00:00.000Z');
    expect(renewed.history.at(-1)?.note).toMatch(/^renewed/);
  });

  it.each([
    ['an expiry in the past', { expiresAt: '2026-09-30' }, /expiresAt.*is not after/],
    ['an expiry equal to now', { expiresAt: AT.toISOString() }, /expiresAt.*is not after/],
    ['an expiry more than 365 days away', { expiresAt: '2027-10-02' }, /expiresAt.*more than 365 days/],
    ['a date that is not ISO 8601', { expiresAt: '31/12/2026' }, /expiresAt/],
    ['no approver', { approver: '  ' }, /approver/],
    ['a rationale too short to say why', { rationale: 'ok' }, /rationale/],
  ])('refuses %s with an InputError naming the field', (_name, change, message) => {
    // Arrange
    const f = openFinding();
    // Act
    const attempt = () => acceptRisk(f, { ...acceptance, ...change }, AT, OPTS);
    // Assert
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });

  it('allows exactly the maximum term', () => {
    // Arrange
    const limit = new Date(AT.getTime() + MAX_EXCEPTION_DAYS * 86_400_000).toISOString();
    // Act
    const accepted = acceptRisk(openFinding(), { ...acceptance, expiresAt: limit }, AT, OPTS);
    // Assert
    expect(accepted.exception?.expiresAt).toBe(limit);
  });

  it('refuses to accept a resolved finding', () => {
    // Arrange
    const resolved: Finding = { ...openFinding(), status: 'resolved' };
    // Act / Assert
    expect(() => acceptRisk(resolved, acceptance, AT, OPTS)).toThrow(/resolved/);
  });
});

describe('exceptionsInForce', () => {
  it('lists risk acceptances not yet expired at asOf, sorted by finding id', () => {
    // Arrange
    const a = acceptRisk(openFinding('a'), acceptance, AT, OPTS);
    const b = acceptRisk(openFinding('b'), { ...acceptance, expiresAt: '2026-11-01' }, AT, OPTS);
    const open = openFinding('c');
    // Act
    const before = exceptionsInForce([open, b, a], new Date('2026-10-15T00:00:00Z'));
    const after = exceptionsInForce([open, b, a], new Date('2026-11-01T00:00:00Z'));
    // Assert
    expect(before.map((r) => r.findingId)).toEqual([a.id, b.id].sort());
    expect(after.map((r) => r.findingId)).toEqual([a.id]);
    expect(after[0]).toMatchObject({
      approver: 'cfo@example.com',
      rule: 'NHI-DORMANT',
      expiresAt: '2026-12-31T00:00:00.000Z',
    });
  });
});

describe('exceptions are independent and bound to what was accepted (issue 10)', () => {
  const sodFinding = (severity: 'critical' | 'high' = 'high') =>
    reconcile({
      previous: [],
      drafts: [
        makeDraft({
          rule: 'SOD-CONFLICT',
          severity,
          key: 'person:employee:E7|R2R-01',
          ruleKey: 'R2R-01',
          detail: { riskId: 'R2R-01' },
          subject: {
            identity: 'person:employee:E7',
            principals: ['erp:ns:U7'],
            anchors: [
              'email:ben@example.com',
              'email:b.l@example.com',
              'employee:E7',
              'principal:erp:ns:U7',
              'principal:entra:t:oid',
            ],
          },
        }),
      ],
      runId: 'run-1',
      asOf: AT,
      completeSources: new Set(['aws-prod']),
      failedOrIncompleteSources: new Set(),
      slaDays: SLA,
    }).findings[0]!;
  const approvers = {
    high: ['cfo@example.com', 'B.L@example.com', 'E7'],
    critical: ['cfo@example.com'],
    risks: {},
  };

  it('refuses an approver the policy does not list, or any policy without approvers', () => {
    expect(() => acceptRisk(sodFinding(), { ...acceptance, approver: 'n/a' }, AT, { approvers })).toThrow(
      /not listed/,
    );
    expect(() => acceptRisk(sodFinding(), acceptance, AT)).toThrow(/policy\.exceptionApprovers\.high/);
  });

  it('refuses the subject by any email or id of any correlated principal', () => {
    for (const approver of ['b.l@example.com', 'E7']) {
      expect(() => acceptRisk(sodFinding(), { ...acceptance, approver }, AT, { approvers })).toThrow(
        /subject .*independent approver/,
      );
    }
  });

  it('uses the per-risk list when the policy gives one', () => {
    const perRisk = { ...approvers, risks: { 'R2R-01': ['controller@example.com'] } };
    expect(() => acceptRisk(sodFinding(), acceptance, AT, { approvers: perRisk })).toThrow(
      /not listed for R2R-01/,
    );
    expect(
      acceptRisk(sodFinding(), { ...acceptance, approver: 'controller@example.com' }, AT, {
        approvers: perRisk,
      }).status,
    ).toBe('risk-accepted');
  });

  it('needs a compensating control for a critical finding, and honours a configured maximum duration', () => {
    expect(() => acceptRisk(sodFinding('critical'), acceptance, AT, { approvers })).toThrow(
      /compensating control/,
    );
    expect(() => acceptRisk(sodFinding(), acceptance, AT, { approvers, maxDays: 30 })).toThrow(
      /more than 30 days/,
    );
  });

  it('stops applying when the finding escalates or gains a principal: reopened, exception-invalidated', () => {
    const accepted = acceptRisk(sodFinding(), acceptance, AT, { approvers });
    const next = (draft: Parameters<typeof makeDraft>[0]) =>
      reconcile({
        previous: [accepted],
        drafts: [
          makeDraft({
            rule: 'SOD-CONFLICT',
            key: 'person:employee:E7|R2R-01',
            ruleKey: 'R2R-01',
            detail: { riskId: 'R2R-01' },
            subject: accepted.subject,
            severity: 'high',
            ...draft,
          }),
        ],
        runId: 'run-2',
        asOf: new Date('2026-10-08T00:00:00Z'),
        completeSources: new Set(['aws-prod']),
        failedOrIncompleteSources: new Set(),
        slaDays: SLA,
      }).findings[0]!;
    expect(next({}).status).toBe('risk-accepted');
    const escalated = next({ severity: 'critical' });
    expect(escalated.status).toBe('reopened');
    expect(escalated.exception).toBeUndefined();
    expect(escalated.history.at(-1)).toMatchObject({ event: 'reopened', reason: 'exception-invalidated' });
    const gained = next({ subject: { ...accepted.subject, principals: ['erp:ns:U7', 'aws:1:role/x'] } });
    expect(gained.history.at(-1)).toMatchObject({ reason: 'exception-invalidated' });
    expect(gained.history.at(-1)!.note).toMatch(/gained principal/);
  });

  it("is evaluated at the run's as-of: an exception entered for a later date is not in force earlier", () => {
    const f = openFinding();
    const later = new Date('2026-12-06T00:00:00Z');
    const accepted = acceptRisk(f, { ...acceptance, expiresAt: '2027-01-31' }, later, {
      ...OPTS,
      enteredAt: later,
    });
    expect(exceptionsInForce([accepted], AT)).toEqual([]);
    const run = reconcile({
      previous: [accepted],
      drafts: [makeDraft({ key: 'k1' })],
      runId: 'run-2',
      asOf: AT,
      completeSources: new Set(['aws-prod']),
      failedOrIncompleteSources: new Set(),
      slaDays: SLA,
    });
    expect(run.findings[0]!.status).toBe('open');
    const after = reconcile({
      ...{ previous: run.findings, drafts: [makeDraft({ key: 'k1' })], runId: 'run-3' },
      asOf: later,
      completeSources: new Set(['aws-prod']),
      failedOrIncompleteSources: new Set(),
      slaDays: SLA,
    });
    expect(after.findings[0]!.status).toBe('risk-accepted');
  });
});
