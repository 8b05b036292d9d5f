import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadActionExpander, loadWildcardOnly } from '../../../../connectors/aws-iam/action-catalog';
import { awsFilesConnector } from '../../../../connectors/aws-iam/files-connector';
import {
  accountControls,
  type OrganizationExport,
  parseOrganizationExport,
} from '../../../../connectors/aws-iam/organization-policies';
import { awsSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';
import { InventoryBuilder } from '../../../../core/inventory';
import { type CompileOptions, functionsByIdentity } from '../../../../core/sod';
import { questionRuleset } from '../../../support/aws-evaluation';
import { collectAll } from '../shared/memory-staging';

const SCP = 'orgs_manage_policies_scps_evaluation';
const MGMT = '100000000000';
const PAY = '222222222222';
const SANDBOX = '333333333333';
const doc = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const described = (
  id: string,
  name: string,
  content: string,
  targets: string[],
  type = 'SERVICE_CONTROL_POLICY',
) => ({
  Policy: {
    PolicySummary: {
      Id: id,
      Arn: `arn:aws:organizations::${MGMT}:policy/o-x/service_control_policy/${id}`,
      Name: name,
      Type: type,
      AwsManaged: id === 'p-FullAWSAccess',
    },
    Content: content,
  },
  Targets: targets.map((t) => ({
    TargetId: t,
    Type: t.startsWith('r-') ? 'ROOT' : t.startsWith('ou-') ? 'ORGANIZATIONAL_UNIT' : 'ACCOUNT',
  })),
});

/** root → Finance OU → Payments OU → 222…; root → Sandbox OU (allow-list) → 333…; management 100…. */
const ORG = {
  Organization: { Id: 'o-x', MasterAccountId: MGMT },
  Roots: [{ Id: 'r-root', Name: 'Root' }],
  OrganizationalUnits: [
    { Id: 'ou-fin', Name: 'Finance', ParentId: 'r-root' },
    { Id: 'ou-pay', Name: 'Payments', ParentId: 'ou-fin' },
    { Id: 'ou-sandbox', Name: 'Sandbox', ParentId: 'r-root' },
  ],
  Accounts: [
    { Id: MGMT, Name: 'management', ParentId: 'r-root' },
    { Id: PAY, Name: 'payments', ParentId: 'ou-pay' },
    { Id: SANDBOX, Name: 'sandbox', ParentId: 'ou-sandbox' },
  ],
  Policies: [
    described('p-FullAWSAccess', 'FullAWSAccess', doc({ Effect: 'Allow', Action: '*', Resource: '*' }), [
      'r-root',
      'ou-fin',
      'ou-pay',
      MGMT,
      PAY,
      SANDBOX,
    ]),
    described('p-noiam', 'DenyIam', doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }), [
      'ou-pay',
      MGMT,
    ]),
    described(
      'p-s3only',
      'SandboxS3Only',
      doc({ Effect: 'Allow', Action: ['s3:*', 'sts:*'], Resource: '*' }),
      ['ou-sandbox'],
    ),
    described(
      'p-rcp',
      'RcpFull',
      doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }),
      ['r-root'],
      'RESOURCE_CONTROL_POLICY',
    ),
  ],
};

const ADMIN_EXPORT = (account: string) => ({
  UserDetailList: [
    {
      UserName: 'admin',
      Arn: `arn:aws:iam::${account}:user/admin`,
      GroupList: [],
      AttachedManagedPolicies: [],
      UserPolicyList: [
        {
          PolicyName: 'all',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
          },
        },
      ],
      Tags: [],
    },
  ],
  GroupDetailList: [],
  RoleDetailList: [],
  Policies: [],
});

const dir = mkdtempSync(join(tmpdir(), 'aws-org-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const org = (): OrganizationExport => parseOrganizationExport(JSON.stringify(ORG), 'org/policies.json');

describe('accountControls', () => {
  it('stacks the levels root → Finance → Payments → account, each with the policies attached there', () => {
    const { controls } = accountControls(org(), PAY, { sourceId: 'aws-pay' });
    expect(controls.scpStatus).toBe('evaluated');
    expect(controls.serviceControlLevels?.map((l) => [l.target, l.policies.length])).toEqual([
      ['r-root', 1],
      ['ou-fin', 1],
      ['ou-pay', 2],
      [PAY, 1],
    ]);
    expect(controls.resourceControlLevels?.map((l) => l.target)).toEqual(['r-root']);
  });

  it(`${SCP}: exempts the management account`, () => {
    const { controls, entitlements } = accountControls(org(), MGMT, { sourceId: 'aws-mgmt' });
    expect(controls.scpStatus).toContain('exempt');
    expect(controls.serviceControlLevels).toBeUndefined();
    expect(entitlements).toEqual([]);
  });

  it('reports an account outside the tree as not evaluated, and an OU without SCP as a warning', () => {
    expect(accountControls(org(), '999999999999', { sourceId: 's' }).controls.scpStatus).toContain(
      'not evaluated',
    );
    const bare = { ...ORG, Policies: ORG.Policies.filter((p) => p.Policy.PolicySummary.Id !== 'p-s3only') };
    const { warnings } = accountControls(parseOrganizationExport(JSON.stringify(bare), 'o.json'), SANDBOX, {
      sourceId: 's',
    });
    expect(warnings.join('\n')).toContain('no SCP is attached at ou-sandbox');
  });

  it('names the field of a bad export', () => {
    const bad = { ...ORG, Accounts: [{ Id: '12', ParentId: 'r-root' }] };
    expect(() => parseOrganizationExport(JSON.stringify(bad), 'org/policies.json')).toThrow(InputError);
    expect(() => parseOrganizationExport(JSON.stringify(bad), 'org/policies.json')).toThrow(
      /Accounts\[0\]\.Id/,
    );
  });
});

describe('SCPs from a files-mode export bound every principal of the account', () => {
  let options: CompileOptions;
  beforeAll(async () => {
    options = { expandAction: await loadActionExpander(), wildcardOnly: await loadWildcardOnly() };
    writeFileSync(join(dir, 'policies.json'), JSON.stringify(ORG));
  });

  async function held(account: string, action: string): Promise<boolean> {
    const authz = join(dir, `authz-${account}.json`);
    writeFileSync(authz, JSON.stringify(ADMIN_EXPORT(account)));
    const source = awsSourceSchema.parse({
      id: `aws-${account}`,
      system: 'aws',
      accountId: account,
      files: { authorizationDetails: authz, organizationPolicies: join(dir, 'policies.json') },
    });
    const snap = await collectAll(awsFilesConnector, source);
    const b = new InventoryBuilder();
    b.addSnapshotHeader(snap.header);
    for (const p of snap.principals) b.addPrincipal(p);
    for (const e of snap.entitlements) b.addEntitlement(e);
    for (const g of snap.grants) b.addGrant(g);
    const inv = b.finish();
    const fns = functionsByIdentity(inv, questionRuleset(action, undefined, options));
    return (fns.get(`principal:aws:${account}:arn:aws:iam::${account}:user/admin`) ?? []).includes('F');
  }

  it(`${SCP}: a deny-list on the Payments OU removes iam:CreateAccessKey from an administrator`, async () => {
    expect(await held(PAY, 'iam:CreateAccessKey')).toBe(false);
    expect(await held(PAY, 's3:PutObject')).toBe(true);
  });

  it(`${SCP}: an allow-list on the Sandbox OU (s3, sts) removes ec2:RunInstances but keeps s3:PutObject`, async () => {
    expect(await held(SANDBOX, 'ec2:RunInstances')).toBe(false);
    expect(await held(SANDBOX, 's3:PutObject')).toBe(true);
  });

  it(`${SCP}: the management account is exempt, even from the SCP attached to it directly`, async () => {
    expect(await held(MGMT, 'iam:CreateAccessKey')).toBe(true);
  });

  it('records the export as a query and its levels in the header', async () => {
    const authz = join(dir, 'authz-header.json');
    writeFileSync(authz, JSON.stringify(ADMIN_EXPORT(PAY)));
    const source = awsSourceSchema.parse({
      id: 'aws-pay',
      system: 'aws',
      files: { authorizationDetails: authz, organizationPolicies: join(dir, 'policies.json') },
    });
    const snap = await collectAll(awsFilesConnector, source);
    expect(snap.header.queries.find((q) => q.operation === 'file:policies.json')).toMatchObject({
      records: 4,
    });
    expect(snap.header.evaluation?.policies.SCPs).toBe('evaluated');
    expect(snap.header.evaluation?.serviceControlLevels).toHaveLength(4);
    expect(
      snap.entitlements
        .filter((e) => e.type === 'service-control-policy')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['DenyIam', 'FullAWSAccess']);
  });
});
