import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { awsIamConnector } from '../../../../connectors/aws-iam';
import { awsFilesConnector } from '../../../../connectors/aws-iam/files-connector';
import { type AwsSource, awsSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';
import type { Principal } from '../../../../core/model';
import {
  type Collected,
  collectAll,
  collectWith,
  deadlineAfter,
  MemoryStaging,
  parseSnapshot,
} from '../shared/memory-staging';

const FIXTURES = new URL('../../../fixtures/aws/', import.meta.url).pathname;
const EXAMPLE = join(FIXTURES, 'cloudsplaining-example-authz-details.json');
const ACCOUNT = '200611803367';
const arn = (kind: string, name: string, account = ACCOUNT) => `arn:aws:iam::${account}:${kind}/${name}`;
const uid = (nativeId: string) => `aws:${ACCOUNT}:${nativeId}`;

function source(files: AwsSource['files'], extra: Record<string, unknown> = {}): AwsSource {
  return awsSourceSchema.parse({ id: 'aws-prod', system: 'aws', files, ...extra });
}

const temps: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'aws-files-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

let example: Collected | undefined;
/** The larger public export, collected once for the assertions that only read it. */
async function exampleSnapshot(): Promise<Collected> {
  example ??= await collectAll(awsFilesConnector, source({ authorizationDetails: EXAMPLE }));
  return example;
}

function principal(snap: Collected, nativeId: string): Principal {
  const p = snap.principals.find((x) => x.nativeId === nativeId);
  if (!p) throw new Error(`no principal ${nativeId}`);
  return p;
}

describe('awsFilesConnector on the cloudsplaining example account', () => {
  it('inventories 44 users, 78 roles, 5 groups and 84 managed policies', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    expect(snap.principals.filter((p) => p.type === 'iam-user')).toHaveLength(44);
    expect(snap.principals.filter((p) => p.nativeId.includes(':role/'))).toHaveLength(78);
    expect(snap.entitlements.filter((e) => e.type === 'group')).toHaveLength(5);
    expect(snap.entitlements.filter((e) => e.type === 'managed-policy')).toHaveLength(84);
    expect(snap.entitlements.filter((e) => e.type === 'inline-policy')).toHaveLength(2 + 1 + 36);
    expect(snap.header).toMatchObject({
      system: 'aws',
      tenant: ACCOUNT,
      mode: 'files',
      complete: true,
      counts: { principals: 122, entitlements: 128, grants: 152 },
      queries: [
        { operation: 'file:cloudsplaining-example-authz-details.json', calls: 1, pages: 1, records: 211 },
      ],
    });
    expect(snap.header.warnings).toContain(
      `ARNs of other accounts than ${ACCOUNT} in the export: 012345678901 (10); recorded under ${ACCOUNT}`,
    );
  });

  it('takes last activity of 26 roles from RoleLastUsed, normalized to UTC ISO', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const roles = snap.principals.filter((p) => p.nativeId.includes(':role/'));
    const active = roles.filter((p) => p.lastActivity);
    expect(active).toHaveLength(26);
    expect(active.every((p) => p.lastActivity?.source === 'RoleLastUsed')).toBe(true);
    expect(
      principal(snap, arn('role', 'AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1')),
    ).toMatchObject({
      createdAt: '2022-08-07T12:55:43.000Z',
      lastActivity: { at: '2022-08-07T12:56:48.000Z', source: 'RoleLastUsed' },
    });
  });

  it('classifies roles: service-linked, federated (SSO, human), service-trusted, the rest by default', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const roles = snap.principals.filter((p) => p.nativeId.includes(':role/'));
    const count = (type: string, kind: string, reason: string) =>
      roles.filter((p) => p.type === type && p.kind === kind && p.kindReason === reason).length;
    expect(count('service-linked-role', 'nonhuman', 'path:/aws-service-role/')).toBe(8);
    expect(count('federated-role', 'human', 'trust:Federated')).toBe(2);
    expect(count('iam-role', 'nonhuman', 'trust:Service')).toBe(21);
    expect(count('iam-role', 'nonhuman', 'default:role')).toBe(47);
    expect(
      principal(
        snap,
        'arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8',
      ).type,
    ).toBe('federated-role');
  });

  it('keeps only the default version of a managed policy', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const p = snap.entitlements.find((e) => e.nativeId === 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser');
    const sids = p?.statements?.map((s) => s.sid);
    expect(sids).toHaveLength(14); // v11 (default) has 14 statements, v10 has 11
    expect(sids).toContain('CloudWatchEventsManagedRules'); // only in v11
  });

  it('grants users the policies of their groups with the group in the path', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const user = uid(arn('user', 'privesc-sre-user'));
    const group = uid(arn('group', 'privesc-sre-group'));
    expect(snap.grants.filter((g) => g.principal === user)).toEqual([
      { principal: user, entitlement: group, path: [] },
      { principal: user, entitlement: uid(arn('policy', 'privesc-sre-admin-policy')), path: [group] },
    ]);
    const biden = uid(arn('user', 'biden', '012345678901'));
    const bidenGroup = uid(arn('group', 'biden', '012345678901'));
    expect(snap.grants.filter((g) => g.principal === biden)).toEqual([
      {
        principal: biden,
        entitlement: uid(`${arn('user', 'biden', '012345678901')}#inline/InsecureUserPolicy`),
        path: [],
      },
      { principal: biden, entitlement: uid('arn:aws:iam::aws:policy/AWSLambdaFullAccess'), path: [] },
      { principal: biden, entitlement: bidenGroup, path: [] },
      {
        principal: biden,
        entitlement: uid('arn:aws:iam::aws:policy/AmazonRDSFullAccess'),
        path: [bidenGroup],
      },
      {
        principal: biden,
        entitlement: uid(`${arn('group', 'biden', '012345678901')}#inline/InlinePolicyForBidenGroup`),
        path: [bidenGroup],
      },
    ]);
  });

  it('gives inline policies a stable id under their owner and normalized statements', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const nativeId = `${arn('role', 'AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1')}#inline/AWS-QuickSetup-CFGRecording-PolicyForAutomation-ap-northeast-1-1clff`;
    const e = snap.entitlements.find((x) => x.nativeId === nativeId);
    expect(e).toMatchObject({
      uid: uid(nativeId),
      type: 'inline-policy',
      name: nativeId.split('#inline/')[1],
    });
    expect(e?.statements?.[4]).toEqual({
      effect: 'Allow',
      action: ['iam:CreateServiceLinkedRole'],
      resource: ['arn:aws:iam::*:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig'],
      hasCondition: true,
    });
    expect(snap.grants).toContainEqual({
      principal: uid(arn('role', 'AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1')),
      entitlement: uid(nativeId),
      path: [],
    });
  });

  it('marks permissions-management, * and NotAction policies privileged, with the reason', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const byName = (name: string) =>
      snap.entitlements.find((e) => e.type === 'managed-policy' && e.name === name);
    expect(byName('AdministratorAccess')).toMatchObject({
      privileged: true,
      privilegedReason: 'allows every action (*)',
    });
    expect(byName('privesc8-AttachGroupPolicy')).toMatchObject({
      privileged: true,
      privilegedReason: 'allows permissions-management action iam:AttachGroupPolicy',
    });
    expect(byName('IAMFullAccess')?.privilegedReason).toBe('allows iam:*');
    expect(byName('AmazonVPCReadOnlyAccess')?.privileged).toBe(false);
    expect(byName('fp3-deny-iam')?.privileged).toBe(false); // Deny iam:* grants nothing
    expect(byName('fn4-exploitableNotAction')?.privilegedReason).toMatch(/NotAction/);
  });

  it('without a credential report, users are nonhuman with the reason and a warning says why', async () => {
    // Act
    const snap = await exampleSnapshot();

    // Assert
    const users = snap.principals.filter((p) => p.type === 'iam-user');
    expect(users.every((p) => p.kind === 'nonhuman' && p.kindReason === 'default:no-credential-report')).toBe(
      true,
    );
    expect(snap.header.warnings.some((w) => w.startsWith('no credential report'))).toBe(true);
  });

  it('config accountId sets the tenant; kinds override by ARN wins over the heuristics', async () => {
    // Arrange
    const roleArn = arn('role', 'AWS-QuickSetup-EnableCRecording-1clff_ap-northeast-1');
    const src = source(
      { authorizationDetails: EXAMPLE },
      { accountId: '012345678901', kinds: { [roleArn]: 'human' } },
    );

    // Act
    const snap = await collectAll(awsFilesConnector, src);

    // Assert
    expect(snap.header.tenant).toBe('012345678901');
    expect(principal(snap, roleArn)).toMatchObject({
      uid: `aws:012345678901:${roleArn}`,
      kind: 'human',
      kindReason: 'config:kinds',
      type: 'iam-role',
    });
  });

  it('resumes in a fresh process from a cursor to a byte-identical snapshot', async () => {
    // Arrange
    const src = source({ authorizationDetails: EXAMPLE });
    const whole = await exampleSnapshot();
    const staging = new MemoryStaging();
    const first = await collectWith(awsFilesConnector, src, staging, { deadline: deadlineAfter(2) });
    if (first.status !== 'partial') throw new Error(`expected partial, got ${first.status}`);
    vi.resetModules(); // empty session cache: the connector rebuilds its group index from the files
    const fresh = (await import('../../../../connectors/aws-iam/files-connector')).awsFilesConnector;

    // Act
    const second = await collectWith(fresh, src, staging, { cursor: first.cursor });

    // Assert
    expect(second.status).toBe('complete');
    expect(parseSnapshot(staging.finals.get('run/aws-prod') as string).text).toBe(whole.text);
  });

  it('awsIamConnector chooses files mode when the source has files', async () => {
    // Act
    const snap = await collectAll(awsIamConnector, source({ authorizationDetails: EXAMPLE }));

    // Assert
    expect(snap.text).toBe((await exampleSnapshot()).text);
  });
});

describe('awsFilesConnector with a credential report', () => {
  /** The small cloudsplaining export joined to a credential report written for its three users. */
  function accountWithReport(): AwsSource {
    const dir = tempDir();
    cpSync(join(FIXTURES, 'cloudsplaining-test-authz-details.json'), join(dir, 'authz.json'));
    const header = readFileSync(join(FIXTURES, 'credential-report-a.csv'), 'utf8').split('\n')[0];
    const rows = [
      // obama: password and both keys (key 2 inactive)
      'obama,arn:aws:iam::012345678901:user/obama,2019-12-18T19:10:08+00:00,true,2026-09-01T10:00:00+00:00,2020-01-01T00:00:00+00:00,N/A,true,true,2025-01-01T00:00:00+00:00,2026-09-20T10:00:00+00:00,us-east-1,s3,false,2024-01-01T00:00:00+00:00,2026-09-25T00:00:00+00:00,us-east-1,s3,false,N/A,false,N/A',
      // biden: keys only, used at dates with both forms
      'biden,arn:aws:iam::012345678901:user/biden,2019-12-18T19:10:08+00:00,false,N/A,N/A,N/A,false,true,2025-03-01T00:00:00Z,2026-06-01T12:00:00Z,us-east-1,iam,true,2025-04-01T00:00:00+00:00,no_information,N/A,N/A,true,2025-05-05T05:05:05+00:00,false,N/A',
      // userwithlotsofpermissions: password never used, no keys
      'userwithlotsofpermissions,arn:aws:iam::012345678901:user/userwithlotsofpermissions,2019-12-18T19:10:08+00:00,true,no_information,2020-01-01T00:00:00+00:00,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
      // a user deleted since the report
      'ghost,arn:aws:iam::012345678901:user/ghost,2019-12-18T19:10:08+00:00,false,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A',
    ];
    writeFileSync(join(dir, 'report.csv'), `${[header, ...rows].join('\n')}\n`);
    return source({
      authorizationDetails: join(dir, 'authz.json'),
      credentialReport: join(dir, 'report.csv'),
    });
  }

  it('joins report rows to users: kind, activity (most recent signal), credentials', async () => {
    // Act
    const snap = await collectAll(awsFilesConnector, accountWithReport());

    // Assert
    const acct = '012345678901';
    const user = (n: string) => principal(snap, `arn:aws:iam::${acct}:user/${n}`);
    expect(user('obama')).toMatchObject({
      kind: 'human',
      kindReason: 'credentials:password-and-access-key',
      // key 2 is inactive now, but its last use is still activity
      lastActivity: {
        at: '2026-09-25T00:00:00.000Z',
        source: 'credential-report:access_key_2_last_used_date',
      },
      credentials: [
        {
          id: 'password',
          type: 'password',
          active: true,
          createdAt: '2020-01-01T00:00:00.000Z',
          lastUsedAt: '2026-09-01T10:00:00.000Z',
        },
        {
          id: 'access_key_1',
          type: 'access-key',
          active: true,
          createdAt: '2025-01-01T00:00:00.000Z',
          lastUsedAt: '2026-09-20T10:00:00.000Z',
        },
      ],
    });
    expect(user('biden')).toMatchObject({
      kind: 'nonhuman',
      kindReason: 'credentials:access-key-only',
      lastActivity: {
        at: '2026-06-01T12:00:00.000Z',
        source: 'credential-report:access_key_1_last_used_date',
      },
    });
    expect(user('biden').credentials.map((c) => c.id)).toEqual(['access_key_1', 'access_key_2', 'cert_1']);
    expect(user('biden').credentials[1]).not.toHaveProperty('lastUsedAt'); // no_information
    expect(user('userwithlotsofpermissions')).toMatchObject({
      kind: 'human',
      kindReason: 'credentials:password-only',
    });
    expect(user('userwithlotsofpermissions').lastActivity).toBeUndefined();
    expect(snap.header.queries.map((q) => q.operation)).toEqual(['file:authz.json', 'file:report.csv']);
    expect(snap.header.warnings).toContain(
      '1 credential-report users are not in the authorization details (deleted since the report?): ghost',
    );
    expect(snap.principals.some((p) => p.name === 'ghost')).toBe(false);
  });

  it('reads a credential report alone: users from its rows, the root user apart, account from the ARNs', async () => {
    // Act
    const snap = await collectAll(
      awsFilesConnector,
      source({ credentialReport: join(FIXTURES, 'credential-report-a.csv') }),
    );

    // Assert
    expect(snap.header.tenant).toBe('644160558196');
    expect(snap.principals).toHaveLength(20); // 21 lines: header, <root_account>, christopher twice
    // The root user is no IAM user: a principal of its own type, judged by the AWS-ROOT-* rules only.
    expect(snap.principals.filter((p) => p.nativeId.endsWith(':root')).map((p) => p.type)).toEqual([
      'root-user',
    ]);
    expect(snap.entitlements).toEqual([]);
    const kit = snap.principals.find((p) => p.name === 'kit');
    expect(kit?.lastActivity).toEqual({
      at: '2016-11-23T22:21:00.000Z',
      source: 'credential-report:access_key_2_last_used_date',
    });
    expect(snap.principals.find((p) => p.name === 'c7n-test')).toMatchObject({
      kind: 'nonhuman',
      kindReason: 'credentials:none',
      credentials: [],
    });
    const christopher = snap.principals.filter((p) => p.name === 'christopher');
    expect(christopher).toHaveLength(1);
    expect(christopher[0]?.lastActivity?.at).toBe('2016-11-21T18:44:00.000Z');
    expect(snap.header.warnings).toContain(
      'credential report lists arn:aws:iam::644160558196:user/christopher on lines 9, 10: the last row is used',
    );
  });
});

describe('awsFilesConnector tags: accessproof:kind, email, owner', () => {
  it('the kind tag wins over heuristics; email from a tag in any case, else from an email user name', async () => {
    // Arrange
    const dir = tempDir();
    const authz = {
      UserDetailList: [
        {
          UserName: 'deploy',
          Arn: 'arn:aws:iam::111122223333:user/deploy',
          CreateDate: '2024-01-01T00:00:00Z',
          Tags: [
            { Key: 'AccessProof:Kind', Value: 'Human' },
            { Key: 'EMAIL', Value: 'ops@example.com' },
            { Key: 'owner', Value: 'team-lead@example.com' },
          ],
        },
        { UserName: 'ann@example.com', Arn: 'arn:aws:iam::111122223333:user/ann@example.com' },
        {
          UserName: 'bot',
          Arn: 'arn:aws:iam::111122223333:user/bot',
          Tags: [{ Key: 'accessproof:kind', Value: 'robot' }],
        },
      ],
      RoleDetailList: [
        {
          RoleName: 'gha-deploy',
          Arn: 'arn:aws:iam::111122223333:role/gha-deploy',
          AssumeRolePolicyDocument: encodeURIComponent(
            JSON.stringify({
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: {
                    Federated: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com',
                  },
                  Action: 'sts:AssumeRoleWithWebIdentity',
                },
              ],
            }),
          ),
          RoleLastUsed: {},
        },
      ],
    };
    writeFileSync(join(dir, 'authz.json'), JSON.stringify(authz));

    // Act
    const snap = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(dir, 'authz.json') }),
    );

    // Assert
    expect(snap.principals[0]).toMatchObject({
      kind: 'human',
      kindReason: 'tag:accessproof:kind',
      email: 'ops@example.com',
      owners: ['team-lead@example.com'],
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    expect(snap.principals[1]?.email).toBe('ann@example.com');
    expect(snap.principals[2]?.kindReason).toBe('default:no-credential-report');
    expect(snap.header.warnings).toContain(
      'arn:aws:iam::111122223333:user/bot: tag accessproof:kind="robot" is neither human nor nonhuman: ignored',
    );
    expect(snap.principals[3]).toMatchObject({
      type: 'federated-role',
      kind: 'nonhuman',
      kindReason: 'trust:Federated:workload-oidc',
    });
  });
});

describe('awsFilesConnector bad input', () => {
  it('a truncated export → InputError naming the file and line', async () => {
    // Arrange
    const dir = tempDir();
    const text = readFileSync(EXAMPLE, 'utf8');
    writeFileSync(join(dir, 'authz.json'), text.slice(0, 5000));

    // Act
    const err = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(dir, 'authz.json') }),
    ).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.file).toBe(join(dir, 'authz.json'));
    expect((err as InputError).location.line).toBe(text.slice(0, 5000).split('\n').length);
    expect((err as InputError).message).toMatch(/truncated/);
  });

  it('a saved API error instead of the export → InputError, not an empty account', async () => {
    // Act
    const err = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(FIXTURES, 'custodian-credential-report-in-progress.json') }),
    ).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/not the output of "aws iam get-account-authorization-details"/);
  });

  it('a JSON file given as the credential report → InputError naming the missing column', async () => {
    // Act
    const err = await collectAll(
      awsFilesConnector,
      source({ credentialReport: join(FIXTURES, 'custodian-credential-report-not-present.json') }),
    ).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/not an IAM credential report/);
  });

  it('no account id anywhere → InputError asking for accountId', async () => {
    // Arrange
    const dir = tempDir();
    writeFileSync(join(dir, 'authz.json'), JSON.stringify({ UserDetailList: [], RoleDetailList: [] }));

    // Act
    const err = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(dir, 'authz.json') }),
    ).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.field).toBe('sources.aws-prod.accountId');
  });

  it('a missing file → InputError naming it', async () => {
    // Act
    const err = await collectAll(
      awsFilesConnector,
      source({ authorizationDetails: join(FIXTURES, 'nope.json') }),
    ).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.file).toBe(join(FIXTURES, 'nope.json'));
  });
});
