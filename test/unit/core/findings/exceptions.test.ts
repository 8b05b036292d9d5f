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

describe('acceptRisk', () => {
  it('accepts an open finding until the expiry, recording who approved it in history', () => {
    // Arrange
    const f = openFinding();
    // Act
    const accepted = acceptRisk(f, { ...acceptance, compensatingControl: 'weekly job log review' }, AT);
    // Assert
    expect(accepted.status).toBe('risk-accepted');
    expect(accepted.exception).toEqual({
      approver: 'cfo@example.com',
      rationale: acceptance.rationale,
      compensatingControl: 'weekly job log review',
      expiresAt: '2026-12-31T00:00:00.000Z',
      grantedAt: AT.toISOString(),
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
    const accepted = acceptRisk(openFinding(), acceptance, AT);
    // Act
    const renewed = acceptRisk(accepted, { ...acceptance, expiresAt: '2027-03-31T12:00:00+02:00' }, AT);
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
    const attempt = () => acceptRisk(f, { ...acceptance, ...change }, AT);
    // Assert
    expect(attempt).toThrow(InputError);
    expect(attempt).toThrow(message);
  });

  it('allows exactly the maximum term', () => {
    // Arrange
    const limit = new Date(AT.getTime() + MAX_EXCEPTION_DAYS * 86_400_000).toISOString();
    // Act
    const accepted = acceptRisk(openFinding(), { ...acceptance, expiresAt: limit }, AT);
    // Assert
    expect(accepted.exception?.expiresAt).toBe(limit);
  });

  it('refuses to accept a resolved finding', () => {
    // Arrange
    const resolved: Finding = { ...openFinding(), status: 'resolved' };
    // Act / Assert
    expect(() => acceptRisk(resolved, acceptance, AT)).toThrow(/resolved/);
  });
});

describe('exceptionsInForce', () => {
  it('lists risk acceptances not yet expired at asOf, sorted by finding id', () => {
    // Arrange
    const a = acceptRisk(openFinding('a'), acceptance, AT);
    const b = acceptRisk(openFinding('b'), { ...acceptance, expiresAt: '2026-11-01' }, AT);
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
