/**
 * The live mode's snapshot of an account equals the files mode's snapshot of the same data: same
 * records in the same order (same body hash); the header differs only in mode, calls and queries.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { awsFilesConnector } from '../../../connectors/aws-iam/files-connector';
import { collectSource } from '../../../core/collect-driver';
import { awsSourceSchema } from '../../../core/config';
import { silentLogger } from '../../../core/connector';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { AuthorizationExport } from '../../support/aws-query-server/iam-imitation';
import {
  accountPoliciesFirst,
  liveConnector,
  liveSource,
  MemoryStaging,
  now,
  readAuthorization,
  reportOfAccount,
  sha256,
  splitSnapshot,
} from './live-harness';

const REPORT_HEADER =
  'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

/** A credential report for the export's users: password users, key users, never-used users. */
function reportFor(authz: AuthorizationExport, account: string): string {
  const rows = [
    `<root_account>,arn:aws:iam::${account}:root,2020-01-01T00:00:00+00:00,not_supported,2026-09-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
  ];
  (authz.UserDetailList ?? []).forEach((u, i) => {
    const created = '2023-03-09T10:41:45+00:00';
    if (i % 3 === 0)
      rows.push(
        `${u.UserName},${u.Arn},${created},true,2026-09-2${i % 10}T08:00:00+00:00,${created},N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      );
    else if (i % 3 === 1)
      rows.push(
        `${u.UserName},${u.Arn},${created},false,N/A,N/A,N/A,false,true,${created},2026-0${(i % 9) + 1}-15T12:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      );
    else
      rows.push(
        `${u.UserName},${u.Arn},${created},false,no_information,N/A,N/A,false,true,${created},N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      );
  });
  return `${[REPORT_HEADER, ...rows].join('\n')}\n`;
}

interface Case {
  name: string;
  account: string;
  authorization: AuthorizationExport;
  report: string;
  pageSize: number | ((page: number) => number);
}

/** A synthetic account with more users and roles than one emitted page holds (1000). */
function largeAccount(account: string): AuthorizationExport {
  const doc = (action: string) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }],
  });
  const policy = (arn: string, name: string, action: string) => ({
    PolicyName: name,
    PolicyId: `ANPA${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
    Arn: arn,
    Path: '/',
    DefaultVersionId: 'v2',
    AttachmentCount: 1,
    IsAttachable: true,
    CreateDate: '2024-01-01 00:00:00+00:00',
    UpdateDate: '2024-02-01 00:00:00+00:00',
    PolicyVersionList: [
      {
        Document: doc(`${action}`),
        VersionId: 'v2',
        IsDefaultVersion: true,
        CreateDate: '2024-02-01 00:00:00+00:00',
      },
      {
        Document: doc('*'),
        VersionId: 'v1',
        IsDefaultVersion: false,
        CreateDate: '2024-01-01 00:00:00+00:00',
      },
    ],
  });
  const local = [0, 1, 2].map((i) =>
    policy(`arn:aws:iam::${account}:policy/team-${i}`, `team-${i}`, `s3:Get${i}*`),
  );
  const admin = policy('arn:aws:iam::aws:policy/AdministratorAccess', 'AdministratorAccess', '*');
  const attached = (p: { PolicyName: string; Arn: string }) => ({
    PolicyName: p.PolicyName,
    PolicyArn: p.Arn,
  });
  return {
    GroupDetailList: [0, 1, 2].map((i) => ({
      Path: '/',
      GroupName: `team-${i}`,
      GroupId: `AGPA${i}`,
      Arn: `arn:aws:iam::${account}:group/team-${i}`,
      CreateDate: '2024-01-01T00:00:00Z',
      GroupPolicyList: [],
      AttachedManagedPolicies: [attached(local[i]!)],
    })),
    UserDetailList: Array.from({ length: 1050 }, (_, i) => ({
      Path: '/',
      UserName: `user-${i}@example.com`,
      UserId: `AIDA${i}`,
      Arn: `arn:aws:iam::${account}:user/user-${i}@example.com`,
      CreateDate: '2024-01-01T00:00:00Z',
      GroupList: [`team-${i % 3}`],
      AttachedManagedPolicies: i % 100 === 0 ? [attached(admin)] : [],
      UserPolicyList: i % 7 === 0 ? [{ PolicyName: 'own', PolicyDocument: doc('sqs:SendMessage') }] : [],
      Tags: i % 5 === 0 ? [{ Key: 'owner', Value: 'platform@example.com' }] : [],
    })),
    RoleDetailList: Array.from({ length: 1100 }, (_, i) => ({
      Path: i % 10 === 0 ? '/aws-service-role/ec2.amazonaws.com/' : '/',
      RoleName: `role-${i}`,
      RoleId: `AROA${i}`,
      Arn: `arn:aws:iam::${account}:role/role-${i}`,
      CreateDate: '2024-01-01T00:00:00Z',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      RolePolicyList: [],
      AttachedManagedPolicies: [attached(local[i % 3]!)],
      Tags: [],
      RoleLastUsed: i % 2 === 0 ? { LastUsedDate: '2026-08-01T00:00:00Z', Region: 'eu-west-1' } : {},
    })),
    Policies: [...local, admin],
  };
}

const large = largeAccount('123456789012');
const example = accountPoliciesFirst(readAuthorization('cloudsplaining-example-authz-details.json'));
const small = readAuthorization('cloudsplaining-test-authz-details.json');

const cases: Case[] = [
  {
    // The fixture lists two foreign-account policies between AWS ones; IAM lists an account's own
    // policies first, so the "same data" is the export in that order (accountPoliciesFirst).
    name: 'the 44-user example account (pages of varying short sizes)',
    account: '200611803367',
    authorization: example,
    report: reportFor(example, '200611803367'),
    pageSize: (n) => [1, 5, 2, 13][n % 4] ?? 1,
  },
  {
    name: 'the small test account as exported, with a real credential report (page size 1)',
    account: '012345678901',
    authorization: small,
    report: reportOfAccount('credential-report-b.csv', '012345678901'),
    pageSize: 1,
  },
  {
    // More than the 1000 items the files mode puts in one page: the live pages must be cut the same.
    name: 'a synthetic account of 1050 users and 1100 roles (pages of 97)',
    account: '123456789012',
    authorization: large,
    report: reportFor(large, '123456789012'),
    pageSize: 97,
  },
];

describe('aws-iam live mode equals files mode', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it.each(cases)('$name', async (c) => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'aws-live-eq-'));
    const authzFile = join(dir, 'authz.json');
    const reportFile = join(dir, 'credential-report.csv');
    writeFileSync(authzFile, JSON.stringify(c.authorization));
    writeFileSync(reportFile, c.report);
    aws = await startAwsImitation({
      accounts: [
        {
          id: c.account,
          authorization: c.authorization,
          // Generated just after the run started: a fresh report, no age warning.
          credentialReport: { csv: c.report, generatedTime: '2026-10-01T00:00:05Z' },
        },
      ],
      pageSize: c.pageSize,
    });
    const filesSource = awsSourceSchema.parse({
      id: 'aws-prod',
      system: 'aws',
      accountId: c.account,
      files: { authorizationDetails: authzFile, credentialReport: reportFile },
    });
    const { connector } = liveConnector(aws);
    const staging = new MemoryStaging();
    const base = { key: 'run/aws-prod', staging, now, logger: silentLogger };

    // Act
    const files = await collectSource({
      ...base,
      key: 'files/aws-prod',
      connector: awsFilesConnector,
      source: filesSource,
    });
    const live = await collectSource({ ...base, connector, source: liveSource(aws, { id: 'aws-prod' }) });

    // Assert
    expect(files.status).toBe('complete');
    expect(live.status).toBe('complete');
    const f = splitSnapshot(staging.finals.get('files/aws-prod'));
    const l = splitSnapshot(staging.finals.get('run/aws-prod'));
    expect(l.body.split('\n').length).toBeGreaterThan(50);
    expect(l.body).toBe(f.body);
    expect(sha256(l.body)).toBe(sha256(f.body));
    const { mode: fm, calls: fc, queries: fq, ...fRest } = f.header;
    const { mode: lm, calls: lc, queries: lq, ...lRest } = l.header;
    expect(lRest).toEqual(fRest);
    expect([fm, lm]).toEqual(['files', 'api']);
    expect(lc).toBeGreaterThan(0);
    expect(JSON.stringify(lq)).toContain('iam:GetAccountAuthorizationDetails');
    expect(JSON.stringify(fq)).toContain('file:');
    // Decoded documents: an AWS-managed policy's statements came through URL-encoded and are parsed.
    expect(l.body).toMatch(/"statements":\[\{"effect":"Allow"/);
    if (process.env.SHOW_HEADER) console.log(JSON.stringify(l.header, null, 1), f.body.split('\n').length);
  });
});
