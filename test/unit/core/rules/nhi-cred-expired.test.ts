import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../../core/model';
import { nhiCredExpired } from '../../../../core/rules/nhi-cred-expired';
import { makeNhi, makePrincipal } from '../../../support/factories';
import { AS_OF, contextFor, daysAgo } from './rule-harness';

const cert = (expiresAt?: string): Credential => ({
  id: 'cert-1',
  type: 'certificate',
  active: true,
  ...(expiresAt ? { expiresAt } : {}),
});

describe('NHI-CRED-EXPIRED', () => {
  it('is compliant when the credential expires exactly at asOf or later', () => {
    const ctx = contextFor({});
    expect(nhiCredExpired(makeNhi({ credentials: [cert(AS_OF.toISOString())] }), ctx)).toEqual([]);
    expect(nhiCredExpired(makeNhi({ credentials: [cert('2027-01-01T00:00:00Z')] }), ctx)).toEqual([]);
    expect(nhiCredExpired(makeNhi({ credentials: [cert()] }), ctx)).toEqual([]);
  });

  it('fires, low, for a credential expired 1 ms before asOf', () => {
    // Arrange
    const p = makeNhi({ credentials: [cert(daysAgo(0, 1))] });

    // Act
    const [d] = nhiCredExpired(p, contextFor({ principals: [p] }));

    // Assert
    expect(d).toMatchObject({
      rule: 'NHI-CRED-EXPIRED',
      severity: 'low',
      key: `${p.uid}|cert-1`,
      detail: { expiresAt: daysAgo(0, 1) },
    });
    expect(d!.evidence[0]).toMatchObject({ kind: 'credential', signal: 'expiresAt', at: daysAgo(0, 1) });
  });

  it('fires for an expired credential even when marked inactive (it is still present)', () => {
    const p = makeNhi({ credentials: [{ ...cert(daysAgo(10)), active: false }] });
    expect(nhiCredExpired(p, contextFor({ principals: [p] }))).toHaveLength(1);
  });

  it('skips humans and disabled principals', () => {
    const ctx = contextFor({});
    expect(nhiCredExpired(makePrincipal({ credentials: [cert(daysAgo(10))] }), ctx)).toEqual([]);
    expect(nhiCredExpired(makeNhi({ status: 'disabled', credentials: [cert(daysAgo(10))] }), ctx)).toEqual(
      [],
    );
  });
});
