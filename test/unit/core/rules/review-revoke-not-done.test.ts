import { describe, expect, it } from 'vitest';
import { findingId } from '../../../../core/findings/model';
import { decide } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import { verifyRevocations } from '../../../../core/reviews/revocation';
import { reviewRevokeNotDone } from '../../../../core/rules/review-revoke-not-done';
import { CONTROLLER, itemOf, laterRun, startedCampaign } from '../reviews/review-fixture';

const DECIDED = new Date('2026-10-05T12:00:00.000Z');
const SLA = { critical: 7, high: 30, medium: 60, low: 90 };
const BEFORE_DUE = { asOf: new Date('2026-11-04T00:00:00Z'), slaDays: SLA };
const PAST_DUE = { asOf: new Date('2026-11-05T00:00:00Z'), slaDays: SLA };

/** Bob's privileged payment role revoked (high: due 30 days after the decision). */
function campaign(): Campaign {
  const c = startedCampaign();
  return decide(
    c,
    [itemOf(c, 'U-BOB', 'R-AP-PAY').id],
    { outcome: 'revoke', by: CONTROLLER, note: 'no longer needed' },
    DECIDED,
  );
}

describe('REVIEW-REVOKE-NOT-DONE', () => {
  it('is not raised when no path is left (compliant)', () => {
    // Arrange
    const c = campaign();
    const inv = laterRun({ drop: ['bobPay'] });
    // Act
    const drafts = reviewRevokeNotDone(c, verifyRevocations(c, inv, 'run-2', PAST_DUE), inv);
    // Assert
    expect(drafts).toEqual([]);
  });

  it('is not raised while a still-present revocation is within its SLA', () => {
    // Arrange
    const c = campaign();
    const inv = laterRun({});
    // Act
    const drafts = reviewRevokeNotDone(c, verifyRevocations(c, inv, 'run-2', BEFORE_DUE), inv);
    // Assert
    expect(drafts).toEqual([]);
  });

  it('is not raised when the revocation cannot be proven either way (source incomplete, grant not seen)', () => {
    // Arrange
    const c = campaign();
    const inv = laterRun({ drop: ['bobPay'], erp: { complete: false } });
    // Act
    const drafts = reviewRevokeNotDone(c, verifyRevocations(c, inv, 'run-2', PAST_DUE), inv);
    // Assert
    expect(drafts).toEqual([]);
  });

  it('is raised past the decision plus slaDays while a path is left, for the campaign owner, due when the revocation was (non-compliant)', () => {
    // Arrange
    const c = campaign();
    const inv = laterRun({});
    const item = itemOf(c, 'U-BOB', 'R-AP-PAY');
    // Act
    const drafts = reviewRevokeNotDone(c, verifyRevocations(c, inv, 'run-3', PAST_DUE), inv);
    // Assert
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d).toMatchObject({
      rule: 'REVIEW-REVOKE-NOT-DONE',
      severity: 'high',
      owner: CONTROLLER,
      dueAt: '2026-11-04T12:00:00.000Z',
      sources: ['erp-test'],
      subject: { principals: [item.principal] },
      detail: {
        campaignId: c.id,
        itemId: item.id,
        decidedBy: CONTROLLER,
        decidedAt: DECIDED.toISOString(),
        revocationDueAt: '2026-11-04T12:00:00.000Z',
        remainingPaths: ['direct'],
      },
    });
    expect(d.subject.identity).toMatch(/^person:/);
    expect(d.evidence[0]).toMatchObject({
      kind: 'attribute',
      signal: 'review-decision',
      at: DECIDED.toISOString(),
    });
    expect(d.evidence.slice(1)).toEqual([
      expect.objectContaining({
        kind: 'grant',
        principal: item.principal,
        entitlement: item.entitlement,
        path: [],
      }),
    ]);
    // The id depends on the rule, the principal, the campaign and the item only.
    const again = reviewRevokeNotDone(
      c,
      verifyRevocations(c, inv, 'run-4', { ...PAST_DUE, asOf: new Date('2026-12-01T00:00:00Z') }),
      inv,
    );
    expect(findingId(again[0]!)).toBe(findingId(d));
  });
});
