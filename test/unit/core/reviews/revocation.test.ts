import { describe, expect, it } from 'vitest';
import { InventoryBuilder } from '../../../../core/inventory';
import { startCampaign } from '../../../../core/reviews/campaign';
import { decide } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import { verifyRevocations } from '../../../../core/reviews/revocation';
import {
  AT,
  baseOptions,
  CONTROLLER,
  itemOf,
  laterRun,
  RESCAN,
  reviewTenant,
  startedCampaign,
} from './review-fixture';

const DECIDED = new Date('2026-10-05T12:00:00.000Z');

/** The campaign with Bob's payment role and Alice's admin policy revoked, the service user kept. */
function withRevocations(): Campaign {
  const c = startedCampaign();
  const revoke = [itemOf(c, 'U-BOB', 'R-AP-PAY').id, itemOf(c, 'user/alice', 'AdministratorAccess').id];
  const one = decide(
    c,
    revoke,
    { outcome: 'revoke', by: CONTROLLER, note: 'checked with the team' },
    DECIDED,
  );
  return decide(
    one,
    [itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id],
    { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
    DECIDED,
  );
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
      detail: `no path left in complete collection of erp-test at ${RESCAN} in run run-2`,
      collectedAt: RESCAN,
      severity: 'high',
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
    expect(bob?.detail).toBe(
      `still granted in the collection of erp-test at ${RESCAN} in run run-2: AP Payment Release through direct`,
    );
    expect(bob?.remainingPaths).toEqual([{ path: [], text: 'direct' }]);
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

  it('says still-present, naming the path, when the revoked path went but another still gives the entitlement (defect 3)', () => {
    // Arrange: Alice lost the group's admin policy but holds it directly too.
    const c = withRevocations();
    const t = reviewTenant();
    const direct = { ...t.grants.aliceAdmin, path: [] };
    // Act
    const report = verifyRevocations(c, laterRun({ drop: ['aliceAdmin', 'bobPay'], add: [direct] }), 'run-2');
    // Assert: never counted as revoked
    const admin = report.checks.find((x) => x.principal.endsWith('user/alice'));
    expect(admin?.status).toBe('still-present');
    expect(admin?.remainingPaths).toEqual([{ path: [], text: 'direct' }]);
    expect(admin?.detail).toMatch(/AdministratorAccess through direct$/);
    expect(report).toMatchObject({ revoked: 1, stillPresent: 1 });
  });

  it('says still-present through a group when the direct grant went but the group still gives it', () => {
    // Arrange: a campaign that revoked a direct grant, and the group path that is left.
    const t = reviewTenant();
    const direct = { ...t.grants.aliceAdmin, path: [] };
    const c0 = startCampaign(laterRun({ add: [direct] }), baseOptions(), AT);
    const item = c0.items.find(
      (i) => i.principal === direct.principal && i.path.length === 0 && i.entitlement === direct.entitlement,
    )!;
    const c = decide(c0, [item.id], { outcome: 'revoke', by: CONTROLLER, note: 'no longer needed' }, DECIDED);
    // Act: the later run no longer has the direct grant; the group grant (aliceAdmin) stays.
    const report = verifyRevocations(c, laterRun({}), 'run-2');
    // Assert
    const check = report.checks.find((x) => x.itemId === item.id)!;
    expect(check.status).toBe('still-present');
    expect(check.remainingPaths).toEqual([{ path: [t.grants.aliceAdmin.path[0]], text: 'group admins' }]);
  });

  it('dates each revocation by the decision plus slaDays for its severity, and counts pending and overdue', () => {
    // Arrange: Bob's payment role (privileged: high, 30 days) is still present.
    const c = withRevocations();
    const inv = laterRun({ drop: ['aliceAdmin'] });
    const slaDays = { critical: 7, high: 30, medium: 60, low: 90 };
    // Act
    const early = verifyRevocations(c, inv, 'run-2', { asOf: new Date('2026-10-20T00:00:00Z'), slaDays });
    const late = verifyRevocations(c, inv, 'run-3', { asOf: new Date('2026-11-05T00:00:00Z'), slaDays });
    // Assert
    const bob = (r: typeof early) => r.checks.find((x) => x.principal.endsWith('U-BOB'))!;
    expect(bob(early)).toMatchObject({ severity: 'high', dueAt: '2026-11-04T12:00:00.000Z', overdue: false });
    expect(early).toMatchObject({ revoked: 1, pending: 1, overdue: 0 });
    expect(bob(late).overdue).toBe(true);
    expect(late).toMatchObject({ revoked: 1, pending: 0, overdue: 1 });
  });
});
