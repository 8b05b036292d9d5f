import { describe, expect, it } from 'vitest';
import { userDormant } from '../../../../core/rules/user-dormant';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const login = (at: string) => ({ lastActivity: { at, source: 'LastLoginDate' } });

describe('USER-DORMANT', () => {
  it('is compliant at exactly dormantDays', () => {
    const p = makePrincipal(login(daysAgo(90)));
    expect(userDormant(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires 1 ms past dormantDays, medium outside financial systems', () => {
    // Arrange
    const p = makePrincipal({ name: 'Jane Doe', ...login(daysAgo(90, 1)) });

    // Act
    const [d] = userDormant(p, contextFor({ principals: [p] }));

    // Assert
    expect(d).toMatchObject({
      rule: 'USER-DORMANT',
      severity: 'medium',
      key: p.uid,
      title: 'Dormant user Jane Doe (erp-test)',
    });
    expect(d!.evidence[0]).toMatchObject({ kind: 'activity', signal: 'LastLoginDate', principal: p.uid });
  });

  it('is high with a privileged grant or in a financially significant source', () => {
    const p = makePrincipal(login(daysAgo(120)));
    const admin = makeEntitlement({ privileged: true });
    expect(
      userDormant(
        p,
        contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] }),
      )[0]!.severity,
    ).toBe('high');
    expect(
      userDormant(p, contextFor({ principals: [p] }, { financiallySignificant: ['erp-test'] }))[0]!.severity,
    ).toBe('high');
  });

  it('uses the correlated identity as subject', () => {
    const p = makePrincipal({ email: 'Jane@Example.com', ...login(daysAgo(120)) });
    const other = makePrincipal({ system: 'entra', nativeId: 'oid', email: 'jane@example.com' });
    const [d] = userDormant(p, contextFor({ principals: [p, other] }));
    expect(d!.subject).toMatchObject({ identity: 'person:jane@example.com', principals: [p.uid] });
    expect(d!.subject.anchors).toEqual(
      ['email:jane@example.com', `principal:${other.uid}`, `principal:${p.uid}`].sort(),
    );
  });

  it('does not judge unknown activity, non-humans or disabled users', () => {
    const ctx = contextFor({});
    expect(userDormant(makePrincipal({ createdAt: daysAgo(500) }), ctx)).toEqual([]);
    expect(userDormant(makeNhi(login(daysAgo(500))), ctx)).toEqual([]);
    expect(userDormant(makePrincipal({ status: 'disabled', ...login(daysAgo(500)) }), ctx)).toEqual([]);
  });
});
