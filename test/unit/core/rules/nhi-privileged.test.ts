import { describe, expect, it } from 'vitest';
import { nhiPrivileged } from '../../../../core/rules/nhi-privileged';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor } from './rule-harness';

describe('NHI-PRIVILEGED', () => {
  it('is compliant without privileged grants', () => {
    const p = makeNhi();
    const role = makeEntitlement();
    const ctx = contextFor(
      { principals: [p], entitlements: [role], grants: [makeGrant(p, role)] },
      { financiallySignificant: ['erp-test'] },
    );
    expect(nhiPrivileged(p, ctx)).toEqual([]);
  });

  it('is compliant when the privileged entitlement is outside financially significant sources', () => {
    const p = makeNhi();
    const admin = makeEntitlement({ privileged: true });
    expect(
      nhiPrivileged(p, contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] })),
    ).toEqual([]);
  });

  it('fires with every privileged grant and its path as evidence', () => {
    // Arrange
    const p = makeNhi();
    const group = makeEntitlement({ nativeId: 'G-ADMINS', type: 'group' });
    const admin = makeEntitlement({ nativeId: 'SAP_ALL', name: 'SAP_ALL', privileged: true });
    const ctx = contextFor(
      {
        principals: [p],
        entitlements: [group, admin],
        grants: [makeGrant(p, group), makeGrant(p, admin, { path: [group.uid] })],
      },
      { financiallySignificant: ['erp-test'] },
    );

    // Act
    const [d] = nhiPrivileged(p, ctx);

    // Assert
    expect(d).toMatchObject({
      rule: 'NHI-PRIVILEGED',
      severity: 'medium',
      key: p.uid,
      detail: { entitlements: [admin.uid] },
    });
    expect(d!.evidence).toEqual([
      expect.objectContaining({ kind: 'grant', entitlement: admin.uid, path: [group.uid], principal: p.uid }),
    ]);
  });

  it('skips humans, disabled principals and service-linked roles', () => {
    const admin = makeEntitlement({ privileged: true });
    for (const p of [
      makePrincipal(),
      makeNhi({ status: 'disabled' }),
      makeNhi({ type: 'service-linked-role' }),
    ]) {
      const ctx = contextFor(
        { principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] },
        { financiallySignificant: ['erp-test'] },
      );
      expect(nhiPrivileged(p, ctx)).toEqual([]);
    }
  });
});
