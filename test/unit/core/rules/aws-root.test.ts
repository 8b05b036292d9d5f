import { describe, expect, it } from 'vitest';
import type { Credential } from '../../../../core/model';
import { awsConsoleNoMfa } from '../../../../core/rules/aws-console-no-mfa';
import { awsRootAccessKey } from '../../../../core/rules/aws-root-access-key';
import { awsRootNoMfa } from '../../../../core/rules/aws-root-no-mfa';
import { awsRootRecentUse } from '../../../../core/rules/aws-root-recent-use';
import { makePrincipal } from '../../../support/factories';
import { contextFor, daysAgo } from './rule-harness';

const root = (credentials: Credential[], mfa = 'true') =>
  makePrincipal({
    system: 'aws',
    nativeId: 'arn:aws:iam::123456789012:root',
    name: 'root',
    type: 'root-user',
    credentials,
    tags: { 'accessproof:mfa': mfa },
  });

describe('AWS-ROOT-ACCESS-KEY', () => {
  it('is compliant with no active root key', () => {
    const p = root([{ id: 'access_key_1', type: 'access-key', active: false }]);
    expect(awsRootAccessKey(p, contextFor({ principals: [p] }))).toEqual([]);
  });
  it('fires critical per active root key', () => {
    const p = root([{ id: 'access_key_2', type: 'access-key', active: true, createdAt: daysAgo(400) }]);
    const [d] = awsRootAccessKey(p, contextFor({ principals: [p] }));
    expect(d?.severity).toBe('critical');
    expect(d?.key).toBe(`${p.uid}|access_key_2`);
  });
});

describe('AWS-ROOT-RECENT-USE', () => {
  it('is compliant when the last use is one millisecond more than rootUseDays ago', () => {
    const p = root([{ id: 'password', type: 'password', active: true, lastUsedAt: daysAgo(30, 1) }]);
    expect(awsRootRecentUse(p, contextFor({ principals: [p] }))).toEqual([]);
  });
  it('fires high when the password was used exactly rootUseDays ago', () => {
    const p = root([{ id: 'password', type: 'password', active: true, lastUsedAt: daysAgo(30) }]);
    expect(awsRootRecentUse(p, contextFor({ principals: [p] }))[0]?.severity).toBe('high');
    const c = contextFor({ principals: [p] }, { policy: { rootUseDays: 29 } });
    expect(awsRootRecentUse(p, c)).toEqual([]);
  });
});

describe('AWS-ROOT-NO-MFA', () => {
  it('fires critical only when the report says MFA is off', () => {
    const on = root([]);
    const off = root([], 'false');
    expect(awsRootNoMfa(on, contextFor({ principals: [on] }))).toEqual([]);
    expect(awsRootNoMfa(off, contextFor({ principals: [off] }))[0]?.severity).toBe('critical');
  });
});

describe('AWS-CONSOLE-NO-MFA', () => {
  const user = (password: boolean, mfa: string) =>
    makePrincipal({
      system: 'aws',
      nativeId: `arn:aws:iam::123456789012:user/u-${password}-${mfa}`,
      type: 'iam-user',
      credentials: password ? [{ id: 'password', type: 'password', active: true }] : [],
      tags: { 'accessproof:mfa': mfa },
    });
  it('is compliant with MFA, or without a console password', () => {
    for (const p of [user(true, 'true'), user(false, 'false')]) {
      expect(awsConsoleNoMfa(p, contextFor({ principals: [p] }))).toEqual([]);
    }
  });
  it('fires high for a console password without MFA, and leaves the root user to AWS-ROOT-NO-MFA', () => {
    const p = user(true, 'false');
    expect(awsConsoleNoMfa(p, contextFor({ principals: [p] }))[0]?.severity).toBe('high');
    const r = root([{ id: 'password', type: 'password', active: true }], 'false');
    expect(awsConsoleNoMfa(r, contextFor({ principals: [r] }))).toEqual([]);
  });
});
