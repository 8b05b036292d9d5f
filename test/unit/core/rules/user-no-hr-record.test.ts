import { describe, expect, it } from 'vitest';
import { userNoHrRecord } from '../../../../core/rules/user-no-hr-record';
import { makeNhi, makePerson, makePrincipal } from '../../../support/factories';
import { contextFor } from './rule-harness';

describe('USER-NO-HR-RECORD', () => {
  const known = makePerson({ employeeId: 'E1', email: 'jane@example.com' });
  const contractor = makePrincipal({ nativeId: 'EXT1', email: 'ext@partner.example' });
  const fs = { financiallySignificant: ['erp-test'] };

  it('is compliant for an account HR knows by email', () => {
    const jane = makePrincipal({ nativeId: 'JANE', email: 'JANE@example.com' });
    expect(userNoHrRecord(jane, contextFor({ principals: [jane], people: [known] }, fs))).toEqual([]);
  });

  it('fires high for an unknown human on a financially significant source', () => {
    const [d] = userNoHrRecord(contractor, contextFor({ principals: [contractor], people: [known] }, fs));
    expect(d?.severity).toBe('high');
    expect(d?.sources).toEqual(['erp-test', 'hr-test']);
  });

  it('stays quiet elsewhere unless unmatchedHumans is all (then medium)', () => {
    expect(userNoHrRecord(contractor, contextFor({ principals: [contractor], people: [known] }))).toEqual([]);
    const c = contextFor(
      { principals: [contractor], people: [known] },
      { policy: { unmatchedHumans: 'all' } },
    );
    expect(userNoHrRecord(contractor, c)[0]?.severity).toBe('medium');
  });

  it('raises nothing while the HR collection failed or is incomplete, nor without an HR source', () => {
    for (const hr of ['failed', 'incomplete'] as const) {
      const c = contextFor({ principals: [contractor], people: [known], hr }, fs);
      expect(userNoHrRecord(contractor, c), hr).toEqual([]);
    }
    expect(userNoHrRecord(contractor, contextFor({ principals: [contractor] }, fs))).toEqual([]);
  });

  it('skips non-human accounts and accounts a links file keeps apart', () => {
    const svc = makeNhi({ nativeId: 'SVC' });
    expect(userNoHrRecord(svc, contextFor({ principals: [svc], people: [known] }, fs))).toEqual([]);
    const c = contextFor(
      {
        principals: [contractor],
        people: [known],
        links: [{ principal: contractor.uid, none: true, origin: 'links.csv:2' }],
      },
      fs,
    );
    expect(userNoHrRecord(contractor, c)).toEqual([]);
  });
});
