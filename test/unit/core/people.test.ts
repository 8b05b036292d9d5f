import { describe, expect, it } from 'vitest';
import { evaluateRules } from '../../../core/rules';
import {
  buildInventory,
  makeNhi,
  makePerson,
  makePolicyConfig,
  makePrincipal,
} from '../../support/factories';

const AS_OF = new Date('2026-10-01T00:00:00Z');

describe('people directory and identities (HR as the authority)', () => {
  it('matches by employee id first, even when the account carries a stale email', () => {
    // Arrange: Jane married and changed address; the ERP account still has the old one, which HR
    // now lists as Bob's (he was given the freed address).
    const jane = makePerson({
      employeeId: 'E1',
      email: 'jane.roe@example.com',
      otherEmails: ['jane.doe@example.com'],
    });
    const bob = makePerson({ employeeId: 'E2', email: 'jdoe@example.com' });
    const erp = makePrincipal({ nativeId: 'JDOE', employeeId: 'E1', email: 'jdoe@example.com' });
    const entra = makePrincipal({ system: 'entra', nativeId: 'u1', email: 'jane.roe@example.com' });
    // Act
    const inv = buildInventory({ principals: [erp, entra], people: [jane, bob] });
    // Assert
    expect(inv.directory.matchOf(erp.uid)).toMatchObject({ by: 'employee-id', person: { employeeId: 'E1' } });
    expect(inv.directory.matchOf(entra.uid)).toMatchObject({ by: 'email', person: { employeeId: 'E1' } });
    expect(inv.identityOf(erp.uid)?.id).toBe('person:employee:E1');
    expect(inv.identityOf(entra.uid)).toBe(inv.identityOf(erp.uid));
    expect(inv.identityOf(erp.uid)?.name).toBe(jane.name);
  });

  it('matches other_emails after the primary email', () => {
    const jane = makePerson({
      employeeId: 'E1',
      email: 'jane.roe@example.com',
      otherEmails: ['jane.doe@example.com'],
    });
    const sf = makePrincipal({ system: 'salesforce', nativeId: '005A', email: 'Jane.Doe@example.com' });
    const inv = buildInventory({ principals: [sf], people: [jane] });
    expect(inv.directory.matchOf(sf.uid)).toMatchObject({ by: 'other-email', value: 'jane.doe@example.com' });
  });

  it('lets a links file override both: to a person by email or employee id, or kept apart with none', () => {
    const jane = makePerson({ employeeId: 'E1', email: 'jane@example.com' });
    const bob = makePerson({ employeeId: 'E2', email: 'bob@example.com' });
    const shortName = makePrincipal({ system: 'aws', nativeId: 'arn:aws:iam::123456789012:user/jroe' });
    const wrongId = makePrincipal({ nativeId: 'BOB', employeeId: 'E1', email: 'bob@example.com' });
    const mailbox = makePrincipal({ nativeId: 'AP', email: 'jane@example.com' });
    const inv = buildInventory({
      principals: [shortName, wrongId, mailbox],
      people: [jane, bob],
      links: [
        { principal: shortName.uid, email: 'JANE@example.com', origin: 'links.csv:2' },
        { principal: wrongId.uid, employeeId: 'E2', origin: 'links.csv:3' },
        { principal: mailbox.uid, none: true, origin: 'links.csv:4' },
      ],
    });
    expect(inv.directory.matchOf(shortName.uid)).toMatchObject({
      by: 'link',
      value: 'links.csv:2',
      person: { employeeId: 'E1' },
    });
    expect(inv.directory.matchOf(wrongId.uid)?.person.employeeId).toBe('E2');
    expect(inv.directory.matchOf(mailbox.uid)).toBeUndefined();
    expect(inv.identityOf(mailbox.uid)?.id).toBe(`principal:${mailbox.uid}`);
  });

  it('lists links it does not apply with their line: an account in no source, a person HR does not have', () => {
    const jane = makePerson({ employeeId: 'E1', email: 'jane@example.com' });
    const erp = makePrincipal({ nativeId: 'JR' });
    const inv = buildInventory({
      principals: [erp],
      people: [jane],
      links: [
        {
          principal: 'aws:999999999999:arn:aws:iam::999999999999:user/gone',
          employeeId: 'E1',
          origin: 'links.csv:10',
        },
        { principal: erp.uid, employeeId: 'E7', origin: 'links.csv:2' },
      ],
    });
    expect(inv.directory.unusedLinks).toEqual([
      {
        origin: 'links.csv:2',
        reason: 'person',
        text: 'links.csv:2: employee id E7 is not in the HR records: the link is not applied',
      },
      {
        origin: 'links.csv:10',
        reason: 'principal',
        text: 'links.csv:10: principal aws:999999999999:arn:aws:iam::999999999999:user/gone is in no source of this run: the link is not applied',
      },
    ]);
    expect(inv.directory.matchOf(erp.uid)).toBeUndefined();
  });

  it('without HR, dates an Entra leaver at the latest deletedDateTime only when every Entra account is deleted', () => {
    const entra = (id: string, tags: Record<string, string>) =>
      makePrincipal({ system: 'entra', nativeId: id, email: 'pat@example.com', status: 'disabled', tags });
    const erp = makePrincipal({ nativeId: 'PAT', email: 'pat@example.com' });
    const deleted = (at: string) => ({ 'entra:deletedDateTime': at });
    const both = buildInventory({
      principals: [
        entra('u1', deleted('2026-09-20T10:00:00.000Z')),
        entra('u2', deleted('2026-09-22T10:00:00.000Z')),
        erp,
      ],
    });
    expect(both.directory.authority).toBe('entra');
    expect(both.directory.matchOf(erp.uid)?.person).toMatchObject({
      status: 'terminated',
      terminationDate: '2026-09-22T10:00:00.000Z',
    });
    const oneOnlyDisabled = buildInventory({
      principals: [entra('u1', deleted('2026-09-20T10:00:00.000Z')), entra('u2', {}), erp],
    });
    const person = oneOnlyDisabled.directory.matchOf(erp.uid)?.person;
    expect(person?.status).toBe('terminated');
    expect(person?.terminationDate).toBeUndefined(); // a disabled account has no date: as of the run
  });

  it('never merges an NHI into its owner, and raises NHI-ORPHANED when the owner is a leaver', () => {
    const owner = makePerson({
      employeeId: 'E9',
      email: 'owner@example.com',
      status: 'terminated',
      statusText: 'Terminated',
      terminationDate: '2026-09-01T00:00:00.000Z',
    });
    const ownerAccount = makePrincipal({ system: 'entra', nativeId: 'u9', email: 'owner@example.com' });
    const svc = makeNhi({ nativeId: 'SVC', email: 'owner@example.com', owners: ['owner@example.com'] });
    const inv = buildInventory({ principals: [ownerAccount, svc], people: [owner] });
    expect(inv.directory.matchOf(svc.uid)).toBeUndefined();
    expect(inv.identityOf(svc.uid)?.id).toBe(`principal:${svc.uid}`);
    const drafts = evaluateRules(inv, {
      asOf: AS_OF,
      policy: makePolicyConfig(),
      sod: undefined,
      financiallySignificant: () => false,
    });
    const orphaned = drafts.filter((d) => d.rule === 'NHI-ORPHANED');
    expect(orphaned.map((d) => d.key)).toEqual([svc.uid]);
    expect(orphaned[0]?.evidence[0]?.text).toMatch(/terminated in HR/);
    expect(drafts.filter((d) => d.rule === 'USER-TERMINATED-ACCESS').map((d) => d.key)).toEqual([
      ownerAccount.uid,
    ]);
  });

  it('treats an email carried by accounts of two people as ambiguous: no merge, IDENTITY-AMBIGUOUS names both', () => {
    const a = makePerson({ employeeId: 'E1', email: 'ann@example.com', name: 'Ann' });
    const b = makePerson({ employeeId: 'E2', email: 'ben@example.com', name: 'Ben' });
    const annErp = makePrincipal({ nativeId: 'ANN', employeeId: 'E1', email: 'ap-shared@example.com' });
    const benErp = makePrincipal({ nativeId: 'BEN', employeeId: 'E2', email: 'ap-shared@example.com' });
    const mailbox = makePrincipal({ system: 'salesforce', nativeId: '005X', email: 'AP-shared@example.com' });
    const inv = buildInventory({ principals: [annErp, benErp, mailbox], people: [a, b] });
    expect(inv.identityOf(annErp.uid)?.id).toBe('person:employee:E1');
    expect(inv.identityOf(benErp.uid)?.id).toBe('person:employee:E2');
    expect(inv.directory.matchOf(mailbox.uid)).toBeUndefined();
    expect(inv.identityOf(mailbox.uid)?.id).toBe(`principal:${mailbox.uid}`);
    const drafts = evaluateRules(inv, {
      asOf: AS_OF,
      policy: makePolicyConfig(),
      sod: undefined,
      financiallySignificant: () => true,
    });
    const [amb] = drafts.filter((d) => d.rule === 'IDENTITY-AMBIGUOUS');
    expect(amb?.title).toBe('Email ap-shared@example.com leads to 2 people: Ann and Ben');
    expect(amb?.detail.unattributed).toEqual([mailbox.uid]);
    expect(drafts.filter((d) => d.rule === 'USER-NO-HR-RECORD')).toEqual([]);
  });

  it('resolves nothing when the HR collection failed, and raises no USER-NO-HR-RECORD', () => {
    const jane = makePrincipal({ nativeId: 'JANE', email: 'jane@example.com' });
    const inv = buildInventory({ principals: [jane], hr: 'failed' });
    expect(inv.directory.authority).toBe('hr');
    expect(inv.directory.hr).toEqual({ configured: ['hr-test'], complete: false, notComplete: ['hr-test'] });
    expect(inv.directory.matchOf(jane.uid)).toBeUndefined();
    const drafts = evaluateRules(inv, {
      asOf: AS_OF,
      policy: makePolicyConfig(),
      sod: undefined,
      financiallySignificant: () => true,
    });
    expect(drafts.filter((d) => d.rule.startsWith('USER-NO-HR') || d.rule.startsWith('USER-TERM'))).toEqual(
      [],
    );
  });
});
