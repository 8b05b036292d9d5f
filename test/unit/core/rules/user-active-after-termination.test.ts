import { describe, expect, it } from 'vitest';
import { userActiveAfterTermination } from '../../../../core/rules/user-active-after-termination';
import { makePerson, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

describe('USER-ACTIVE-AFTER-TERMINATION', () => {
  const term = daysAgo(10);
  const person = makePerson({
    employeeId: 'E7',
    status: 'terminated',
    statusText: 'Terminated',
    terminationDate: term,
  });
  const minute = 60_000;
  const used = (at: string) =>
    makePrincipal({ nativeId: 'U7', employeeId: 'E7', lastActivity: { at, source: 'last_login_at' } });

  it('is compliant when the last activity is exactly at the termination time', () => {
    const p = used(term);
    expect(userActiveAfterTermination(p, contextFor({ principals: [p], people: [person] }))).toEqual([]);
  });

  it('fires for activity one minute after termination, naming the activity and its source field', () => {
    const p = used(new Date(Date.parse(term) + minute).toISOString());
    const [d] = userActiveAfterTermination(p, contextFor({ principals: [p], people: [person] }));
    expect(d?.severity).toBe('critical');
    expect(d?.detail).toMatchObject({ activitySource: 'last_login_at', matchedBy: 'employee-id' });
    expect(d?.evidence.find((e) => e.kind === 'activity')?.signal).toBe('last_login_at');
  });

  it('fires for a disabled account too: the use after the termination date stands once the account is disabled', () => {
    const after = new Date(Date.parse(term) + minute).toISOString();
    const p = makePrincipal({
      nativeId: 'U7',
      employeeId: 'E7',
      status: 'disabled',
      lastActivity: { at: after, source: 'last_login_at' },
    });
    const [d] = userActiveAfterTermination(p, contextFor({ principals: [p], people: [person] }));
    expect(d?.severity).toBe('critical');
    expect(d?.detail).toMatchObject({ accountStatus: 'disabled', activityAt: after });
    expect(d?.evidence.find((e) => e.signal === 'status')?.text).toMatch(/is disabled as of/);
    const before = makePrincipal({
      nativeId: 'U7',
      employeeId: 'E7',
      status: 'disabled',
      lastActivity: { at: term, source: 'last_login_at' },
    });
    expect(
      userActiveAfterTermination(before, contextFor({ principals: [before], people: [person] })),
    ).toEqual([]);
  });

  it('reads a date-only termination date as midnight UTC (the HR connector writes it so)', () => {
    const leaver = makePerson({
      employeeId: 'E7',
      status: 'terminated',
      statusText: 'Terminated',
      terminationDate: '2026-09-20T00:00:00.000Z', // people.csv: 2026-09-20
    });
    const at = (iso: string) => {
      const p = used(iso);
      return userActiveAfterTermination(p, contextFor({ principals: [p], people: [leaver] })).length;
    };
    expect(at('2026-09-19T23:59:59.999Z')).toBe(0);
    expect(at('2026-09-20T00:00:00.000Z')).toBe(0);
    expect(at('2026-09-20T00:01:00.000Z')).toBe(1);
  });

  it('counts a credential used after termination, and ignores an unknown termination date', () => {
    const p = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/x',
      employeeId: 'E7',
      credentials: [{ id: 'access_key_1', type: 'access-key', active: true, lastUsedAt: daysAgo(1) }],
    });
    const [d] = userActiveAfterTermination(p, contextFor({ principals: [p], people: [person] }));
    expect(d?.detail.activitySource).toBe('access-key access_key_1 lastUsedAt');
    const undated = makePerson({ employeeId: 'E7', status: 'terminated' });
    expect(userActiveAfterTermination(p, contextFor({ principals: [p], people: [undated] }))).toEqual([]);
  });
});
