import { describe, expect, it } from 'vitest';
import { userTerminatedAccess } from '../../../../core/rules/user-terminated-access';
import { makeEntitlement, makeGrant, makePerson, makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

describe('USER-TERMINATED-ACCESS', () => {
  const leaver = (terminationDate: string | undefined, status: 'terminated' | 'active' = 'terminated') =>
    makePerson({
      employeeId: 'E1',
      email: 'jane@example.com',
      status,
      statusText: status === 'terminated' ? 'Terminated' : 'Active',
      ...(terminationDate ? { terminationDate } : {}),
    });
  const account = makePrincipal({ nativeId: 'JDOE', email: 'Jane@Example.com ' });
  const role = makeEntitlement({ name: 'AP Payment Release' });

  it('is compliant when the termination date is today (grace 1 day not yet over)', () => {
    const c = contextFor({ principals: [account], people: [leaver(daysAgo(0))] });
    expect(userTerminatedAccess(account, c)).toEqual([]);
  });

  it('fires when the termination date was yesterday: date + 1 day of grace is the as-of', () => {
    const c = contextFor(
      {
        principals: [account],
        entitlements: [role],
        grants: [makeGrant(account, role)],
        people: [leaver(daysAgo(1))],
      },
      { financiallySignificant: ['erp-test'] },
    );
    const [d] = userTerminatedAccess(account, c);
    expect(d?.severity).toBe('critical');
    expect(d?.detail).toMatchObject({
      leaverGraceDays: 1,
      thresholdFrom: 'policy.leaverGraceDays',
      matchedBy: 'email',
    });
    expect(d?.sources).toEqual(['erp-test', 'hr-test']);
    expect(d?.subject.identity).toBe('person:employee:E1');
    expect(d?.evidence.map((e) => e.text).join('\n')).toMatch(
      /HR record people\.csv:\d+ .*Terminated.*\n.*\n.*AP Payment Release/,
    );
  });

  it('is high, not critical, off financially significant sources; one millisecond short of the deadline is compliant', () => {
    const c = contextFor({ principals: [account], people: [leaver(daysAgo(1, -1))] });
    expect(userTerminatedAccess(account, c)).toEqual([]);
    const c2 = contextFor({ principals: [account], people: [leaver(daysAgo(1))] });
    expect(userTerminatedAccess(account, c2)[0]?.severity).toBe('high');
  });

  it('uses the source grace when the source sets one', () => {
    const c = contextFor(
      { principals: [account], people: [leaver(daysAgo(2))] },
      { sourcePolicy: { 'erp-test': { leaverGraceDays: 3 } } },
    );
    expect(userTerminatedAccess(account, c)).toEqual([]);
    const c2 = contextFor(
      { principals: [account], people: [leaver(daysAgo(3))] },
      { sourcePolicy: { 'erp-test': { leaverGraceDays: 3 } } },
    );
    expect(userTerminatedAccess(account, c2)[0]?.detail.thresholdFrom).toBe(
      'sources.erp-test.policy.leaverGraceDays',
    );
  });

  it('judges a terminated person without a date as of the run, and ignores active people and disabled accounts', () => {
    expect(
      userTerminatedAccess(account, contextFor({ principals: [account], people: [leaver(undefined)] })),
    ).toHaveLength(1);
    expect(
      userTerminatedAccess(
        account,
        contextFor({ principals: [account], people: [leaver(daysAgo(30), 'active')] }),
      ),
    ).toEqual([]);
    const disabled = makePrincipal({ nativeId: 'JD2', email: 'jane@example.com', status: 'disabled' });
    expect(
      userTerminatedAccess(disabled, contextFor({ principals: [disabled], people: [leaver(daysAgo(30))] })),
    ).toEqual([]);
  });

  it('without an HR source, an Entra user that is disabled makes the person a leaver as of the run', () => {
    const entra = makePrincipal({
      system: 'entra',
      nativeId: 'u1',
      email: 'jane@example.com',
      status: 'disabled',
    });
    const c = contextFor({ principals: [entra, account] });
    const [d] = userTerminatedAccess(account, c);
    expect(d?.detail).toMatchObject({ matchedBy: 'entra', terminationDate: null });
    expect(d?.sources).toEqual(['entra-test', 'erp-test']);
    const enabled = makePrincipal({ system: 'entra', nativeId: 'u2', email: 'bob@example.com' });
    const bob = makePrincipal({ nativeId: 'BOB', email: 'bob@example.com' });
    expect(userTerminatedAccess(bob, contextFor({ principals: [enabled, bob] }))).toEqual([]);
  });
});
