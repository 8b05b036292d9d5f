import { describe, expect, it } from 'vitest';
import { InventoryBuilder } from '../../../../core/inventory';
import type { Principal } from '../../../../core/model';
import { createRuleContext, type RuleContext } from '../../../../core/rules';
import { nhiOrphaned, ownerIsActive, resolveOwner } from '../../../../core/rules/nhi-orphaned';
import { makeHeader, makeNhi, makePerson, makePolicyConfig, makePrincipal } from '../../../support/factories';
import { AS_OF, contextFor } from './rule-harness';

/** A context whose inventory also holds an Entra source that failed, or was collected incompletely. */
function contextWithPartialEntra(principals: Principal[], entra: 'failed' | 'incomplete'): RuleContext {
  const b = new InventoryBuilder();
  b.addSnapshotHeader(makeHeader({ system: 'erp' }));
  if (entra === 'failed') b.addFailedSource({ sourceId: 'entra-test', system: 'entra', error: 'HTTP 503' });
  else b.addSnapshotHeader(makeHeader({ system: 'entra', complete: false }));
  for (const p of principals) b.addPrincipal(p);
  return createRuleContext(b.finish(), {
    asOf: AS_OF,
    policy: makePolicyConfig(),
    sod: undefined,
    financiallySignificant: () => false,
  });
}

describe('NHI-ORPHANED', () => {
  it('is compliant when an owner email belongs to an active principal in any system', () => {
    // Arrange: disabled in the ERP, active in Entra
    const svc = makeNhi({ owners: ['Owner@Example.com'] });
    const erpOwner = makePrincipal({ email: 'owner@example.com', status: 'disabled' });
    const entraOwner = makePrincipal({ system: 'entra', nativeId: 'oid', email: 'owner@example.com' });

    // Act / Assert
    expect(nhiOrphaned(svc, contextFor({ principals: [svc, erpOwner, entraOwner] }))).toEqual([]);
  });

  it('is compliant when an owner uid is an active principal', () => {
    const owner = makePrincipal();
    const svc = makeNhi({ owners: [owner.uid] });
    expect(nhiOrphaned(svc, contextFor({ principals: [svc, owner] }))).toEqual([]);
  });

  it('fires when every owner is disabled or unknown to every system', () => {
    // Arrange
    const owner = makePrincipal({ status: 'disabled' });
    const leaver = makePrincipal({ email: 'leaver@example.com', status: 'disabled' });
    const svc = makeNhi({ owners: [owner.uid, 'leaver@example.com', 'gone@example.com'] });

    // Act
    const [d] = nhiOrphaned(svc, contextFor({ principals: [svc, owner, leaver] }));

    // Assert
    expect(d).toMatchObject({ rule: 'NHI-ORPHANED', severity: 'medium', key: svc.uid });
    expect(d!.detail.owners).toEqual([
      { owner: owner.uid, state: 'disabled', principals: [owner.uid] },
      { owner: 'leaver@example.com', state: 'disabled', principals: [leaver.uid] },
      { owner: 'gone@example.com', state: 'gone', principals: [] },
    ]);
    expect(d!.evidence.map((e) => e.text)).toContain(
      'owner gone@example.com: no principal in any system has this email',
    );
  });

  it('is high in a financially significant source', () => {
    const svc = makeNhi({ owners: ['gone@example.com'] });
    expect(
      nhiOrphaned(svc, contextFor({ principals: [svc] }, { financiallySignificant: ['erp-test'] }))[0]!
        .severity,
    ).toBe('high');
  });

  it('does not fire while one owner is active, or for owners it cannot resolve', () => {
    const active = makePrincipal({ email: 'here@example.com' });
    const svc = makeNhi({ owners: ['gone@example.com', 'here@example.com'] });
    expect(nhiOrphaned(svc, contextFor({ principals: [svc, active] }))).toEqual([]);
    const team = makeNhi({ owners: ['Finance Platform Team'] });
    expect(nhiOrphaned(team, contextFor({ principals: [team] }))).toEqual([]);
    const uncollected = makeNhi({ owners: ['entra:tenant:not-collected'] });
    expect(nhiOrphaned(uncollected, contextFor({ principals: [uncollected] }))).toEqual([]);
  });

  it('leaves principals without owners to NHI-NO-OWNER, and skips humans', () => {
    const ctx = contextFor({});
    expect(nhiOrphaned(makeNhi(), ctx)).toEqual([]);
    expect(nhiOrphaned(makePrincipal({ owners: ['gone@example.com'] }), ctx)).toEqual([]);
  });

  // Guards against false NHI-ORPHANED for every NHI whose owners live in a directory that failed or was partial.
  it.each(['failed', 'incomplete'] as const)(
    'treats an unmatched owner email as unknown when a source is %s',
    (entra) => {
      // Arrange
      const svc = makeNhi({ owners: ['owner@example.com'] });

      // Act
      const drafts = nhiOrphaned(svc, contextWithPartialEntra([svc], entra));

      // Assert
      expect(drafts).toEqual([]);
    },
  );

  it.each(['failed', 'incomplete'] as const)(
    'claims no disabled owner by email when a source is %s: that source may hold an active account',
    (entra) => {
      // Arrange
      const leaver = makePrincipal({ email: 'leaver@example.com', status: 'disabled' });
      const svc = makeNhi({ owners: ['leaver@example.com'] });

      // Act
      const drafts = nhiOrphaned(svc, contextWithPartialEntra([svc, leaver], entra));

      // Assert: no new claim; an open finding stays open through the lifecycle (its sources list
      // every source, the failed one included), never resolved while the directory is down.
      expect(drafts).toEqual([]);
      expect(
        resolveOwner('leaver@example.com', contextWithPartialEntra([svc, leaver], entra).inv),
      ).toMatchObject({
        state: 'unknown',
        principals: [leaver.uid],
      });
    },
  );

  it('still fires for an owner given by uid that is disabled, whatever another source did', () => {
    // Arrange
    const leaver = makePrincipal({ email: 'leaver@example.com', status: 'disabled' });
    const svc = makeNhi({ owners: [leaver.uid] });

    // Act
    const [d] = nhiOrphaned(svc, contextWithPartialEntra([svc, leaver], 'failed'));

    // Assert
    expect(d!.detail.owners).toEqual([{ owner: leaver.uid, state: 'disabled', principals: [leaver.uid] }]);
  });

  it('settles an active owner without resolving it exactly when the resolution says active', () => {
    // Every branch of resolveOwner: uid active/disabled, email with an active or only disabled
    // holder, an HR leaver whose account is still enabled, an unknown email, not an email.
    const active = makePrincipal({ email: 'on@example.com' });
    const disabled = makePrincipal({ email: 'off@example.com', status: 'disabled' });
    const leaverAccount = makePrincipal({ system: 'entra', nativeId: 'u9', email: 'leaver@example.com' });
    const leaver = makePerson({
      employeeId: 'E9',
      email: 'leaver@example.com',
      status: 'terminated',
      statusText: 'Terminated',
    });
    const ctx = contextFor({ principals: [active, disabled, leaverAccount], people: [leaver] });
    const owners = [
      active.uid,
      disabled.uid,
      'ON@example.com ',
      'off@example.com',
      'leaver@example.com',
      'gone@example.com',
      'not-an-owner',
    ];
    const states = owners.map((o) => resolveOwner(o.trim(), ctx.inv).state);
    expect(states).toEqual(['active', 'disabled', 'active', 'disabled', 'disabled', 'gone', 'unknown']);
    expect(owners.map((o) => ownerIsActive(o.trim(), ctx.inv))).toEqual(states.map((s) => s === 'active'));
  });
});
