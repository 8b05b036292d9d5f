import { describe, expect, it } from 'vitest';
import type { RoleDetail } from '../../../../connectors/aws-iam/authorization-details';
import type { CredentialReportRow } from '../../../../connectors/aws-iam/credential-report';
import { overrideKind, roleKind, userKind } from '../../../../connectors/aws-iam/principal-kind';

function role(path: string, principal: Record<string, string | string[]>): RoleDetail {
  return {
    Path: path,
    RoleName: 'r',
    Arn: 'arn:aws:iam::111122223333:role/r',
    AssumeRolePolicyDocument: {
      Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }],
    },
    RolePolicyList: [],
    AttachedManagedPolicies: [],
    Tags: [],
    RoleLastUsed: {},
  };
}

function row(password: boolean, keys: boolean[]): CredentialReportRow {
  return {
    line: 2,
    user: 'u',
    arn: 'arn:aws:iam::111122223333:user/u',
    passwordEnabled: password,
    accessKeys: keys.map((active, i) => ({ slot: (i + 1) as 1 | 2, active })),
    certificates: [],
  };
}

describe('roleKind', () => {
  it.each([
    [
      '/aws-service-role/ssm.amazonaws.com/',
      { Service: 'ssm.amazonaws.com' },
      'service-linked-role',
      'nonhuman',
    ],
    ['/', { Federated: 'arn:aws:iam::111122223333:saml-provider/Okta' }, 'federated-role', 'human'],
    ['/', { Federated: 'cognito-identity.amazonaws.com' }, 'federated-role', 'human'],
    [
      '/',
      { Federated: 'arn:aws:iam::1:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X' },
      'federated-role',
      'nonhuman',
    ],
    ['/', { Service: ['lambda.amazonaws.com'] }, 'iam-role', 'nonhuman'],
    ['/', { AWS: 'arn:aws:iam::444455556666:root' }, 'iam-role', 'nonhuman'],
  ])('path %s trusted by %j → %s, %s', (path, principal, type, kind) => {
    // Act
    const d = roleKind(role(path, principal));

    // Assert
    expect(d).toMatchObject({ type, kind });
  });

  it('ignores Deny statements of the trust policy', () => {
    // Arrange
    const r = role('/', { AWS: '*' });
    r.AssumeRolePolicyDocument?.Statement.push({ Effect: 'Deny', Principal: { Federated: 'x' } });

    // Act / Assert
    expect(roleKind(r).reason).toBe('default:role');
  });
});

describe('userKind', () => {
  it.each([
    [false, [true, false], 'nonhuman', 'credentials:access-key-only'],
    [true, [false, false], 'human', 'credentials:password-only'],
    [true, [false, true], 'human', 'credentials:password-and-access-key'],
    [false, [false, false], 'nonhuman', 'credentials:none'],
  ])('password %s, keys %j → %s (%s)', (password, keys, kind, reason) => {
    // Act / Assert
    expect(userKind(row(password, keys), true)).toEqual({ kind, type: 'iam-user', reason });
  });

  it('without a report, or without a row for the user, says so', () => {
    // Act / Assert
    expect(userKind(undefined, false).reason).toBe('default:no-credential-report');
    expect(userKind(undefined, true).reason).toBe('default:not-in-credential-report');
  });
});

describe('overrideKind', () => {
  const base = { kind: 'nonhuman' as const, type: 'iam-user', reason: 'credentials:access-key-only' };
  const arn = 'arn:aws:iam::111122223333:user/u';
  const uid = `aws:111122223333:${arn}`;

  it('config kinds (by ARN or uid) win over the tag, the tag over the heuristic', () => {
    // Arrange
    const warn = () => {};
    const tags = { 'accessproof:kind': 'human' };

    // Act / Assert
    expect(overrideKind(base, { arn, uid, tags, kinds: {}, warn })).toMatchObject({
      kind: 'human',
      reason: 'tag:accessproof:kind',
    });
    expect(overrideKind(base, { arn, uid, tags, kinds: { [uid]: 'nonhuman' }, warn })).toMatchObject({
      kind: 'nonhuman',
      reason: 'config:kinds',
    });
    expect(overrideKind(base, { arn, uid, tags: {}, kinds: { [arn]: 'human' }, warn }).reason).toBe(
      'config:kinds',
    );
    expect(overrideKind(base, { arn, uid, tags: {}, kinds: {}, warn })).toBe(base);
  });
});
