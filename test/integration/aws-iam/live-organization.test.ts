/**
 * An Organization: ListAccounts (paged, ACTIVE only) expands one source into one per account;
 * each account is collected through its assumed reader role. A denied role fails that account
 * with the reason while the others complete; each account stays within the call budget; the
 * AWS-managed catalogue is fetched once for the run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planAwsOrganizationSources } from '../../../connectors/aws-iam/live/organization-planner';
import { silentLogger } from '../../../core/connector';
import { collectStep } from '../../../core/run/collect';
import type { SourceResult } from '../../../core/run/types';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import {
  entityCount,
  fastRetries,
  liveConnector,
  liveSource,
  MemoryStaging,
  now,
  readAuthorization,
  reportOfAccount,
} from './live-harness';

const small = readAuthorization('cloudsplaining-test-authz-details.json');
const example = readAuthorization('cloudsplaining-example-authz-details.json');
/** Each account's own credential report (IAM only reports the calling account's users). */
const report = (account: string) => ({
  csv: reportOfAccount('credential-report-b.csv', account),
  generatedTime: '2026-10-01T00:00:05Z',
});
const PAGE = 10;
const EXTERNAL_ID = 'accessproof-org-7f3a';

async function organization(overrides: { denyListAccountsFromPage?: number } = {}) {
  return startAwsImitation({
    callerAccount: '111111111111',
    accounts: [
      { id: '012345678901', authorization: small, credentialReport: report('012345678901') },
      {
        id: '200611803367',
        authorization: example,
        credentialReport: report('200611803367'),
        reportErrors: ['ReportInProgress'],
      },
      { id: '333333333333', authorization: small, credentialReport: report('333333333333') },
    ],
    pageSize: PAGE,
    sts: { deniedAccounts: ['333333333333'], externalId: EXTERNAL_ID },
    organizations: {
      pageSize: 2,
      throttle: 1,
      ...(overrides.denyListAccountsFromPage ? { denyFromPage: overrides.denyListAccountsFromPage } : {}),
      accounts: [
        { id: '333333333333', name: 'sandbox', status: 'ACTIVE' },
        { id: '444444444444', name: 'closed', status: 'SUSPENDED' },
        { id: '200611803367', name: 'prod', status: 'ACTIVE' },
        { id: '555555555555', name: 'closing', status: 'PENDING_CLOSURE' },
        { id: '012345678901', name: 'finance', status: 'ACTIVE' },
      ],
    },
  });
}

type Query = { operation: string; params?: Record<string, string>; calls: number };

describe('aws-iam live across an organization', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('plans one source per active account, fails the denied one with its reason, completes the rest in budget', async () => {
    // Arrange
    aws = await organization();
    const org = liveSource(aws, { id: 'aws-org', organization: true, externalId: EXTERNAL_ID });
    const { connector } = liveConnector(aws);
    const staging = new MemoryStaging();
    const retries = fastRetries();

    // Act
    const planned = await planAwsOrganizationSources(org, {
      client: { credentials: aws.ambientCredentials, retryStrategy: retries.strategy },
    });
    const results: SourceResult[] = [];
    for (const source of planned) {
      const out = await collectStep({
        connector,
        source,
        key: `run/${source.id}`,
        staging,
        now,
        logger: silentLogger,
      });
      if (!out.done) throw new Error('paused without a deadline');
      results.push(out.result);
    }

    // Assert: the plan
    expect(planned.map((s) => [s.id, s.accountId, s.roleArn, s.externalId, s.organization])).toEqual([
      [
        'aws-org-012345678901',
        '012345678901',
        'arn:aws:iam::012345678901:role/AccessProofReader',
        EXTERNAL_ID,
        false,
      ],
      [
        'aws-org-200611803367',
        '200611803367',
        'arn:aws:iam::200611803367:role/AccessProofReader',
        EXTERNAL_ID,
        false,
      ],
      [
        'aws-org-333333333333',
        '333333333333',
        'arn:aws:iam::333333333333:role/AccessProofReader',
        EXTERNAL_ID,
        false,
      ],
    ]);
    expect(aws.requests.filter((r) => r.operation === 'ListAccounts')).toHaveLength(4); // 1 throttled + 3 pages
    // Assert: the outcome per account
    expect(results.map((r) => [r.id, r.status, r.tenant])).toEqual([
      ['aws-org-012345678901', 'complete', '012345678901'],
      ['aws-org-200611803367', 'complete', '200611803367'],
      ['aws-org-333333333333', 'failed', undefined],
    ]);
    expect(results[2]?.error).toBe(
      'sts:AssumeRole: cannot assume arn:aws:iam::333333333333:role/AccessProofReader: AccessDenied: User: arn:aws:iam::111111111111:user/scanner is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/AccessProofReader',
    );
    expect(aws.sts.assumed.map((a) => a.externalId)).toEqual([EXTERNAL_ID, EXTERNAL_ID, EXTERNAL_ID]);
    // Assert: the budget, ceil(E / page) + 3 IAM calls per account (the shared catalogue aside)
    for (const [i, authz] of [small, example].entries()) {
      const queries = (results[i]?.queries ?? []) as Query[];
      const iamCalls = queries
        .filter((q) => q.operation.startsWith('iam:') && q.params?.Filter !== 'AWSManagedPolicy')
        .reduce((n, q) => n + q.calls, 0);
      const polls = i === 1 ? 1 : 0; // one ReportInProgress answer for the second account
      expect(iamCalls).toBeLessThanOrEqual(Math.ceil(entityCount(authz) / PAGE) + 3 + polls);
      expect(queries.find((q) => q.operation === 'sts:AssumeRole')?.calls).toBe(1);
    }
    // Assert: the AWS-managed catalogue was paged through once, by the first account only
    const catalogue = aws.requests.filter((r) => r.params.includes('Filter.member.1=AWSManagedPolicy'));
    expect(catalogue.filter((r) => !r.params.includes('Marker='))).toHaveLength(1);
    expect(new Set(catalogue.map((r) => r.accessKeyId)).size).toBe(1);
    const second = (results[1]?.queries ?? []) as Query[];
    expect(second.find((q) => q.params?.from === 'run-cache')).toMatchObject({ calls: 0 });
  });

  it('fails the plan with operation and page when ListAccounts is denied midway', async () => {
    // Arrange
    aws = await organization({ denyListAccountsFromPage: 2 });
    const org = liveSource(aws, { id: 'aws-org', organization: true });
    const retries = fastRetries();

    // Act
    const planning = planAwsOrganizationSources(org, {
      client: { credentials: aws.ambientCredentials, retryStrategy: retries.strategy },
    });

    // Assert: the first request is throttled and retried, page 1 served, page 2 denied
    await expect(planning).rejects.toThrow(/^organizations:ListAccounts page 2: AccessDeniedException: /);
  });

  it('refuses a source id that leaves no room for the account id', async () => {
    // Arrange
    aws = await organization();
    const org = liveSource(aws, { id: `org-${'x'.repeat(55)}`, organization: true });

    // Act / Assert
    await expect(planAwsOrganizationSources(org, {})).rejects.toThrow(/must leave room for "-<account id>"/);
  });
});
