import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_CENTER_ACTIONS,
  MEMBER_READER_ACTIONS,
  MemberAccountStack,
} from '../../infra/lib/member-account-stack';
import { allowedActions, onlyResource } from './synth';

const memberTemplate = (props: ConstructorParameters<typeof MemberAccountStack>[2] = {}) => {
  const app = new App();
  return Template.fromStack(new MemberAccountStack(app, 'Member', props));
};

const roleId = (t: Template) => onlyResource(t, 'AWS::IAM::Role').id;

describe('member-account stack', () => {
  it('the reader role can only read the IAM inventory and the credential report', () => {
    // Arrange
    const t = memberTemplate({ collectorAccountId: '111122223333' });

    // Assert
    expect(allowedActions(t, roleId(t))).toEqual([
      'iam:GenerateCredentialReport',
      'iam:GetAccountAuthorizationDetails',
      'iam:GetCredentialReport',
    ]);
    expect([...MEMBER_READER_ACTIONS].sort()).toEqual(allowedActions(t, roleId(t)));
    t.hasResourceProperties('AWS::IAM::Role', { RoleName: 'AccessProofReader' });
  });

  it('trusts only the collector role of the collector account, with the ExternalId', () => {
    // Arrange
    const t = memberTemplate({ collectorAccountId: '111122223333' });
    const { props } = onlyResource(t, 'AWS::IAM::Role');
    const params = t.toJSON().Parameters as Record<
      string,
      { Default?: string; AllowedPattern?: string; MinLength?: number }
    >;
    const arn = (resource: string) => ({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'CollectorAccountId' }, `:${resource}`],
      ],
    });

    // Assert
    expect(props.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: arn('root') },
          Condition: {
            StringEquals: { 'sts:ExternalId': { Ref: 'ExternalId' } },
            ArnEquals: { 'aws:PrincipalArn': arn('role/AccessProofCollector') },
          },
        },
      ],
    });
    expect(params.CollectorAccountId).toMatchObject({ Default: '111122223333', AllowedPattern: '^\\d{12}$' });
    // No default ExternalId (a published one is no guard), and a secret-like length.
    expect(params.ExternalId?.Default).toBeUndefined();
    expect(params.ExternalId?.MinLength).toBe(16);
  });

  it('is StackSet-ready: no bootstrap parameter or rule, no assets, no lookups', () => {
    // Arrange
    const t = memberTemplate().toJSON() as { Parameters?: Record<string, unknown>; Rules?: unknown };

    // Assert
    expect(Object.keys(t.Parameters ?? {}).sort()).toEqual(['CollectorAccountId', 'ExternalId']);
    expect(t.Rules).toBeUndefined();
    expect(JSON.stringify(t)).not.toMatch(/cdk-hnb659fds|AssetParameters|BootstrapVersion/);
  });

  it('adds exactly the IAM Identity Center reads when opted in', () => {
    // Arrange
    const t = memberTemplate({ identityCenter: true });

    // Assert
    expect(allowedActions(t, roleId(t))).toEqual(
      [...MEMBER_READER_ACTIONS, ...IDENTITY_CENTER_ACTIONS].sort(),
    );
    expect(IDENTITY_CENTER_ACTIONS).toEqual([
      'sso:ListPermissionSets',
      'sso:DescribePermissionSet',
      'sso:ListAccountAssignments',
      'sso:ListManagedPoliciesInPermissionSet',
      'sso:GetInlinePolicyForPermissionSet',
      'identitystore:ListUsers',
      'identitystore:ListGroupMemberships',
      'identitystore:DescribeUser',
    ]);
  });
});
