/**
 * `AccessProofMembers`: the read-only member role (member-account-stack.ts) in every account of
 * the given organizational units, as a service-managed CloudFormation StackSet with automatic
 * deployment — an account that joins an OU gets the role, one that leaves loses it. Place it in a
 * stack of the Organization's management account or of a CloudFormation delegated administrator
 * (`callAs: 'DELEGATED_ADMIN'`); trusted access for StackSets must be enabled in the Organization.
 *
 * Region-safe role name: IAM is global, so the role is deployed in ONE region per account (the
 * StackSet has exactly one region); a second region would try to create the same role name in
 * the same account and fail. The name derives from the deployment's prefix (names.ts), so two
 * AccessProof deployments get two roles. The collector calls IAM, which answers from any region.
 *
 * Service-managed StackSets never deploy to the management account itself: deploy the member
 * stack there by hand (`<prefix>-Member`), or its account is planned and fails as a source.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Tags, Token } from 'aws-cdk-lib';
import { CfnStackSet } from 'aws-cdk-lib/aws-cloudformation';
import { ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { MEMBER_READER_ACTIONS, MemberAccountStack, MIN_EXTERNAL_ID_LENGTH } from './member-account-stack';
import { deploymentNames } from './names';

/** `ou-xxxx-yyyyyyyy`, or the root `r-xxxx` for the whole Organization. */
const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
/** CloudFormation's limit on an inline template body. */
const MAX_TEMPLATE_BODY_BYTES = 51_200;

export interface AccessProofMembersProps {
  /** The account the AccessProof collector runs in (the scanner account). */
  collectorAccountId: string;
  /** The deployment's sts:ExternalId (16–1224 characters of `[\w+=,.@:/-]`): passed to every instance. */
  externalId: string;
  /** OUs (or the root `r-…`) whose accounts, present and future, get the role. */
  organizationalUnitIds: string[];
  /** The AccessProof deployment's `namePrefix`: gives the role and collector role names. @default 'AccessProof' */
  namePrefix?: string;
  /** @default '<namePrefix>Reader' */
  memberRoleName?: string;
  /** @default '<namePrefix>Collector' */
  collectorRoleName?: string;
  /**
   * The ONE region the (global) IAM role is deployed from in each account. @default this stack's
   * region (must then be concrete)
   */
  region?: string;
  /** Also grant the IAM Identity Center reads. @default false */
  identityCenter?: boolean;
  /** A customer managed policy NAME applied as the role's permissions boundary in each account. */
  permissionsBoundary?: string;
  /** Tags on the StackSet and on the role in each account. */
  tags?: Record<string, string>;
  /** `SELF` from the management account, `DELEGATED_ADMIN` from a delegated administrator. @default 'SELF' */
  callAs?: 'SELF' | 'DELEGATED_ADMIN';
  /**
   * Keep the role in an account that leaves the OUs. @default false: an account that leaves no
   * longer trusts the collector (the plan stops listing it too).
   */
  retainStacksOnAccountRemoval?: boolean;
  /** Accounts deployed at once, in percent. @default 25 */
  maxConcurrentPercentage?: number;
  /** Accounts that may fail per region before the operation stops, in percent. @default 10 */
  failureTolerancePercentage?: number;
  /** @default '<namePrefix>-Member' */
  stackSetName?: string;
}

/**
 * @example
 * const mgmt = new Stack(app, 'OrgMembers', { env: { account: '999900001111', region: 'eu-west-1' } });
 * new AccessProofMembers(mgmt, 'Members', { collectorAccountId: '111122223333',
 *   externalId: 'ap-7f3c9e1d5b2a4c60', organizationalUnitIds: ['ou-ab12-cdef3456'] });
 */
export class AccessProofMembers extends Construct {
  readonly stackSet: CfnStackSet;
  /** The member stack the StackSet deploys (synthesized in its own app; its template is the body). */
  readonly memberStack: MemberAccountStack;
  /** The body, as CloudFormation receives it. */
  readonly templateBody: string;
  readonly memberRoleName: string;
  readonly region: string;

  constructor(scope: Construct, id: string, props: AccessProofMembersProps) {
    super(scope, id);
    const names = deploymentNames(props.namePrefix, {
      memberRoleName: props.memberRoleName,
      collectorRoleName: props.collectorRoleName,
    });
    checkProps(props);
    const region = props.region ?? Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error(
        'AccessProofMembers: give region (the one region the IAM role is deployed from in each account) or an env region to the stack',
      );
    }
    this.region = region;
    this.memberRoleName = names.memberRoleName;

    // Its own app: the member template must stand alone (no assets, no bootstrap, no lookups), and
    // the outer app must not list it as a stack to deploy here.
    const memberApp = new App({ outdir: mkdtempSync(join(tmpdir(), 'accessproof-members-')) });
    this.memberStack = new MemberAccountStack(memberApp, 'Member', {
      stackName: names.stack('Member'),
      description:
        'AccessProof member account: read-only IAM inventory role for the collector (service-managed StackSet)',
      memberRoleName: names.memberRoleName,
      collectorRoleName: names.collectorRoleName,
      collectorAccountId: props.collectorAccountId,
      ...(props.identityCenter ? { identityCenter: true } : {}),
    });
    if (props.permissionsBoundary) {
      PermissionsBoundary.of(this.memberStack).apply(
        ManagedPolicy.fromManagedPolicyName(
          this.memberStack,
          'PermissionsBoundary',
          props.permissionsBoundary,
        ),
      );
    }
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this.memberStack).add(key, value);
    const template = memberApp.synth().getStackArtifact(this.memberStack.artifactId).template;
    this.templateBody = JSON.stringify(template);
    if (Buffer.byteLength(this.templateBody) > MAX_TEMPLATE_BODY_BYTES) {
      throw new Error(
        `AccessProofMembers: the member template is ${Buffer.byteLength(this.templateBody)} bytes, over CloudFormation's ${MAX_TEMPLATE_BODY_BYTES}-byte TemplateBody limit`,
      );
    }

    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: props.stackSetName ?? names.stack('Member'),
      description: `AccessProof member role ${names.memberRoleName} (read-only IAM inventory; ${MEMBER_READER_ACTIONS.length} actions) for the collector in ${props.collectorAccountId}`,
      permissionModel: 'SERVICE_MANAGED',
      callAs: props.callAs ?? 'SELF',
      autoDeployment: {
        enabled: true,
        retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false,
      },
      // The role has an explicit name.
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25,
        failureTolerancePercentage: props.failureTolerancePercentage ?? 10,
        regionConcurrencyType: 'SEQUENTIAL',
      },
      parameters: [
        { parameterKey: 'CollectorAccountId', parameterValue: props.collectorAccountId },
        { parameterKey: 'ExternalId', parameterValue: props.externalId },
      ],
      stackInstancesGroup: [
        {
          deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
          regions: [region],
        },
      ],
      templateBody: this.templateBody,
      ...(props.tags ? { tags: Object.entries(props.tags).map(([key, value]) => ({ key, value })) } : {}),
    });
  }
}

function checkProps(props: AccessProofMembersProps): void {
  if (!/^\d{12}$/.test(props.collectorAccountId))
    throw new Error(
      `AccessProofMembers: collectorAccountId must be a 12-digit AWS account id, got "${props.collectorAccountId}"`,
    );
  if (!new RegExp(`^[\\w+=,.@:/-]{${MIN_EXTERNAL_ID_LENGTH},1224}$`).test(props.externalId))
    throw new Error(
      `AccessProofMembers: externalId must be ${MIN_EXTERNAL_ID_LENGTH}-1224 characters of letters, digits and +=,.@:/-_ (the member template has no default)`,
    );
  if (props.organizationalUnitIds.length === 0)
    throw new Error('AccessProofMembers: organizationalUnitIds needs at least one OU (or the root r-…)');
  for (const ou of props.organizationalUnitIds)
    if (!OU_ID.test(ou))
      throw new Error(`AccessProofMembers: "${ou}" is not an OU id (ou-xxxx-yyyyyyyy) or a root id (r-xxxx)`);
  for (const [name, value, min] of [
    ['maxConcurrentPercentage', props.maxConcurrentPercentage, 1],
    ['failureTolerancePercentage', props.failureTolerancePercentage, 0],
  ] as const)
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > 100))
      throw new Error(`AccessProofMembers: ${name} must be a whole number ${min}-100, got ${value}`);
}
