import { describe, expect, it } from 'vitest';
import { correlate, normalizeEmail } from '../../../core/correlate';
import { makeNhi, makePrincipal } from '../../support/factories';

describe('correlate', () => {
  it('joins principals of different systems with the same email, trimmed and case-insensitive', () => {
    // Arrange
    const erp = makePrincipal({ nativeId: 'JDOE', name: 'DOE, JANE', email: ' Jane.Doe@Example.com' });
    const entra = makePrincipal({
      system: 'entra',
      nativeId: 'oid-1',
      name: 'Jane Doe',
      email: 'jane.doe@example.com ',
    });
    const aws = makeNhi({
      system: 'aws',
      nativeId: 'arn:aws:iam::1:user/jane-ci',
      email: 'JANE.DOE@EXAMPLE.COM',
    });

    // Act
    const { identities, identityByPrincipal } = correlate([aws, erp, entra]);

    // Assert
    expect(identities).toEqual([
      {
        id: 'person:jane.doe@example.com',
        name: 'Jane Doe',
        kind: 'human',
        email: 'jane.doe@example.com',
        principals: [aws.uid, entra.uid, erp.uid].sort(),
        anchors: [
          'email:jane.doe@example.com',
          ...[aws.uid, entra.uid, erp.uid].map((u) => `principal:${u}`),
        ].sort(),
      },
    ]);
    expect(identityByPrincipal.get(aws.uid)!.id).toBe('person:jane.doe@example.com');
  });

  it('keeps principals without email, or sharing one only inside one system, as their own identities', () => {
    // Arrange
    const a = makePrincipal({ nativeId: 'A', email: 'shared@example.com' });
    const b = makeNhi({ nativeId: 'B', email: 'shared@example.com' });
    const c = makePrincipal({ nativeId: 'C' });

    // Act
    const { identities } = correlate([c, b, a]);

    // Assert
    expect(identities.map((i) => [i.id, i.kind, i.principals])).toEqual([
      [`principal:${a.uid}`, 'human', [a.uid]],
      [`principal:${b.uid}`, 'nonhuman', [b.uid]],
      [`principal:${c.uid}`, 'human', [c.uid]],
    ]);
    expect(identities[0]!.email).toBe('shared@example.com');
  });

  it('joins a same-system pair once the email also appears in another system', () => {
    const a = makePrincipal({ nativeId: 'A', email: 's@example.com' });
    const b = makePrincipal({ nativeId: 'A-ADMIN', email: 's@example.com' });
    const c = makePrincipal({ system: 'salesforce', nativeId: '005', email: 's@example.com' });
    expect(correlate([a, b, c]).identities.map((i) => i.principals)).toEqual([[c.uid, a.uid, b.uid].sort()]);
  });

  it('marks an identity nonhuman only when none of its principals is human', () => {
    const a = makeNhi({ email: 'bot@example.com' });
    const b = makeNhi({ system: 'aws', nativeId: 'arn:aws:iam::1:role/bot', email: 'bot@example.com' });
    expect(correlate([a, b]).identities[0]!.kind).toBe('nonhuman');
  });

  it('is independent of input order', () => {
    const ps = [
      makePrincipal({ email: 'x@e.com' }),
      makePrincipal({ system: 'entra', nativeId: 'o', email: 'X@e.com' }),
      makePrincipal(),
      makeNhi(),
    ];
    expect(correlate([...ps].reverse())).toEqual(correlate(ps));
  });
});

describe('identity anchors (issue 10)', () => {
  it('keys a person by email from the first principal on', () => {
    const erp = makePrincipal({ nativeId: 'BEN', email: 'Ben@Example.com' });
    expect(correlate([erp]).identities.map((i) => i.id)).toEqual(['person:ben@example.com']);
    const entra = makePrincipal({ system: 'entra', nativeId: 'oid', email: 'ben@example.com' });
    expect(correlate([erp, entra]).identities.map((i) => i.id)).toEqual(['person:ben@example.com']);
  });

  it('keys a person by employee id where a source provides one, and joins by it across emails', () => {
    const erp = makePrincipal({ nativeId: 'BEN', email: 'ben@example.com' });
    const entra = makePrincipal({
      system: 'entra',
      nativeId: 'oid',
      email: 'ben@example.com',
      employeeId: ' E7 ',
    });
    const sf = makePrincipal({
      system: 'salesforce',
      nativeId: '005',
      email: 'b.l@example.com',
      employeeId: 'E7',
    });
    const { identities } = correlate([erp, entra, sf]);
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({
      id: 'person:employee:E7',
      anchors: [
        'email:b.l@example.com',
        'email:ben@example.com',
        'employee:E7',
        ...[erp.uid, entra.uid, sf.uid].map((u) => `principal:${u}`).sort(),
      ],
    });
  });

  it('keeps a principal with no person key as its own identity', () => {
    const p = makeNhi({ nativeId: 'job' });
    expect(correlate([p]).identities.map((i) => [i.id, i.anchors])).toEqual([
      [`principal:${p.uid}`, [`principal:${p.uid}`]],
    ]);
  });
});

describe('normalizeEmail', () => {
  it('trims and lowercases; blank is no email', () => {
    expect(normalizeEmail('  A@B.C ')).toBe('a@b.c');
    expect(normalizeEmail('   ')).toBeUndefined();
    expect(normalizeEmail(undefined)).toBeUndefined();
  });
});
