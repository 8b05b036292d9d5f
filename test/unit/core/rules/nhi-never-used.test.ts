import { describe, expect, it } from 'vitest';
import { nhiNeverUsed } from '../../../../core/rules/nhi-never-used';
import { makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

describe('NHI-NEVER-USED', () => {
  it('is compliant at exactly neverUsedGraceDays after creation', () => {
    const p = makeNhi({ createdAt: daysAgo(30) });
    expect(nhiNeverUsed(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires 1 ms past the grace period, with createdAt as evidence', () => {
    // Arrange
    const p = makeNhi({ nativeId: 'svc-new', createdAt: daysAgo(30, 1) });

    // Act
    const [d] = nhiNeverUsed(p, contextFor({ principals: [p] }));

    // Assert
    expect(d).toMatchObject({
      rule: 'NHI-NEVER-USED',
      severity: 'medium',
      key: p.uid,
      detail: { createdAt: daysAgo(30, 1), graceDays: 30 },
    });
    expect(d!.evidence[0]).toMatchObject({ kind: 'attribute', signal: 'createdAt', at: daysAgo(30, 1) });
  });

  it('is high in a financially significant source', () => {
    const p = makeNhi({ createdAt: daysAgo(100) });
    expect(
      nhiNeverUsed(p, contextFor({ principals: [p] }, { financiallySignificant: ['erp-test'] }))[0]!.severity,
    ).toBe('high');
  });

  it('does not fire when the connector marked activity unknown', () => {
    const p = makeNhi({ createdAt: daysAgo(100), tags: { 'accessproof:activity': 'unknown' } });
    expect(nhiNeverUsed(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('does not fire with unknown createdAt, any activity, or a used credential', () => {
    const ctx = contextFor({});
    expect(nhiNeverUsed(makeNhi(), ctx)).toEqual([]);
    expect(nhiNeverUsed(makeNhi({ createdAt: 'garbage' }), ctx)).toEqual([]);
    expect(
      nhiNeverUsed(makeNhi({ createdAt: daysAgo(100), lastActivity: { at: daysAgo(99), source: 'x' } }), ctx),
    ).toEqual([]);
    expect(
      nhiNeverUsed(
        makeNhi({
          createdAt: daysAgo(100),
          credentials: [{ id: 'k1', type: 'access-key', active: true, lastUsedAt: daysAgo(50) }],
        }),
        ctx,
      ),
    ).toEqual([]);
  });

  it('skips humans, disabled principals and service-linked roles', () => {
    const ctx = contextFor({});
    expect(nhiNeverUsed(makePrincipal({ createdAt: daysAgo(100) }), ctx)).toEqual([]);
    expect(nhiNeverUsed(makeNhi({ createdAt: daysAgo(100), status: 'disabled' }), ctx)).toEqual([]);
    expect(nhiNeverUsed(makeNhi({ createdAt: daysAgo(100), type: 'service-linked-role' }), ctx)).toEqual([]);
  });
});
