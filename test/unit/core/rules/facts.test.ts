/**
 * factsHoldIn for the rules about people's credentials and MFA: fixed facts must read as gone
 * (the lifecycle may then record `remediated`), unknown ones as unknown, never as still holding.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, FindingDraft } from '../../../../core/findings/model';
import type { Person, Principal } from '../../../../core/model';
import { awsConsoleNoMfa } from '../../../../core/rules/aws-console-no-mfa';
import { awsRootRecentUse } from '../../../../core/rules/aws-root-recent-use';
import { MFA_TAG } from '../../../../core/rules/context';
import { credStale } from '../../../../core/rules/cred-stale';
import { credUnused } from '../../../../core/rules/cred-unused';
import { factsHoldIn } from '../../../../core/rules/facts';
import { identityAmbiguous } from '../../../../core/rules/identity-ambiguous';
import { userActiveAfterTermination } from '../../../../core/rules/user-active-after-termination';
import { userNoHrRecord } from '../../../../core/rules/user-no-hr-record';
import { userTerminatedAccess } from '../../../../core/rules/user-terminated-access';
import { makePerson, makePrincipal } from '../../../support/factories';
import { AS_OF, contextFor, DAY, daysAgo } from './rule-harness';

/** factsHoldIn reads only the rule, subject, detail and evidence a draft already has. */
const asFinding = (d: FindingDraft | undefined) => d as unknown as Finding;
const holdIn = (p: Principal, f: Finding) => factsHoldIn(contextFor({ principals: [p] }).inv)(f);

describe('factsHoldIn for credential and MFA rules', () => {
  const key = { id: 'AKIAOLDKEY', type: 'access-key' as const, active: true, createdAt: daysAgo(400) };

  it('CRED-STALE: the same key holds; a rotated (new id) or deactivated key is gone', () => {
    // Arrange
    const p = makePrincipal({ system: 'aws', credentials: [key] });
    const [draft] = credStale(p, contextFor({ principals: [p] }));
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdIn(p, finding)).toBe(true);
    const rotated = { ...p, credentials: [{ ...key, id: 'AKIANEWKEY', createdAt: daysAgo(1) }] };
    expect(holdIn(rotated, finding)).toBe(false);
    expect(holdIn({ ...p, credentials: [{ ...key, active: false }] }, finding)).toBe(false);
  });

  it('CRED-UNUSED: a key used since the finding no longer holds', () => {
    // Arrange
    const p = makePrincipal({ system: 'aws', credentials: [key] });
    const [draft] = credUnused(p, contextFor({ principals: [p] }));
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdIn(p, finding)).toBe(true);
    expect(holdIn({ ...p, credentials: [{ ...key, lastUsedAt: daysAgo(2) }] }, finding)).toBe(false);
  });

  it('AWS-CONSOLE-NO-MFA: MFA on is gone, an unknown MFA state is unknown, MFA still off holds', () => {
    // Arrange
    const password = { id: 'password', type: 'password' as const, active: true, createdAt: daysAgo(30) };
    const p = makePrincipal({ system: 'aws', credentials: [password], tags: { [MFA_TAG]: 'false' } });
    const [draft] = awsConsoleNoMfa(p, contextFor({ principals: [p] }));
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdIn(p, finding)).toBe(true);
    expect(holdIn({ ...p, tags: { [MFA_TAG]: 'true' } }, finding)).toBe(false);
    expect(holdIn({ ...p, tags: {} }, finding)).toBeUndefined();
    expect(holdIn({ ...p, credentials: [{ ...password, active: false }] }, finding)).toBe(false);
  });
});

describe('factsHoldIn for the people, root-use and ambiguity rules', () => {
  type Records = Parameters<typeof contextFor>[0];
  const holdWith = (records: Records, f: Finding, ...asOf: [Date?]) =>
    factsHoldIn(contextFor(records).inv, asOf.length === 0 ? AS_OF : asOf[0])(f);
  const leaver = (over: Partial<Person> = {}) =>
    makePerson({
      employeeId: 'E1',
      status: 'terminated',
      statusText: 'Terminated',
      terminationDate: daysAgo(10),
      ...over,
    });

  it('USER-TERMINATED-ACCESS: holds while HR says they left; a rehire is gone; an unmatched record is unknown', () => {
    // Arrange
    const account = makePrincipal({ nativeId: 'JDOE', employeeId: 'E1' });
    const [draft] = userTerminatedAccess(account, contextFor({ principals: [account], people: [leaver()] }));
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdWith({ principals: [account], people: [leaver()] }, finding)).toBe(true);
    const rehired = leaver({ status: 'active', statusText: 'Active' });
    expect(holdWith({ principals: [account], people: [rehired] }, finding)).toBe(false);
    expect(holdWith({ principals: [account], people: [] }, finding)).toBeUndefined();
    expect(holdWith({ principals: [{ ...account, status: 'disabled' }], people: [leaver()] }, finding)).toBe(
      false,
    );
  });

  it('USER-ACTIVE-AFTER-TERMINATION: disabling or deleting the account does not undo the use', () => {
    // Arrange
    const account = makePrincipal({
      nativeId: 'U7',
      employeeId: 'E1',
      lastActivity: { at: daysAgo(2), source: 'last_login_at' },
    });
    const [draft] = userActiveAfterTermination(
      account,
      contextFor({ principals: [account], people: [leaver()] }),
    );
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    const disabled = { ...account, status: 'disabled' as const };
    expect(holdWith({ principals: [disabled], people: [leaver()] }, finding)).toBe(true);
    expect(holdWith({ principals: [], people: [leaver()] }, finding)).toBeUndefined();
    // HR corrected: not a leaver, or a leaving date that moved.
    const rehired = leaver({ status: 'active', statusText: 'Active' });
    expect(holdWith({ principals: [account], people: [rehired] }, finding)).toBe(false);
    expect(
      holdWith({ principals: [account], people: [leaver({ terminationDate: daysAgo(1) })] }, finding),
    ).toBe(false);
  });

  it('USER-NO-HR-RECORD: an HR record that now matches is gone; still unmatched holds', () => {
    // Arrange
    const account = makePrincipal({ nativeId: 'JANE', email: 'jane@example.com' });
    const other = makePerson({ employeeId: 'E9', email: 'someone@example.com' });
    const [draft] = userNoHrRecord(
      account,
      contextFor({ principals: [account], people: [other] }, { financiallySignificant: ['erp-test'] }),
    );
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdWith({ principals: [account], people: [other] }, finding)).toBe(true);
    const jane = makePerson({ employeeId: 'E2', email: 'jane@example.com' });
    expect(holdWith({ principals: [account], people: [other, jane] }, finding)).toBe(false);
  });

  it('AWS-ROOT-RECENT-USE: not used within the recorded window of the as-of is gone; without an as-of unknown', () => {
    // Arrange
    const root = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:root',
      type: 'root-user',
      credentials: [{ id: 'password', type: 'password', active: true, lastUsedAt: daysAgo(3) }],
    });
    const [draft] = awsRootRecentUse(root, contextFor({ principals: [root] }));
    const finding = asFinding(draft);
    const days = finding?.detail.rootUseDays as number;

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdWith({ principals: [root] }, finding)).toBe(true);
    const later = new Date(AS_OF.getTime() + (days + 1) * DAY);
    expect(holdWith({ principals: [root] }, finding, later)).toBe(false);
    expect(holdWith({ principals: [root] }, finding, undefined)).toBeUndefined();
  });

  it('IDENTITY-AMBIGUOUS: holds while the email leads to two people, gone once it leads to one', () => {
    // Arrange
    const a = makePerson({ employeeId: 'E1', email: 'ann@example.com', name: 'Ann' });
    const b = makePerson({ employeeId: 'E2', email: 'ben@example.com', name: 'Ben' });
    const annErp = makePrincipal({ nativeId: 'ANN', employeeId: 'E1', email: 'ap-shared@example.com' });
    const benErp = makePrincipal({ nativeId: 'BEN', employeeId: 'E2', email: 'ap-shared@example.com' });
    const records = { principals: [annErp, benErp], people: [a, b] };
    const c = contextFor(records);
    const [draft] = identityAmbiguous(c.inv, c);
    const finding = asFinding(draft);

    // Act / Assert
    expect(draft).toBeDefined();
    expect(holdWith(records, finding)).toBe(true);
    // Ben's account no longer carries the shared mailbox: the email leads to Ann only.
    const benOwn = { ...benErp, email: 'ben@example.com' };
    expect(holdWith({ principals: [annErp, benOwn], people: [a, b] }, finding)).toBe(false);
  });
});
