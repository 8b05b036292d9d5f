import { describe, expect, it } from 'vitest';
import { nhiNoOwner } from '../../../../core/rules/nhi-no-owner';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor } from './rule-harness';

describe('NHI-NO-OWNER', () => {
  it('is compliant with an owner', () => {
    const p = makeNhi({ owners: ['ops@example.com'] });
    expect(nhiNoOwner(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires, low, without owners (blank entries do not count)', () => {
    // Arrange
    const p = makeNhi({ owners: ['  '] });

    // Act
    const [d] = nhiNoOwner(p, contextFor({ principals: [p] }));

    // Assert
    expect(d).toMatchObject({ rule: 'NHI-NO-OWNER', severity: 'low', key: p.uid });
    expect(d!.evidence[0]).toMatchObject({ kind: 'attribute', signal: 'owners' });
  });

  it('is medium when privileged or financially significant', () => {
    const p = makeNhi();
    const admin = makeEntitlement({ privileged: true });
    expect(
      nhiNoOwner(p, contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] }))[0]!
        .severity,
    ).toBe('medium');
    expect(
      nhiNoOwner(p, contextFor({ principals: [p] }, { financiallySignificant: ['erp-test'] }))[0]!.severity,
    ).toBe('medium');
  });

  it('skips platform-owned identities, humans and disabled principals', () => {
    const ctx = contextFor({});
    expect(nhiNoOwner(makeNhi({ type: 'service-linked-role' }), ctx)).toEqual([]);
    expect(nhiNoOwner(makeNhi({ type: 'managed-identity' }), ctx)).toEqual([]);
    expect(nhiNoOwner(makeNhi({ tags: { 'accessproof:platform-owned': 'true' } }), ctx)).toEqual([]);
    expect(nhiNoOwner(makePrincipal(), ctx)).toEqual([]);
    expect(nhiNoOwner(makeNhi({ status: 'disabled' }), ctx)).toEqual([]);
  });
});
