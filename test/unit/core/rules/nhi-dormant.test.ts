import { describe, expect, it } from 'vitest';
import { nhiDormant } from '../../../../core/rules/nhi-dormant';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const used = (at: string) => ({ lastActivity: { at, source: 'RoleLastUsed' } });

describe('NHI-DORMANT', () => {
  it('is compliant at exactly dormantDays days of inactivity', () => {
    // Arrange
    const p = makeNhi(used(daysAgo(90)));

    // Act / Assert
    expect(nhiDormant(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires one millisecond past dormantDays, with the activity signal as evidence', () => {
    // Arrange
    const p = makeNhi({ nativeId: 'svc-batch', ...used(daysAgo(90, 1)) });
    const ctx = contextFor({ principals: [p] });

    // Act
    const [d, ...rest] = nhiDormant(p, ctx);

    // Assert
    expect(rest).toEqual([]);
    expect(d).toMatchObject({
      rule: 'NHI-DORMANT',
      severity: 'medium',
      key: p.uid,
      subject: { identity: `principal:${p.uid}`, principals: [p.uid] },
      sources: ['erp-test'],
      detail: { lastActivityAt: daysAgo(90, 1), lastActivitySource: 'RoleLastUsed', thresholdDays: 90 },
    });
    expect(d!.evidence[0]).toMatchObject({ kind: 'activity', signal: 'RoleLastUsed', at: daysAgo(90, 1) });
    expect(d!.evidence[0]!.text).toBe(
      'last activity 2026-07-02 (RoleLastUsed): 90 days before 2026-10-01, more than 90',
    );
  });

  it('follows the configured threshold', () => {
    const p = makeNhi(used(daysAgo(31)));
    expect(nhiDormant(p, contextFor({ principals: [p] }, { policy: { dormantDays: 30 } }))).toHaveLength(1);
    expect(nhiDormant(p, contextFor({ principals: [p] }, { policy: { dormantDays: 31 } }))).toEqual([]);
  });

  it('is high when the principal holds a privileged entitlement, with the grant as evidence', () => {
    // Arrange
    const p = makeNhi(used(daysAgo(200)));
    const admin = makeEntitlement({
      name: 'SAP_ALL',
      privileged: true,
      privilegedReason: 'all authorizations',
    });
    const ctx = contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] });

    // Act
    const [d] = nhiDormant(p, ctx);

    // Assert
    expect(d!.severity).toBe('high');
    expect(d!.evidence[1]).toMatchObject({ kind: 'grant', entitlement: admin.uid, path: [] });
    expect(d!.evidence[1]!.text).toContain('privileged: all authorizations');
  });

  it('is high in a financially significant source', () => {
    const p = makeNhi(used(daysAgo(200)));
    const [d] = nhiDormant(p, contextFor({ principals: [p] }, { financiallySignificant: ['erp-test'] }));
    expect(d!.severity).toBe('high');
    expect(d!.evidence.some((e) => e.signal === 'financiallySignificant')).toBe(true);
  });

  it('never judges unknown activity, humans, disabled principals or platform-owned types', () => {
    const ctx = contextFor({});
    expect(nhiDormant(makeNhi({ createdAt: daysAgo(400) }), ctx)).toEqual([]);
    expect(nhiDormant(makeNhi({ lastActivity: { at: 'not a date', source: 'x' } }), ctx)).toEqual([]);
    expect(nhiDormant(makePrincipal(used(daysAgo(400))), ctx)).toEqual([]);
    expect(nhiDormant(makeNhi({ status: 'disabled', ...used(daysAgo(400)) }), ctx)).toEqual([]);
    expect(nhiDormant(makeNhi({ type: 'service-linked-role', ...used(daysAgo(400)) }), ctx)).toEqual([]);
    expect(nhiDormant(makeNhi({ type: 'managed-identity', ...used(daysAgo(400)) }), ctx)).toEqual([]);
  });

  it('treats activity after asOf as recent', () => {
    const p = makeNhi(used('2027-01-01T00:00:00.000Z'));
    expect(nhiDormant(p, contextFor({ principals: [p] }))).toEqual([]);
  });
});
