/**
 * The live connector against IAM's quirks, through the real SDK: short pages that are still
 * truncated, throttling, and a credential report that is absent, in progress, expired or old.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { collectSource } from '../../../core/collect-driver';
import { silentLogger } from '../../../core/connector';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { ImitationAccount } from '../../support/aws-query-server/iam-imitation';
import {
  entityCount,
  liveConnector,
  liveSource,
  MemoryStaging,
  now,
  readAuthorization,
  readFixture,
  reportOfAccount,
  splitSnapshot,
} from './live-harness';

const ACCOUNT = '012345678901';
const small = readAuthorization('cloudsplaining-test-authz-details.json');
const REPORT = reportOfAccount('credential-report-b.csv', ACCOUNT);

function account(overrides: Partial<ImitationAccount> = {}): ImitationAccount {
  return {
    id: ACCOUNT,
    authorization: small,
    credentialReport: { csv: REPORT, generatedTime: '2026-10-01T00:00:05Z' },
    ...overrides,
  };
}

async function collect(aws: AwsImitation) {
  const { connector, sleeps, backoffs } = liveConnector(aws);
  const staging = new MemoryStaging();
  const outcome = await collectSource({
    connector,
    source: liveSource(aws, { id: 'aws-acct' }),
    key: 'run/aws-acct',
    staging,
    now,
    logger: silentLogger,
  });
  const text = staging.finals.get('run/aws-acct');
  return { outcome, sleeps, backoffs, snapshot: text ? splitSnapshot(text) : undefined };
}

type Query = {
  operation: string;
  params?: Record<string, string>;
  calls: number;
  pages: number;
  records: number;
};
const queryOf = (header: Record<string, unknown> | undefined, operation: string, filter?: string) =>
  ((header?.queries ?? []) as Query[]).find(
    (q) => q.operation === operation && (!filter || q.params?.Filter === filter),
  );

describe('aws-iam live paging', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('follows IsTruncated through pages of one item although it asked for 1000', async () => {
    // Arrange
    aws = await startAwsImitation({ accounts: [account()], pageSize: 1 });
    const e = entityCount(small);

    // Act
    const { outcome, snapshot } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('complete');
    const pages = aws.requests.filter(
      (r) => r.operation === 'GetAccountAuthorizationDetails' && !r.params.includes('AWSManagedPolicy'),
    );
    expect(pages).toHaveLength(e);
    expect(pages.every((r) => r.params.includes('MaxItems=1000'))).toBe(true);
    expect(
      queryOf(snapshot?.header, 'iam:GetAccountAuthorizationDetails', 'Group,User,Role,LocalManagedPolicy'),
    ).toMatchObject({
      calls: e,
      pages: e,
      records: e,
    });
    expect(snapshot?.header.counts).toMatchObject({ principals: 7 }); // with the root-user principal from the credential report
  });

  it('does not stop on a truncated page that carries no items at all', async () => {
    // Arrange: every third page is empty but truncated.
    aws = await startAwsImitation({ accounts: [account()], pageSize: (n) => (n % 3 === 1 ? 0 : 2) });

    // Act
    const { outcome, snapshot } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('complete');
    expect(
      queryOf(snapshot?.header, 'iam:GetAccountAuthorizationDetails', 'Group,User,Role,LocalManagedPolicy')
        ?.records,
    ).toBe(entityCount(small));
    expect(snapshot?.header.counts).toMatchObject({ principals: 7 }); // with the root-user principal from the credential report
  });

  it('backs off on Throttling and counts every attempt as a call', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [account()],
      pageSize: 4,
      throttle: { GetAccountAuthorizationDetails: 3, ListPolicies: 1, GetCredentialReport: 1 },
    });

    // Act
    const { outcome, snapshot, backoffs } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('complete');
    expect(backoffs).toHaveLength(5);
    const authz = queryOf(
      snapshot?.header,
      'iam:GetAccountAuthorizationDetails',
      'Group,User,Role,LocalManagedPolicy',
    );
    expect(authz).toMatchObject({ pages: 3 });
    expect(authz?.calls).toBe(3 + 3);
    expect(queryOf(snapshot?.header, 'iam:ListPolicies')?.calls).toBe(2);
    expect(queryOf(snapshot?.header, 'iam:GetCredentialReport')?.calls).toBe(2);
  });

  it('fails the source naming operation and page when throttling outlasts the retries', async () => {
    // Arrange: once the first page is served, every later request is throttled.
    aws = await startAwsImitation({ accounts: [account()], pageSize: 4 });
    const iam = aws.iam;
    iam.options.pageSize = (served) => {
      if (served === 0) iam.throttleNext('GetAccountAuthorizationDetails', 100);
      return 4;
    };

    // Act
    const { outcome, backoffs } = await collect(aws);

    // Assert
    expect(outcome).toMatchObject({
      status: 'failed',
      error: 'iam:GetAccountAuthorizationDetails page 2: Throttling: Rate exceeded',
    });
    expect(backoffs).toHaveLength(7);
  });
});

describe('aws-iam live credential report', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('generates again on ReportNotPresent and polls ReportInProgress with growing waits', async () => {
    // Arrange: the status codes the recorded real answers carry.
    const inProgress = JSON.parse(readFixture('custodian-credential-report-in-progress.json'));
    const notPresent = JSON.parse(readFixture('custodian-credential-report-not-present.json'));
    aws = await startAwsImitation({
      accounts: [account({ reportErrors: ['ReportNotPresent', 'ReportInProgress', 'ReportInProgress'] })],
    });

    // Act
    const { outcome, snapshot, sleeps } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('complete');
    const answers = aws.requests.filter((r) => r.operation === 'GetCredentialReport').map((r) => r.status);
    expect(answers).toEqual([notPresent.status_code, inProgress.status_code, inProgress.status_code, 200]);
    expect(aws.requests.filter((r) => r.operation === 'GenerateCredentialReport')).toHaveLength(2);
    expect(sleeps).toEqual([1000, 2000]);
    expect(queryOf(snapshot?.header, 'iam:GetCredentialReport')).toMatchObject({
      params: { GeneratedTime: '2026-10-01T00:00:05.000Z' },
      calls: 4,
      pages: 1,
    });
    expect(queryOf(snapshot?.header, 'iam:GenerateCredentialReport')?.calls).toBe(2);
  });

  it('generates again on ReportExpired and warns with the age of a report older than the run', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [
        account({
          reportErrors: ['ReportExpired'],
          credentialReport: { csv: REPORT, generatedTime: '2026-09-30T21:30:00Z' },
        }),
      ],
    });

    // Act
    const { outcome, snapshot } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('complete');
    expect(aws.requests.filter((r) => r.operation === 'GenerateCredentialReport')).toHaveLength(2);
    expect(snapshot?.header.warnings).toContain(
      'credential report generated at 2026-09-30T21:30:00.000Z, 2 h 30 min before the collection started: activity since then is not in it',
    );
  });

  it('fails the source when the report stays in progress', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [account({ reportErrors: Array(40).fill('ReportInProgress') })],
    });

    // Act
    const { outcome, sleeps } = await collect(aws);

    // Assert
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toMatch(
      /^iam:GetCredentialReport page 16: the credential report was still in progress after 15 polls$/,
    );
    expect(Math.max(...sleeps)).toBe(8000);
  });

  it('refuses ambient credentials of another account than the configured one', async () => {
    // Arrange
    aws = await startAwsImitation({ accounts: [account()] });
    const { connector } = liveConnector(aws);

    // Act
    const outcome = await collectSource({
      connector,
      source: liveSource(aws, { id: 'aws-acct', accountId: '999999999999' }),
      key: 'k',
      staging: new MemoryStaging(),
      now,
      logger: silentLogger,
    });

    // Assert
    expect(outcome).toMatchObject({
      status: 'failed',
      error: `sts:GetCallerIdentity: the ambient credentials belong to account ${ACCOUNT}, not 999999999999`,
    });
  });

  it('fails the source naming both accounts when IAM serves a credential report of another account', async () => {
    // Arrange: the report as exported by account 619193117841, served for 012345678901
    aws = await startAwsImitation({
      accounts: [
        account({
          credentialReport: {
            csv: readFixture('credential-report-b.csv'),
            generatedTime: '2026-10-01T00:00:05Z',
          },
        }),
      ],
    });

    // Act
    const { outcome, snapshot } = await collect(aws);

    // Assert: nothing judged by another account's activity
    expect(outcome.status).toBe('failed');
    expect(outcome).toMatchObject({
      error: expect.stringContaining(`credential report is of AWS account 619193117841`),
    });
    expect(outcome).toMatchObject({ error: expect.stringContaining(`account ${ACCOUNT}`) });
    expect(snapshot).toBeUndefined();
  });
});
