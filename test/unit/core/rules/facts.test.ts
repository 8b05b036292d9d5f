/**
 * factsHoldIn for the rules about people's credentials and MFA: fixed facts must read as gone
 * (the lifecycle may then record `remediated`), unknown ones as unknown, never as still holding.
 */
import { describe, expect, it } from 'vitest';
import type { Finding, FindingDraft } from '../../../../core/findings/model';
import type { Principal } from '../../../../core/model';
import { awsConsoleNoMfa } from '../../../../core/rules/aws-console-no-mfa';
import { MFA_TAG } from '../../../../core/rules/context';
import { credStale } from '../../../../core/rules/cred-stale';
import { credUnused } from '../../../../core/rules/cred-unused';
import { factsHoldIn } from '../../../../core/rules/facts';
import { makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

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
