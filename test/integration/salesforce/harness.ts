/**
 * Test org, key pair, in-memory staging and a capturing logger for the Salesforce connector tests.
 * The org has one user per classification heuristic, an expired and an inactive assignment, and
 * a permission set group whose components must be granted with the group as path.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Logger } from '../../../core/connector';
import type { SfRecord } from './fake-salesforce';

export { MemoryStaging } from '../../support/memory-staging';

export const ORG_ID = '00DTS00000TEST1EAA';
export const CLIENT_ID = '3MVG9TEST.consumer.key';
export const USERNAME = 'accessproof-reader@test.example';

export const id = {
  profStd: '00eTS0000000001AAA',
  profApi: '00eTS0000000002AAA',
  profAdmin: '00eTS0000000003AAA',
  psStd: '0PSTS0000000P01AAA',
  psApi: '0PSTS0000000P02AAA',
  psAdmin: '0PSTS0000000P03AAA',
  psCredit: '0PSTS0000000S01AAA',
  psApiOnly: '0PSTS0000000S02AAA',
  psBilling: '0PSTS0000000S03AAA',
  psGroupAgg: '0PSTS0000000S04AAA',
  psg: '0PGTS0000000001AAA',
  alice: '005TS0000000U01AAA',
  intLicence: '005TS0000000U02AAA',
  apiProfile: '005TS0000000U03AAA',
  apiPs: '005TS0000000U04AAA',
  autoProc: '005TS0000000U05AAA',
  cloudInt: '005TS0000000U06AAA',
  bob: '005TS0000000U07AAA',
  carol: '005TS0000000U08AAA',
  admin: '005TS0000000U09AAA',
  namedLikeBot: '005TS0000000U10AAA',
} as const;

const perms = (on: string[]) =>
  Object.fromEntries(
    [
      'ModifyAllData',
      'ViewAllData',
      'ManageUsers',
      'AuthorApex',
      'CustomizeApplication',
      'ApiEnabled',
      'ApiUserOnly',
      'ViewSetup',
    ].map((p) => [`Permissions${p}`, on.includes(p)]),
  );

const profileLink = (profileId: string, name: string, licence: string) => ({
  ProfileId: profileId,
  Profile: { Name: name, UserLicense: { Name: licence } },
});

function user(
  uid: string,
  username: string,
  profile: ReturnType<typeof profileLink>,
  extra: Partial<SfRecord> = {},
): SfRecord {
  return {
    Id: uid,
    Username: username,
    Name: username.split('@')[0],
    Email: username,
    FederationIdentifier: null,
    IsActive: true,
    UserType: 'Standard',
    CreatedDate: '2025-01-15T09:00:00.000+0000',
    LastLoginDate: '2026-09-28T08:00:00.000+0000',
    ManagerId: null,
    ...profile,
    ...extra,
  };
}

export function testOrgTables(): Record<string, SfRecord[]> {
  const std = profileLink(id.profStd, 'Standard User', 'Salesforce');
  const apiOnly = profileLink(id.profApi, 'Minimum Access - API Only Integrations', 'Salesforce');
  const integration = profileLink(
    id.profApi,
    'Minimum Access - API Only Integrations',
    'Salesforce Integration',
  );
  const admin = profileLink(id.profAdmin, 'System Administrator', 'Salesforce');
  const ps = (
    psId: string,
    name: string,
    label: string,
    on: string[],
    extra: Partial<SfRecord> = {},
  ): SfRecord => ({
    Id: psId,
    Name: name,
    Label: label,
    IsOwnedByProfile: false,
    ProfileId: null,
    PermissionSetGroupId: null,
    ...perms(on),
    ...extra,
  });
  const owned = (psId: string, profileId: string, profileName: string, on: string[]) =>
    ps(psId, `X00e${psId.slice(-6)}`, psId, on, {
      IsOwnedByProfile: true,
      ProfileId: profileId,
      Profile: { Name: profileName },
    });
  const op = (
    opId: string,
    parent: string,
    object: string,
    c: boolean,
    r: boolean,
    e: boolean,
  ): SfRecord => ({
    Id: opId,
    ParentId: parent,
    SobjectType: object,
    PermissionsCreate: c,
    PermissionsRead: r,
    PermissionsEdit: e,
    PermissionsDelete: false,
    PermissionsViewAllRecords: false,
    PermissionsModifyAllRecords: false,
  });
  const psa = (
    psaId: string,
    assignee: string,
    permissionSet: string,
    extra: Partial<SfRecord> = {},
  ): SfRecord => ({
    Id: psaId,
    AssigneeId: assignee,
    PermissionSetId: permissionSet,
    PermissionSetGroupId: null,
    IsActive: true,
    ExpirationDate: null,
    SystemModstamp: '2026-03-01T10:00:00.000+0000',
    ...extra,
  });

  return {
    Organization: [
      {
        Id: ORG_ID,
        Name: 'Test Org',
        IsSandbox: false,
        InstanceName: 'TS1',
        OrganizationType: 'Enterprise Edition',
      },
    ],
    PermissionSet: [
      owned(id.psStd, id.profStd, 'Standard User', ['ApiEnabled']),
      owned(id.psApi, id.profApi, 'Minimum Access - API Only Integrations', ['ApiEnabled', 'ApiUserOnly']),
      owned(id.psAdmin, id.profAdmin, 'System Administrator', [
        'ModifyAllData',
        'ViewAllData',
        'ManageUsers',
        'AuthorApex',
        'CustomizeApplication',
        'ApiEnabled',
        'ViewSetup',
      ]),
      ps(id.psCredit, 'Credit_Limit_Editor', 'Credit Limit Editor', []),
      ps(id.psApiOnly, 'API_Only_Access', 'API Only Access', ['ApiEnabled', 'ApiUserOnly']),
      ps(id.psBilling, 'Billing_Viewer', 'Billing Viewer', []),
      ps(id.psGroupAgg, 'Billing_Operations_Aggregate', 'Billing Operations', [], {
        PermissionSetGroupId: id.psg,
      }),
    ],
    ObjectPermissions: [
      op('110TS0000000001AAA', id.psCredit, 'Credit_Limit__c', true, true, true),
      op('110TS0000000002AAA', id.psBilling, 'Invoice__c', false, true, false),
      op('110TS0000000003AAA', id.psStd, 'Account', true, true, true),
      op('110TS0000000004AAA', id.psAdmin, 'Credit_Limit__c', true, true, true),
    ],
    PermissionSetGroup: [
      {
        Id: id.psg,
        DeveloperName: 'Billing_Operations',
        MasterLabel: 'Billing Operations',
        Status: 'Updated',
      },
    ],
    PermissionSetGroupComponent: [
      { Id: '0PHTS0000000001AAA', PermissionSetGroupId: id.psg, PermissionSetId: id.psCredit },
      { Id: '0PHTS0000000002AAA', PermissionSetGroupId: id.psg, PermissionSetId: id.psBilling },
    ],
    PermissionSetAssignment: [
      // Profile-owned assignments exist for every user; the connector's SOQL filters them out.
      psa('0PaTS0000000A00AAA', id.alice, id.psStd),
      psa('0PaTS0000000A01AAA', id.apiPs, id.psApiOnly),
      psa('0PaTS0000000A02AAA', id.bob, id.psCredit, { ExpirationDate: '2026-06-30T00:00:00.000+0000' }),
      psa('0PaTS0000000A03AAA', id.bob, id.psBilling, { IsActive: false }),
      psa('0PaTS0000000A04AAA', id.carol, id.psGroupAgg, { PermissionSetGroupId: id.psg }),
      psa('0PaTS0000000A05AAA', id.alice, id.psCredit, { ExpirationDate: '2027-06-30T00:00:00.000+0000' }),
    ],
    OauthToken: [
      {
        Id: '0CQTS0000000001AAA',
        UserId: id.intLicence,
        AppName: 'ERP Connector',
        CreatedDate: '2026-01-10T00:00:00.000+0000',
        LastUsedDate: '2026-09-20T06:00:00.000+0000',
        UseCount: 412,
      },
      {
        Id: '0CQTS0000000002AAA',
        UserId: id.intLicence,
        AppName: 'ERP Connector',
        CreatedDate: '2026-02-10T00:00:00.000+0000',
        LastUsedDate: '2026-08-01T06:00:00.000+0000',
        UseCount: 3,
      },
    ],
    User: [
      user(id.alice, 'alice@test.example', std),
      user(id.intLicence, 'erp-sync@test.example', integration, { LastLoginDate: null, ManagerId: id.admin }),
      user(id.apiProfile, 'data-loader@test.example', apiOnly),
      user(id.apiPs, 'reporting@test.example', std),
      user(id.autoProc, 'autoproc@00dts00000test1eaa', std, {
        UserType: 'AutomatedProcess',
        LastLoginDate: null,
      }),
      user(id.cloudInt, 'cloud-int@test.example', integration, { UserType: 'CloudIntegrationUser' }),
      user(id.bob, 'bob@test.example', std),
      user(id.carol, 'carol@test.example', std),
      user(id.admin, 'admin@test.example', admin),
      // Named like a bot, but a person on a standard licence and profile: names never decide.
      user(id.namedLikeBot, 'integration-svc@test.example', std, { IsActive: false }),
    ],
  };
}

export function keyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** Everything logged, as text, so tests can look for leaked secrets. */
export function capturingLogger(): Logger & { text(): string } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    text: () => lines.join('\n'),
  };
}

/** Parse a finalized snapshot into its header and records. */
export function readSnapshot(text: string) {
  const [head, ...rest] = text.split('\n');
  const records = rest.filter(Boolean).map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
  return {
    header: JSON.parse(head ?? '{}') as Record<string, unknown> & {
      complete: boolean;
      warnings: string[];
      tenant: string;
      queries: {
        operation: string;
        params?: Record<string, string>;
        calls: number;
        pages: number;
        records: number;
        expected?: number;
      }[];
    },
    principals: records.filter((r) => r.principal).map((r) => r.principal as Record<string, unknown>),
    entitlements: records.filter((r) => r.entitlement).map((r) => r.entitlement as Record<string, unknown>),
    grants: records.filter((r) => r.grant).map((r) => r.grant as Record<string, unknown>),
  };
}
