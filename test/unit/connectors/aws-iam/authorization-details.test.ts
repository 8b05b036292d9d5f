import { describe, expect, it } from 'vitest';
import { parseAuthorizationDetails } from '../../../../connectors/aws-iam/authorization-details';
import { toPolicyStatements } from '../../../../connectors/aws-iam/policy-statements';
import { InputError } from '../../../../core/errors';

const DOC = {
  Version: '2012-10-17',
  Statement: { Sid: 'One', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
};

function exportWith(extra: Record<string, unknown>): string {
  return JSON.stringify({
    UserDetailList: [],
    GroupDetailList: [],
    RoleDetailList: [],
    Policies: [],
    ...extra,
  });
}

function errorOf(text: string): InputError {
  try {
    parseAuthorizationDetails(text, 'authz.json');
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('parseAuthorizationDetails', () => {
  it('decodes policy documents given as objects, JSON strings and URL-encoded JSON alike', () => {
    // Arrange
    const inline = (name: string, doc: unknown) => ({ PolicyName: name, PolicyDocument: doc });
    const text = exportWith({
      UserDetailList: [
        {
          UserName: 'u',
          Arn: 'arn:aws:iam::111122223333:user/u',
          UserPolicyList: [
            inline('object', DOC),
            inline('json', JSON.stringify(DOC)),
            inline('encoded', encodeURIComponent(JSON.stringify(DOC))),
          ],
        },
      ],
    });

    // Act
    const authz = parseAuthorizationDetails(text, 'authz.json');

    // Assert
    const docs = authz.UserDetailList[0]?.UserPolicyList.map((p) => p.PolicyDocument);
    expect(docs).toHaveLength(3);
    for (const d of docs ?? []) {
      expect(toPolicyStatements(d)).toEqual([
        { sid: 'One', effect: 'Allow', action: ['s3:GetObject'], resource: ['arn:aws:s3:::b/*'] },
      ]);
    }
  });

  it('normalizes the three date forms of exports and treats missing lists as empty', () => {
    // Arrange
    const text = exportWith({
      RoleDetailList: [
        { RoleName: 'a', Arn: 'arn:aws:iam::111122223333:role/a', CreateDate: '2022-08-07 12:56:48+00:00' },
        {
          RoleName: 'b',
          Arn: 'arn:aws:iam::111122223333:role/b',
          CreateDate: '2022-08-07T12:56:48+00:00',
          RoleLastUsed: { LastUsedDate: '2022-08-07T12:56:48Z', Region: 'us-east-1' },
        },
      ],
    });

    // Act
    const authz = parseAuthorizationDetails(text, 'authz.json');

    // Assert
    expect(authz.RoleDetailList.map((r) => r.CreateDate)).toEqual([
      '2022-08-07T12:56:48.000Z',
      '2022-08-07T12:56:48.000Z',
    ]);
    expect(authz.RoleDetailList[0]?.RoleLastUsed).toEqual({});
    expect(authz.RoleDetailList[1]?.RoleLastUsed.LastUsedDate).toBe('2022-08-07T12:56:48.000Z');
    expect(authz.RoleDetailList[0]?.RolePolicyList).toEqual([]);
  });

  it('normalizes statements: lists, NotAction/NotResource, conditions and principals flagged', () => {
    // Act
    const statements = toPolicyStatements({
      Statement: [
        {
          Effect: 'Deny',
          NotAction: 'iam:*',
          NotResource: ['arn:aws:s3:::x'],
          Condition: { Bool: { x: 'true' } },
        },
        { Effect: 'Allow', Action: ['sts:AssumeRole'], Principal: { AWS: '*' } },
      ],
    });

    // Assert
    expect(statements).toEqual([
      { effect: 'Deny', notAction: ['iam:*'], notResource: ['arn:aws:s3:::x'], hasCondition: true },
      { effect: 'Allow', action: ['sts:AssumeRole'], hasPrincipal: true },
    ]);
  });

  it.each([
    [
      'a bad date',
      exportWith({
        UserDetailList: [{ UserName: 'u', Arn: 'arn:aws:iam::1:user/u', CreateDate: '07/08/2022' }],
      }),
      'UserDetailList[0].CreateDate',
    ],
    [
      'an effect that is neither Allow nor Deny',
      exportWith({
        Policies: [
          {
            PolicyName: 'p',
            Arn: 'arn:aws:iam::1:policy/p',
            PolicyVersionList: [
              { VersionId: 'v1', IsDefaultVersion: true, Document: { Statement: [{ Effect: 'allow' }] } },
            ],
          },
        ],
      }),
      'Policies[0].PolicyVersionList[0].Document.Statement',
    ],
    [
      'a URL-encoded document that is not JSON',
      exportWith({
        GroupDetailList: [
          {
            GroupName: 'g',
            Arn: 'arn:aws:iam::1:group/g',
            GroupPolicyList: [{ PolicyName: 'p', PolicyDocument: '%7Bnope' }],
          },
        ],
      }),
      'GroupDetailList[0].GroupPolicyList[0].PolicyDocument',
    ],
    ['a role without an ARN', exportWith({ RoleDetailList: [{ RoleName: 'r' }] }), 'RoleDetailList[0].Arn'],
  ])('%s → InputError naming the field', (_name, text, field) => {
    // Act
    const err = errorOf(text);

    // Assert
    expect(err.location.file).toBe('authz.json');
    expect(err.location.field).toContain(field);
  });

  it('a syntax error → the line it is on', () => {
    // Act
    const err = errorOf('{\n  "UserDetailList": [\n    {"UserName": "u",,}\n  ]\n}');

    // Assert
    expect(err.location).toMatchObject({ file: 'authz.json', line: 3 });
  });
});
