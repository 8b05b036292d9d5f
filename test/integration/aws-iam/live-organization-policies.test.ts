import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { OrgTree } from '../../support/aws-query-server/organizations-imitation';
import { collectAll } from '../../unit/connectors/shared/memory-staging';
import { liveConnector, liveSource, readAuthorization, reportOfAccount } from './live-harness';

const small = readAuthorization('cloudsplaining-test-authz-details.json');
const ACCOUNT = '012345678901';
const MGMT = '111111111111';
/** The account's own credential report (IAM only reports the calling account's users). */
const report = (account: string) => ({
  csv: reportOfAccount('credential-report-b.csv', account),
  generatedTime: '2026-10-01T00:00:05Z',
});
const ROLE = `arn:aws:iam::${ACCOUNT}:role/AccessProofReader`;
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });

const TREE: OrgTree = {
  managementAccountId: MGMT,
  rootId: 'r-root',
  parents: { [ACCOUNT]: 'ou-pay', 'ou-pay': 'ou-fin', 'ou-fin': 'r-root', [MGMT]: 'r-root' },
  policies: [
    {
      id: 'p-full',
      name: 'FullAWSAccess',
      type: 'SERVICE_CONTROL_POLICY',
      content: doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      targets: ['r-root', 'ou-fin', 'ou-pay', ACCOUNT, MGMT],
    },
    {
      id: 'p-noiam',
      name: 'DenyIam',
      type: 'SERVICE_CONTROL_POLICY',
      content: doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }),
      targets: ['ou-pay'],
    },
    {
      id: 'p-other',
      name: 'Unrelated',
      type: 'SERVICE_CONTROL_POLICY',
      content: doc({ Effect: 'Deny', Action: 'ec2:*', Resource: '*' }),
      targets: ['ou-elsewhere'],
    },
  ],
  rcpsDisabled: true,
};

describe('aws-iam live: Organizations policies', () => {
  let aws: AwsImitation;
  beforeAll(async () => {
    aws = await startAwsImitation({
      callerAccount: MGMT,
      accounts: [
        { id: ACCOUNT, authorization: small, credentialReport: report(ACCOUNT) },
        { id: MGMT, authorization: small, credentialReport: report(MGMT) },
      ],
      organizations: { accounts: [], tree: TREE },
    });
  });
  afterAll(async () => {
    await aws.close();
  });

  it('reads the levels root → OUs → account with ListParents, ListPolicies, DescribePolicy and ListTargetsForPolicy', async () => {
    // Arrange
    const source = liveSource(aws, {
      id: 'aws-pay',
      accountId: ACCOUNT,
      roleArn: ROLE,
      organizationPolicies: true,
    });
    const { connector } = liveConnector(aws);

    // Act
    const snap = await collectAll(connector, source);

    // Assert
    expect(snap.header.evaluation?.policies.SCPs).toBe('evaluated');
    expect(snap.header.evaluation?.policies.RCPs).toBe('none attached');
    expect(snap.header.evaluation?.serviceControlLevels?.map((l) => [l.target, l.policies.length])).toEqual([
      ['r-root', 1],
      ['ou-fin', 1],
      ['ou-pay', 2],
      [ACCOUNT, 1],
    ]);
    const scps = snap.entitlements.filter((e) => e.type === 'service-control-policy').map((e) => e.name);
    expect(scps.sort()).toEqual(['DenyIam', 'FullAWSAccess']);
    const calls = (op: string) => snap.header.queries.find((q) => q.operation === op)?.calls ?? 0;
    expect(calls('organizations:DescribeOrganization')).toBe(1);
    expect(calls('organizations:ListParents')).toBe(3);
    // One policy per page: three SCP pages, and the RCP listing refused (not enabled).
    expect(calls('organizations:ListPolicies')).toBe(4);
    expect(calls('organizations:DescribePolicy')).toBe(3);
    expect(calls('organizations:ListTargetsForPolicy')).toBe(5 + 1 + 1);
  });

  it('exempts the management account', async () => {
    const source = liveSource(aws, { id: 'aws-mgmt', accountId: MGMT, organizationPolicies: true });
    const snap = await collectAll(liveConnector(aws).connector, source);
    expect(snap.header.evaluation?.policies.SCPs).toContain('exempt');
    expect(snap.entitlements.some((e) => e.type === 'service-control-policy')).toBe(false);
  });

  it('says SCPs were not collected when the source does not ask for them', async () => {
    const source = liveSource(aws, { id: 'aws-pay', accountId: ACCOUNT, roleArn: ROLE });
    const snap = await collectAll(liveConnector(aws).connector, source);
    expect(snap.header.evaluation?.policies.SCPs).toContain('not collected');
    expect(snap.header.queries.some((q) => q.operation.startsWith('organizations:'))).toBe(false);
  });
});
