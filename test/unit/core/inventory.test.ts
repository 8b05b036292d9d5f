import { describe, expect, it } from 'vitest';
import { InventoryBuilder } from '../../../core/inventory';
import { makeEntitlement, makeGrant, makeHeader, makePrincipal } from '../../support/factories';

describe('InventoryBuilder', () => {
  it('indexes principals, entitlements and grants by principal, keeping records by reference', () => {
    // Arrange
    const b = new InventoryBuilder({ financiallySignificant: (id) => id === 'erp-test' });
    const p = makePrincipal({ email: 'A@x.com' });
    const q = makePrincipal({ system: 'entra', nativeId: 'oid', email: 'a@x.com' });
    const e = makeEntitlement();
    const g1 = makeGrant(p, e);
    const g2 = makeGrant(p, e, { path: ['erp:erp-test:G'] });

    // Act
    b.addSnapshotHeader(makeHeader({ complete: false, warnings: ['partial'] }));
    b.addPrincipal(p);
    b.addGrant(g1); // a grant may arrive before its entitlement
    b.addEntitlement(e);
    b.addGrant(g2);
    b.addPrincipal(q);
    b.addFailedSource({ sourceId: 'sfdc', system: 'salesforce', error: 'login refused' });
    const inv = b.finish();

    // Assert
    expect(inv.principals.get(p.uid)).toBe(p);
    expect(inv.entitlements.get(e.uid)).toBe(e);
    expect(inv.grantsOf(p.uid)).toEqual([g1, g2]);
    expect(inv.grantsOf(p.uid)[0]).toBe(g1);
    expect(inv.grantsOf('nobody')).toEqual([]);
    expect(inv.grantCount).toBe(2);
    expect(inv.sources.get('erp-test')).toMatchObject({
      status: 'collected',
      complete: false,
      financiallySignificant: true,
      warnings: ['partial'],
    });
    expect(inv.sources.get('sfdc')).toMatchObject({
      status: 'failed',
      complete: false,
      financiallySignificant: false,
      error: 'login refused',
      tenant: '',
    });
    expect(inv.identityOf(p.uid)?.id).toBe('person:a@x.com');
    expect(inv.identityOf(q.uid)).toBe(inv.identityOf(p.uid));
    expect(inv.principalsWithEmail(' A@X.COM ').map((x) => x.uid)).toEqual([q.uid, p.uid].sort());
    expect(inv.identities).toHaveLength(1);
  });

  it('lays the grant graph out as typed arrays matching the records', () => {
    // Arrange: a grant may name a principal before its record arrives, or one that never arrives
    const b = new InventoryBuilder();
    const a = makePrincipal({ nativeId: 'A', email: 'a@x.com' });
    const off = makePrincipal({ nativeId: 'OFF', status: 'disabled' });
    const e1 = makeEntitlement({ nativeId: 'E1' });
    const e2 = makeEntitlement({ nativeId: 'E2' });
    b.addGrant(makeGrant(off, e2));
    b.addPrincipal(a);
    b.addEntitlement(e1);
    b.addGrant(makeGrant(a, e1));
    b.addGrant(makeGrant(a, e2));
    b.addGrant(makeGrant('erp:erp-test:GHOST', e1));
    b.addPrincipal(off);

    // Act
    const inv = b.finish();
    const ix = inv.index;

    // Assert
    const rows = (uid: string) => {
      const p = ix.principalIndexOf(uid)!;
      return [...ix.grantEntitlements.subarray(ix.grantOffsets[p]!, ix.grantOffsets[p + 1]!)].map((e) =>
        ix.entitlementUidAt(e),
      );
    };
    expect(rows(a.uid)).toEqual([e1.uid, e2.uid]);
    expect(rows(off.uid)).toEqual([e2.uid]);
    expect(rows('erp:erp-test:GHOST')).toEqual([e1.uid]);
    expect(ix.active[ix.principalIndexOf(a.uid)!]).toBe(1);
    expect(ix.active[ix.principalIndexOf(off.uid)!]).toBe(0);
    expect(ix.active[ix.principalIndexOf('erp:erp-test:GHOST')!]).toBe(0);
    expect(
      inv.identities.map((_identity, j) =>
        [...ix.identityPrincipals.subarray(ix.identityOffsets[j]!, ix.identityOffsets[j + 1]!)].map((p) =>
          ix.principalUidAt(p),
        ),
      ),
    ).toEqual(inv.identities.map((identity) => identity.principals));
    expect([...inv.principalGrants(a.uid)!.entitlements].map((e) => ix.entitlementUidAt(e))).toEqual([
      e1.uid,
      e2.uid,
    ]);
    expect(inv.principalGrants('nobody')).toBeUndefined();
  });

  it('lets a header override the default financial significance', () => {
    const b = new InventoryBuilder();
    b.addSnapshotHeader(makeHeader({ sourceId: 'x' }), { financiallySignificant: true });
    expect(b.finish().sources.get('x')!.financiallySignificant).toBe(true);
  });

  it('refuses to finish twice', () => {
    const b = new InventoryBuilder();
    b.finish();
    expect(() => b.finish()).toThrow(/twice/);
  });

  it('handles a large inventory in one pass (2 000 principals × 50 grants)', () => {
    // Arrange
    const b = new InventoryBuilder();
    const e = makeEntitlement();
    b.addEntitlement(e);
    for (let i = 0; i < 2000; i++) {
      const p = makePrincipal({ nativeId: `u${i}` });
      b.addPrincipal(p);
      for (let j = 0; j < 50; j++) b.addGrant(makeGrant(p, e));
    }

    // Act
    const inv = b.finish();

    // Assert
    expect(inv.grantCount).toBe(100_000);
    expect(inv.grantsByPrincipal.size).toBe(2000);
    expect(inv.identities).toHaveLength(2000);
  });
});
