import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../../core/model';
import { nhiCredStale } from '../../../../core/rules/nhi-cred-stale';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const secret = (overrides: Partial<Credential> = {}): Credential => ({
  id: '6f0a3f8e-0000-4000-8000-000000000001',
  type: 'client-secret',
  name: 'CI deploy',
  active: true,
  ...overrides,
});

describe('NHI-CRED-STALE', () => {
  it('is compliant at exactly credentialMaxAgeDays', () => {
    const p = makeNhi({ credentials: [secret({ createdAt: daysAgo(90) })] });
    expect(nhiCredStale(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires 1 ms past credentialMaxAgeDays, naming the credential but never a value', () => {
    // Arrange
    const p = makeNhi({
      name: 'sp-payments',
      credentials: [secret({ createdAt: daysAgo(90, 1), lastUsedAt: daysAgo(1) })],
    });

    // Act
    const [d] = nhiCredStale(p, contextFor({ principals: [p] }));

    // Assert
    expect(d).toMatchObject({
      rule: 'NHI-CRED-STALE',
      severity: 'medium',
      key: `${p.uid}|6f0a3f8e-0000-4000-8000-000000000001`,
      title:
        'client-secret "CI deploy" (6f0a3f8e-0000-4000-8000-000000000001) on sp-payments (erp-test) older than 90 days',
      detail: { maxAgeDays: 90 },
    });
  });

  it('is high when the principal is privileged', () => {
    const p = makeNhi({ credentials: [secret({ createdAt: daysAgo(400) })] });
    const admin = makeEntitlement({ privileged: true });
    const ctx = contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] });
    expect(nhiCredStale(p, ctx)[0]!.severity).toBe('high');
  });

  it('leaves expired credentials to NHI-CRED-EXPIRED and skips inactive ones, unknown dates and humans', () => {
    const ctx = contextFor({});
    expect(
      nhiCredStale(
        makeNhi({ credentials: [secret({ createdAt: daysAgo(400), expiresAt: daysAgo(1) })] }),
        ctx,
      ),
    ).toEqual([]);
    expect(
      nhiCredStale(makeNhi({ credentials: [secret({ createdAt: daysAgo(400), active: false })] }), ctx),
    ).toEqual([]);
    expect(nhiCredStale(makeNhi({ credentials: [secret()] }), ctx)).toEqual([]);
    expect(nhiCredStale(makePrincipal({ credentials: [secret({ createdAt: daysAgo(400) })] }), ctx)).toEqual(
      [],
    );
  });

  it('still fires for a credential that expires in the future', () => {
    const p = makeNhi({
      credentials: [secret({ createdAt: daysAgo(400), expiresAt: '2027-01-01T00:00:00.000Z' })],
    });
    expect(nhiCredStale(p, contextFor({ principals: [p] }))).toHaveLength(1);
  });
});
