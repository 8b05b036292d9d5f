/**
 * The member-account stack: the read-only role the collector assumes in every account. Built to be
 * deployed as a CloudFormation StackSet: no lookups, no assets, no bootstrap requirement; the
 * collector's account and the ExternalId are template parameters (the account defaults to the hub
 * when known; the ExternalId never has a default).
 */
import {
  Aws,
  BootstraplessSynthesizer,
  CfnOutput,
  CfnParameter,
  Fn,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { ArnPrincipal, Policy, PolicyStatement, PrincipalWithConditions, Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** The shortest ExternalId the member role accepts. */
export const MIN_EXTERNAL_ID_LENGTH = 16;

/** What the AWS IAM connector calls in each account. Nothing else. */
export const MEMBER_READER_ACTIONS = [
  'iam:GetAccountAuthorizationDetails',
  'iam:GenerateCredentialReport',
  'iam:GetCredentialReport',
];

/** IAM Identity Center reads (opt-in: only in the account that holds the instance). */
export const IDENTITY_CENTER_ACTIONS = [
  'sso:ListPermissionSets',
  'sso:DescribePermissionSet',
  'sso:ListAccountAssignments',
  'sso:ListManagedPoliciesInPermissionSet',
  'sso:GetInlinePolicyForPermissionSet',
  'identitystore:ListUsers',
  'identitystore:ListGroupMemberships',
  'identitystore:DescribeUser',
];

export interface MemberAccountStackProps extends StackProps {
  /** @default 'AccessProofReader' */
  memberRoleName?: string;
  /** Name of the collector Lambda's role in the hub account. @default 'AccessProofCollector' */
  collectorRoleName?: string;
  /** The hub (collector) account; becomes the `CollectorAccountId` parameter's default. */
  collectorAccountId?: string;
  /** Also grant the IAM Identity Center reads (deploy this variant where the instance lives). */
  identityCenter?: boolean;
}

/**
 * @example
 * new MemberAccountStack(app, 'Member', { collectorAccountId: '111122223333' });
 */
export class MemberAccountStack extends Stack {
  readonly readerRole: Role;

  constructor(scope: Construct, id: string, props: MemberAccountStackProps = {}) {
    // StackSet instances run in accounts that were never CDK-bootstrapped.
    super(scope, id, { synthesizer: new BootstraplessSynthesizer(), ...props });
    const roleName = props.memberRoleName ?? 'AccessProofReader';
    const collectorRoleName = props.collectorRoleName ?? 'AccessProofCollector';

    const collectorAccount = new CfnParameter(this, 'CollectorAccountId', {
      type: 'String',
      description: 'AWS account id where the AccessProof collector Lambda runs',
      allowedPattern: '^\\d{12}$',
      ...(props.collectorAccountId ? { default: props.collectorAccountId } : {}),
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      // No default: a template that carries one makes every account trust whoever learns it.
      description: 'sts:ExternalId the collector presents (confused-deputy guard): at least 16 characters',
      minLength: MIN_EXTERNAL_ID_LENGTH,
      maxLength: 1224,
      allowedPattern: '^[\\w+=,.@:/-]+$',
    });

    // Trust the collector account, narrowed to the collector role by aws:PrincipalArn: unlike a role
    // ARN principal, this keeps working if the collector role is ever re-created.
    const iamArn = (resource: string) =>
      Fn.join('', ['arn:', Aws.PARTITION, ':iam::', collectorAccount.valueAsString, `:${resource}`]);
    const collectorRoleArn = iamArn(`role/${collectorRoleName}`);
    this.readerRole = new Role(this, 'ReaderRole', {
      roleName,
      description: 'AccessProof: read-only IAM inventory for the scheduled access scan',
      assumedBy: new PrincipalWithConditions(new ArnPrincipal(iamArn('root')), {
        StringEquals: { 'sts:ExternalId': externalId.valueAsString },
        ArnEquals: { 'aws:PrincipalArn': collectorRoleArn },
      }),
    });

    const statements = [
      new PolicyStatement({ sid: 'ReadIamInventory', actions: MEMBER_READER_ACTIONS, resources: ['*'] }),
    ];
    if (props.identityCenter) {
      statements.push(
        new PolicyStatement({
          sid: 'ReadIdentityCenter',
          actions: IDENTITY_CENTER_ACTIONS,
          resources: ['*'],
        }),
      );
    }
    const policy = new Policy(this, 'ReaderPolicy', { statements });
    policy.attachToRole(this.readerRole);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.identityCenter
        ? 'iam:GetAccountAuthorizationDetails and the credential report APIs have no resource-level permissions; the Identity Center list/describe reads span every permission set and user of the instance.'
        : 'iam:GetAccountAuthorizationDetails, iam:GenerateCredentialReport and iam:GetCredentialReport have no resource-level permissions.',
    });

    new CfnOutput(this, 'ReaderRoleArn', { value: this.readerRole.roleArn });
  }
}
