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
    expect(d?.evidence.at(-1)?.signal).toBe('last_login_at');
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
