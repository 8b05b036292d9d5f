import { describe, expect, it } from 'vitest';
import { InventoryBuilder } from '../../../../core/inventory';
import { decide } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import { verifyRevocations } from '../../../../core/reviews/revocation';
import { AT, CONTROLLER, itemOf, laterRun, RESCAN, reviewTenant, startedCampaign } from './review-fixture';

const DECIDED = new Date('2026-10-05T12:00:00.000Z');

/** The campaign with Bob's payment role and Alice's admin policy revoked, the service user kept. */
function withRevocations(): Campaign {
  const c = startedCampaign();
  const revoke = [itemOf(c, 'U-BOB', 'R-AP-PAY').id, itemOf(c, 'user/alice', 'AdministratorAccess').id];
  const one = decide(c, revoke, { outcome: 'revoke', by: CONTROLLER }, DECIDED);
  return decide(one, [itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id], { outcome: 'keep', by: CONTROLLER }, DECIDED);
}

describe('verifyRevocations', () => {
  it('proves a revocation when a complete collection after the decision no longer sees the grant', () => {
    // Arrange
    const c = withRevocations();
    const inv = laterRun({ drop: ['bobPay', 'aliceAdmin'] });
    // Act
    const report = verifyRevocations(c, inv, 'run-2');
    // Assert
    expect(report).toMatchObject({
      campaignId: c.id,
      runId: 'run-2',
      revoked: 2,
      stillPresent: 0,
      unverified: 0,
    });
    expect(report.checks.find((x) => x.principal.endsWith('U-BOB'))).toEqual({
      itemId: itemOf(c, 'U-BOB', 'R-AP-PAY').id,
      sourceId: 'erp-test',
      principal: itemOf(c, 'U-BOB', 'R-AP-PAY').principal,
      entitlement: itemOf(c, 'U-BOB', 'R-AP-PAY').entitlement,
      path: [],
      decidedAt: DECIDED.toISOString(),
      decidedBy: CONTROLLER,
      status: 'revoked',
      detail: `not seen in complete collection of erp-test at ${RESCAN} in run run-2`,
      collectedAt: RESCAN,
    });
  });

  it('checks only revoke decisions', () => {
    // Arrange
    const c = withRevocations();
    // Act
    const report = verifyRevocations(c, laterRun({}));
    // Assert
    expect(report.checks).toHaveLength(2);
    expect(report.checks.some((x) => x.principal.endsWith('SVC-BATCH'))).toBe(false);
  });

  it('reports a grant still seen after the decision as still present', () => {
    // Arrange
    const c = withRevocations();
    // Act
    const report = verifyRevocations(c, laterRun({ drop: ['aliceAdmin'] }), 'run-2');
    // Assert
    const bob = report.checks.find((x) => x.principal.endsWith('U-BOB'));
    expect(bob?.status).toBe('still-present');
    expect(bob?.detail).toBe(`still granted in the collection of erp-test at ${RESCAN} in run run-2`);
    expect(report).toMatchObject({ revoked: 1, stillPresent: 1, unverified: 0 });
  });

  it('proves nothing from an incomplete collection', () => {
    // Arrange
    const c = withRevocations();
    // Act
    const report = verifyRevocations(c, laterRun({ drop: ['bobPay'], erp: { complete: false } }));
    // Assert
    const bob = report.checks.find((x) => x.principal.endsWith('U-BOB'));
    expect(bob?.status).toBe('unverified');
    expect(bob?.detail).toMatch(/incomplete: absence proves nothing/);
  });

  it('proves nothing when the source failed or was not collected', () => {
    // Arrange
    const c = withRevocations();
    // Act
    const failed = verifyRevocations(c, laterRun({ aws: 'failed', drop: ['aliceAdmin'] }), 'run-2');
    const missing = verifyRevocations(c, new InventoryBuilder().finish(), 'run-2');
    // Assert
    const admin = failed.checks.find((x) => x.principal.endsWith('user/alice'));
    expect(admin?.status).toBe('unverified');
    expect(admin?.detail).toBe('source aws-test was not collected in run run-2 (AccessDenied)');
    expect(missing).toMatchObject({ revoked: 0, stillPresent: 0, unverified: 2 });
  });

  it('proves nothing from a collection made before the decision (the grant could have come back)', () => {
    // Arrange
    const c = withRevocations();
    // Act
    const report = verifyRevocations(
      c,
      laterRun({ drop: ['bobPay'], erp: { collectedAt: AT.toISOString() } }),
    );
    // Assert
    const bob = report.checks.find((x) => x.principal.endsWith('U-BOB'));
    expect(bob?.status).toBe('unverified');
    expect(bob?.detail).toMatch(/before the revocation was decided at 2026-10-05T12:00:00.000Z/);
  });

  it('proves the revoked path gone, and names other paths that still give the entitlement', () => {
    // Arrange: Alice lost the group's admin policy but got it attached directly.
    const c = withRevocations();
    const t = reviewTenant();
    const direct = { ...t.grants.aliceAdmin, path: [] };
    // Act
    const report = verifyRevocations(c, laterRun({ drop: ['aliceAdmin'], add: [direct] }));
    // Assert
    const admin = report.checks.find((x) => x.principal.endsWith('user/alice'));
    expect(admin?.status).toBe('revoked');
    expect(admin?.otherPaths).toEqual([[]]);
  });
});
