/**
 * `AccessProofMembers` (issue 15): the member (reader) role deployed to OUs by a service-managed
 * StackSet with automatic deployment, its body the synthesized member template, the role in one
 * region per account (IAM is global), the ExternalId passed in and never defaulted.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_READER_ACTIONS } from '../../infra/lib/member-account-stack';
import { AccessProofMembers, type AccessProofMembersProps } from '../../infra/lib/members';
import { asList, type Statement } from './synth';

type Json = Record<string, unknown>;
const MGMT = { account: '999900001111', region: 'eu-west-1' };
const base: AccessProofMembersProps = {
  collectorAccountId: '111122223333',
  externalId: 'ap-test-7f3c9e1d5b2a4c60',
  organizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'],
};
const build = (props: Partial<AccessProofMembersProps> = {}, env: Json = MGMT) => {
  const app = new App();
  const stack = new Stack(app, 'OrgMembers', { env });
  const members = new AccessProofMembers(stack, 'Members', { ...base, ...props });
  return { app, stack, members };
};
const nagFindings = (app: App) =>
  new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`),
    );

let built: ReturnType<typeof build>;
let stackSet: Json;
let body: { Parameters: Record<string, Json>; Resources: Record<string, { Type: string; Properties: Json }> };

beforeAll(() => {
  // Arrange / Act (shared)
  built = build({ namePrefix: 'Blue', permissionsBoundary: 'OrgBoundary', tags: { CostCenter: 'sec-42' } });
  const resources = Template.fromStack(built.stack).findResources('AWS::CloudFormation::StackSet');
  expect(Object.keys(resources)).toHaveLength(1);
  stackSet = (Object.values(resources)[0] as { Properties: Json }).Properties;
  body = JSON.parse(stackSet.TemplateBody as string) as typeof body;
}, 300_000);

describe('AccessProofMembers: the member role as a service-managed StackSet', () => {
  it('deploys to the OUs, service-managed, auto-deploying to accounts that join and removing the role from accounts that leave', () => {
    // Assert
    expect(stackSet).toMatchObject({
      StackSetName: 'Blue-Member',
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'SELF',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ManagedExecution: { Active: true },
      OperationPreferences: {
        MaxConcurrentPercentage: 25,
        FailureTolerancePercentage: 10,
        RegionConcurrencyType: 'SEQUENTIAL',
      },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] },
          Regions: ['eu-west-1'],
        },
      ],
    });
    expect(stackSet.Tags).toEqual([{ Key: 'CostCenter', Value: 'sec-42' }]);
  });

  it('passes the ExternalId and collector account; the body has no default ExternalId and needs 16+ characters', () => {
    // Assert
    expect(stackSet.Parameters).toEqual([
      { ParameterKey: 'CollectorAccountId', ParameterValue: '111122223333' },
      { ParameterKey: 'ExternalId', ParameterValue: 'ap-test-7f3c9e1d5b2a4c60' },
    ]);
    expect(body.Parameters.ExternalId?.Default).toBeUndefined();
    expect(body.Parameters.ExternalId?.MinLength).toBe(16);
    expect(Object.keys(body.Parameters).sort()).toEqual(['CollectorAccountId', 'ExternalId']);
  });

  it('the body is the member template: the prefixed reader role, read-only, trusting the prefixed collector, with the boundary and tags', () => {
    // Arrange
    const roles = Object.values(body.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
    const policies = Object.values(body.Resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const actions = policies.flatMap((p) =>
      (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement.flatMap((s) => asList(s.Action)),
    );

    // Assert
    expect(roles).toHaveLength(1);
    const role = roles[0]!.Properties;
    expect(role.RoleName).toBe('BlueReader');
    expect(JSON.stringify(role.AssumeRolePolicyDocument)).toContain(':role/BlueCollector');
    expect(JSON.stringify(role.PermissionsBoundary)).toMatch(/:policy\/OrgBoundary/);
    expect(role.Tags).toEqual(expect.arrayContaining([{ Key: 'CostCenter', Value: 'sec-42' }]));
    expect(actions.sort()).toEqual([...MEMBER_READER_ACTIONS].sort());
    // StackSet-ready: no bootstrap version check, no assets.
    expect(JSON.stringify(body)).not.toMatch(/cdk-hnb659fds|BootstrapVersion|AssetParameters/);
  });

  it('region-safe: the (global) role is deployed from exactly one region per account; a stack without a region must name it', () => {
    // Act
    const other = build({ region: 'us-east-1' }, {});

    // Assert
    expect(Template.fromStack(other.stack).toJSON()).toMatchObject({
      Resources: {
        [other.stack.getLogicalId(other.members.stackSet)]: {
          Properties: { StackInstancesGroup: [{ Regions: ['us-east-1'] }] },
        },
      },
    });
    expect(() => build({}, {})).toThrow(/give region \(the one region the IAM role is deployed from/);
  });

  it('refuses a short ExternalId, no OU, a malformed OU id or collector account', () => {
    // Act / Assert
    expect(() => build({ externalId: 'fifteen-chars-x' })).toThrow(/externalId must be 16-1224 characters/);
    expect(() => build({ organizationalUnitIds: [] })).toThrow(/needs at least one OU/);
    expect(() => build({ organizationalUnitIds: ['ou-1'] })).toThrow(/"ou-1" is not an OU id/);
    expect(() => build({ collectorAccountId: '1111' })).toThrow(/12-digit AWS account id/);
    expect(() => build({ maxConcurrentPercentage: 0 })).toThrow(
      /maxConcurrentPercentage must be a whole number 1-100/,
    );
  });

  it('cdk-nag AwsSolutions finds nothing in the StackSet stack or in the member template it deploys', () => {
    // Assert
    expect(nagFindings(built.app)).toEqual([]);
    expect(nagFindings(built.members.memberStack.node.root as App)).toEqual([]);
  });
});
