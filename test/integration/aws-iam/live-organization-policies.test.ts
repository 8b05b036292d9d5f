import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSource } from '../../../core/collect-driver';
import type { QueryRecord } from '../../../core/snapshot';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { OrgTree } from '../../support/aws-query-server/organizations-imitation';
import {
  collectAll,
  MemoryStaging,
  NOW,
  parseSnapshot,
  quietLogger,
} from '../../unit/connectors/shared/memory-staging';
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

  it('reads each policy once per run: a second account of the run takes them from the run cache, the next run reads again', async () => {
    // Arrange: one connector (one process) collecting two sources of run A, then one of run B
    const { connector } = liveConnector(aws);
    const pay = liveSource(aws, {
      id: 'aws-pay',
      accountId: ACCOUNT,
      roleArn: ROLE,
      organizationPolicies: true,
    });
    const pay2 = { ...pay, id: 'aws-pay-again' };
    const collect = async (run: string, source: typeof pay) => {
      const staging = new MemoryStaging();
      const key = `${run}/${source.id}`;
      const outcome = await collectSource({ connector, source, key, staging, now: NOW, logger: quietLogger });
      expect(outcome.status).toBe('complete');
      return parseSnapshot(staging.finals.get(key) as string);
    };
    const made = (snap: { header: { queries: QueryRecord[] } }, op: string) =>
      snap.header.queries
        .filter((q) => q.operation === op && !q.params?.from)
        .reduce((n, q) => n + q.calls, 0);
    const cached = (snap: { header: { queries: QueryRecord[] } }, op: string) =>
      snap.header.queries.find((q) => q.operation === op && q.params?.from === 'run-cache')?.records ?? 0;

    // Act
    const first = await collect('run-a', pay);
    const second = await collect('run-a', pay2);
    const nextRun = await collect('run-b', pay);

    // Assert: the same levels each time; Organizations asked once per run
    for (const snap of [second, nextRun]) {
      expect(snap.header.evaluation?.serviceControlLevels).toEqual(
        first.header.evaluation?.serviceControlLevels,
      );
    }
    expect(made(first, 'organizations:DescribePolicy')).toBe(3);
    expect(made(first, 'organizations:ListParents')).toBe(3);
    expect(made(second, 'organizations:DescribePolicy')).toBe(0);
    expect(made(second, 'organizations:ListTargetsForPolicy')).toBe(0);
    expect(made(second, 'organizations:ListParents')).toBe(0);
    expect(made(second, 'organizations:DescribeOrganization')).toBe(0);
    expect(cached(second, 'organizations:DescribePolicy')).toBe(3);
    expect(cached(second, 'organizations:ListParents')).toBe(3);
    expect(made(nextRun, 'organizations:DescribePolicy')).toBe(3);
    expect(second.header.calls).toBe(second.header.queries.reduce((n, q) => n + q.calls, 0));
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
