import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../../core/model';
import { nhiCredUnused } from '../../../../core/rules/nhi-cred-unused';
import { makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const key = (overrides: Partial<Credential> = {}): Credential => ({
  id: 'AKIAEXAMPLE1',
  type: 'access-key',
  active: true,
  ...overrides,
});

describe('NHI-CRED-UNUSED', () => {
  it('is compliant at exactly the grace period', () => {
    const p = makeNhi({ credentials: [key({ createdAt: daysAgo(30) })] });
    expect(nhiCredUnused(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('fires per unused credential 1 ms past the grace period, keyed by uid and credential id', () => {
    // Arrange
    const p = makeNhi({
      credentials: [
        key({ createdAt: daysAgo(30, 1) }),
        key({ id: 'AKIAEXAMPLE2', createdAt: daysAgo(45) }),
        key({ id: 'used', createdAt: daysAgo(45), lastUsedAt: daysAgo(1) }),
      ],
    });

    // Act
    const drafts = nhiCredUnused(p, contextFor({ principals: [p] }));

    // Assert
    expect(drafts.map((d) => d.key)).toEqual([`${p.uid}|AKIAEXAMPLE1`, `${p.uid}|AKIAEXAMPLE2`]);
    expect(drafts[0]).toMatchObject({
      rule: 'NHI-CRED-UNUSED',
      severity: 'medium',
      detail: { credentialId: 'AKIAEXAMPLE1', graceDays: 30 },
    });
    expect(drafts[0]!.evidence[0]).toMatchObject({
      kind: 'credential',
      signal: 'createdAt',
      at: daysAgo(30, 1),
    });
  });

  it('is not judged when the connector could not read credential use (Entra report denied)', () => {
    // Guards against a denied credential sign-in report turning every credential into "never used".
    const p = makeNhi({
      credentials: [key({ createdAt: daysAgo(60) })],
      tags: { 'accessproof:credential-activity': 'unknown' },
    });
    expect(nhiCredUnused(p, contextFor({ principals: [p] }))).toEqual([]);
  });

  it('is high in a financially significant source', () => {
    const p = makeNhi({ credentials: [key({ createdAt: daysAgo(60) })] });
    expect(
      nhiCredUnused(p, contextFor({ principals: [p] }, { financiallySignificant: ['erp-test'] }))[0]!
        .severity,
    ).toBe('high');
  });

  it('skips inactive credentials, unknown creation, unknown activity, humans and disabled principals', () => {
    const ctx = contextFor({});
    expect(
      nhiCredUnused(makeNhi({ credentials: [key({ active: false, createdAt: daysAgo(60) })] }), ctx),
    ).toEqual([]);
    expect(nhiCredUnused(makeNhi({ credentials: [key()] }), ctx)).toEqual([]);
    expect(
      nhiCredUnused(
        makeNhi({
          tags: { 'accessproof:activity': 'unknown' },
          credentials: [key({ createdAt: daysAgo(60) })],
        }),
        ctx,
      ),
    ).toEqual([]);
    expect(nhiCredUnused(makePrincipal({ credentials: [key({ createdAt: daysAgo(60) })] }), ctx)).toEqual([]);
    expect(
      nhiCredUnused(makeNhi({ status: 'disabled', credentials: [key({ createdAt: daysAgo(60) })] }), ctx),
    ).toEqual([]);
  });
});
