import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { userActivity, userPrincipal, userSchema } from '../../../../connectors/entra-id/users';
import { PUBLIC_DIR } from '../../../fixtures/entra/test-tenant';

const rc = { tenant: 't-1', sourceId: 'entra', kinds: {} };
const documented = (file: string) =>
  (JSON.parse(readFileSync(join(PUBLIC_DIR, file), 'utf8')) as { value: unknown[] }).value.map((u) =>
    userSchema.parse(u),
  );

describe('userActivity', () => {
  it('never takes lastSignInDateTime, which counts failed sign-ins: without a successful time, activity is unknown', () => {
    // Arrange: Adele Vance, as Microsoft documents her: lastSuccessful "" and an interactive sign-in
    // time that may be a failed attempt (a password spray on a dormant account).
    const [adele, alex] = documented('users-list-signinactivity.json');

    // Act / Assert
    expect(userActivity(adele?.signInActivity)).toBe('unknown');
    expect(userActivity(alex?.signInActivity)).toBe('unknown');
    const p = userPrincipal(rc, adele!, true);
    expect(p.lastActivity).toBeUndefined();
    expect(p.tags['accessproof:activity']).toBe('unknown');
  });

  it('prefers lastSuccessfulSignInDateTime when Graph fills it', () => {
    const [stine] = documented('users-list-signinactivity-entra-howto.json');
    expect(userActivity(stine?.signInActivity)).toEqual({
      at: '2024-12-10T17:38:26.000Z',
      source: 'signInActivity.lastSuccessfulSignInDateTime',
    });
  });

  it('has no activity for a user who never signed in', () => {
    expect(userActivity(undefined)).toBeUndefined();
    expect(
      userActivity({
        lastSignInDateTime: undefined,
        lastNonInteractiveSignInDateTime: undefined,
        lastSuccessfulSignInDateTime: undefined,
      }),
    ).toBeUndefined();
  });
});

describe('userPrincipal', () => {
  it('marks unknown sign-in data with the tag and no lastActivity, never as "never signed in"', () => {
    // Arrange
    const [adele] = documented('users-list-signinactivity.json');

    // Act
    const p = userPrincipal(rc, adele!, false);

    // Assert
    expect(p.lastActivity).toBeUndefined();
    expect(p.tags['accessproof:activity']).toBe('unknown');
  });

  it('makes a guest a human of type guest whose email is its mail, not its #EXT# UPN', () => {
    const guest = userSchema.parse({
      id: 'g1',
      displayName: 'Auditor',
      userPrincipalName: 'a_x.example#EXT#@t.onmicrosoft.com',
      mail: null,
      userType: 'Guest',
      accountEnabled: true,
    });
    const p = userPrincipal(rc, guest, true);
    expect(p).toMatchObject({ type: 'guest', kind: 'human', status: 'active', uid: 'entra:t-1:g1' });
    expect(p.email).toBeUndefined();
  });

  it('lets config kinds override the heuristic and records why', () => {
    const svc = userSchema.parse({ id: 'svc-1', userPrincipalName: 'svc@x.example', accountEnabled: false });
    const p = userPrincipal({ ...rc, kinds: { 'svc-1': 'nonhuman' } }, svc, true);
    expect(p).toMatchObject({ kind: 'nonhuman', kindReason: 'config:kinds', status: 'disabled' });
  });
});
