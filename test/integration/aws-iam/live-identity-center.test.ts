/**
 * IAM Identity Center: SSO users who reach the account through a permission set appear as human
 * principals holding the permission set and, through it, the policies of its provisioned role.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/connector';
import type { Grant, Principal } from '../../../core/model';
import { collectStep } from '../../../core/run/collect';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { IdentityCenterData } from '../../support/aws-query-server/identity-center-imitation';
import {
  liveConnector,
  liveSource,
  MemoryStaging,
  now,
  readAuthorization,
  reportOfAccount,
  splitSnapshot,
} from './live-harness';

const ACCOUNT = '012345678901';
const INSTANCE = 'arn:aws:sso:::instance/ssoins-72231f5ba1a2b3c4';
const STORE = 'd-9067a1b2c3';
const FINANCE = `arn:aws:sso:::permissionSet/ssoins-72231f5ba1a2b3c4/ps-0a1b2c3d4e5f6a7b`;
const AUDITOR = `arn:aws:sso:::permissionSet/ssoins-72231f5ba1a2b3c4/ps-1b2c3d4e5f6a7b8c`;
const SSO_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_FinanceAdmin_0123abcd4567ef89`;

const small = readAuthorization('cloudsplaining-test-authz-details.json');
const withSsoRole = {
  ...small,
  RoleDetailList: [
    ...(small.RoleDetailList ?? []),
    {
      Path: '/aws-reserved/sso.amazonaws.com/eu-west-1/',
      RoleName: 'AWSReservedSSO_FinanceAdmin_0123abcd4567ef89',
      RoleId: 'AROASSOFINANCE0000001',
      Arn: SSO_ROLE,
      CreateDate: '2025-01-10T09:00:00Z',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/AWSSSO_2f3a_DO_NOT_DELETE` },
            Action: ['sts:AssumeRoleWithSAML', 'sts:TagSession'],
            Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
          },
        ],
      },
      RolePolicyList: [
        {
          PolicyName: 'AwsSSOInlinePolicy',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: 'dynamodb:PutItem',
                Resource: 'arn:aws:dynamodb:*:*:table/vendor-master',
              },
            ],
          },
        },
      ],
      AttachedManagedPolicies: [
        { PolicyName: 'AmazonS3ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess' },
      ],
      Tags: [],
      RoleLastUsed: {},
    },
  ],
};

function identityCenter(overrides: Partial<IdentityCenterData> = {}): IdentityCenterData {
  return {
    instanceArn: INSTANCE,
    identityStoreId: STORE,
    pageSize: 1,
    permissionSets: [
      { arn: FINANCE, name: 'FinanceAdmin', accounts: [ACCOUNT] },
      { arn: AUDITOR, name: 'Auditor', accounts: [ACCOUNT] },
    ],
    assignments: [
      { permissionSetArn: FINANCE, accountId: ACCOUNT, type: 'GROUP', id: 'g-finance' },
      { permissionSetArn: FINANCE, accountId: ACCOUNT, type: 'USER', id: 'u-carol' },
      { permissionSetArn: AUDITOR, accountId: ACCOUNT, type: 'USER', id: 'u-alice' },
    ],
    users: [
      { id: 'u-alice', userName: 'alice', email: 'Alice.Berg@halvorsen.example' },
      { id: 'u-bob', userName: 'bob', email: 'bob.lund@halvorsen.example', status: 'DISABLED' },
      { id: 'u-carol', userName: 'carol', email: 'carol.dahl@halvorsen.example' },
    ],
    groups: [{ id: 'g-finance', name: 'Finance', members: ['u-alice', 'u-bob'] }],
    ...overrides,
  };
}

const records = (body: string) => body.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('aws-iam live with IAM Identity Center', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('adds SSO users as humans holding the permission set and its role policies, after the IAM records', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [
        {
          id: ACCOUNT,
          authorization: withSsoRole,
          credentialReport: {
            csv: reportOfAccount('credential-report-b.csv', ACCOUNT),
            generatedTime: '2026-10-01T00:00:05Z',
          },
        },
      ],
      pageSize: 3,
      identityCenter: identityCenter(),
    });
    const endpoints = {
      iam: aws.endpoint,
      sts: aws.endpoint,
      ssoAdmin: aws.endpoint,
      identityStore: aws.endpoint,
    };
    const plain = liveSource(aws, { id: 'plain', endpoints });
    const sso = liveSource(aws, {
      id: 'sso',
      endpoints,
      identityCenter: { instanceArn: INSTANCE, identityStoreId: STORE },
    });
    const { connector } = liveConnector(aws);
    const staging = new MemoryStaging();
    const collect = async (source: typeof sso, key: string) => {
      const out = await collectStep({ connector, source, key, staging, now, logger: silentLogger });
      if (!out.done) throw new Error('paused');
      return out.result;
    };

    // Act
    const without = await collect(plain, 'run/plain');
    const first = await collect(sso, 'run/sso');
    const describeUsersAfterFirst = aws.requests.filter((r) => r.operation === 'DescribeUser').length;
    const second = await collect({ ...sso, id: 'sso-again' }, 'run/sso-again');

    // Assert
    expect([without.status, first.status, second.status]).toEqual(['complete', 'complete', 'complete']);
    const a = splitSnapshot(staging.finals.get('run/plain'));
    const b = splitSnapshot(staging.finals.get('run/sso'));
    // The IAM part is untouched (the same lines, the source id aside); SSO records follow it.
    const iamPart = a.body.replaceAll('"sourceId":"plain"', '"sourceId":"sso"');
    expect(b.body.startsWith(`${iamPart}\n`)).toBe(true);
    const added = records(b.body.slice(iamPart.length + 1));
    const principals = added.flatMap((r) => (r.principal ? [r.principal as Principal] : []));
    // First-appearance order: the Finance group's members, then Carol's direct assignment.
    expect(principals.map((p) => [p.name, p.kind, p.type, p.status, p.email])).toEqual([
      ['alice', 'human', 'sso-user', 'active', 'Alice.Berg@halvorsen.example'],
      ['bob', 'human', 'sso-user', 'disabled', 'bob.lund@halvorsen.example'],
      ['carol', 'human', 'sso-user', 'active', 'carol.dahl@halvorsen.example'],
    ]);
    const uid = (n: string) => `aws:${ACCOUNT}:${n}`;
    const alice = uid(`identitystore/${STORE}/user/u-alice`);
    const group = uid(`identitystore/${STORE}/group/g-finance`);
    const grants = added
      .flatMap((r) => (r.grant ? [r.grant as Grant] : []))
      .filter((g) => g.principal === alice);
    expect(grants).toEqual([
      { principal: alice, entitlement: group, path: [] },
      { principal: alice, entitlement: uid(FINANCE), path: [group] },
      {
        principal: alice,
        entitlement: uid(`${SSO_ROLE}#inline/AwsSSOInlinePolicy`),
        path: [group, uid(FINANCE)],
      },
      {
        principal: alice,
        entitlement: uid('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'),
        path: [group, uid(FINANCE)],
      },
      { principal: alice, entitlement: uid(AUDITOR), path: [] },
    ]);
    // Every policy a grant points at is an entitlement of the snapshot.
    const entitlementUids = new Set(
      records(b.body).flatMap((r) => (r.entitlement ? [(r.entitlement as { uid: string }).uid] : [])),
    );
    for (const g of grants) expect(entitlementUids.has(g.entitlement)).toBe(true);
    expect(b.header.warnings).toContain(
      `permission set Auditor is provisioned to account ${ACCOUNT} but its role AWSReservedSSO_Auditor_* is not in IAM: its policies are unknown`,
    );
    // The second account of the run reads users and groups from the run cache.
    expect(aws.requests.filter((r) => r.operation === 'DescribeUser').length).toBe(describeUsersAfterFirst);
    expect(JSON.stringify(second.queries)).toContain('"from":"run-cache"');
    const tokens = aws.identityCenter?.tokens ?? [];
    expect(tokens.length).toBeGreaterThan(3);
    for (const t of tokens) expect(b.body + JSON.stringify(b.header)).not.toContain(t);
  });

  it('keeps the IAM records but marks the account incomplete when Identity Center cannot be read', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [
        {
          id: ACCOUNT,
          authorization: withSsoRole,
          credentialReport: {
            csv: reportOfAccount('credential-report-b.csv', ACCOUNT),
            generatedTime: '2026-10-01T00:00:05Z',
          },
        },
      ],
      identityCenter: identityCenter(),
    });
    const endpoints = {
      iam: aws.endpoint,
      sts: aws.endpoint,
      ssoAdmin: aws.endpoint,
      identityStore: aws.endpoint,
    };
    const source = liveSource(aws, {
      id: 'sso',
      endpoints,
      identityCenter: { instanceArn: 'arn:aws:sso:::instance/ssoins-wrong', identityStoreId: STORE },
    });
    const { connector } = liveConnector(aws);

    // Act
    const out = await collectStep({
      connector,
      source,
      key: 'k',
      staging: new MemoryStaging(),
      now,
      logger: silentLogger,
    });

    // Assert
    if (!out.done) throw new Error('paused');
    expect(out.result.status).toBe('incomplete');
    // The credential report's root row is a principal (root-user) since issue 12.
    expect(out.result.counts.principals).toBe(8);
    expect(out.result.warnings).toContain(
      'incomplete: IAM Identity Center not read: sso:ListPermissionSetsProvisionedToAccount page 1: ResourceNotFoundException: instance not found',
    );
  });
});
