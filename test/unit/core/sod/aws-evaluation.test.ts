// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${aws:username}` is IAM policy syntax, not a template
/**
 * Hand-written IAM cases, each answered from AWS's documented evaluation logic (the page is in the
 * case name, relative to https://docs.aws.amazon.com/IAM/latest/UserGuide/ or
 * https://docs.aws.amazon.com/organizations/latest/userguide/): does the subject hold function F
 * (the case's action on the case's resource)?
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadActionExpander, loadWildcardOnly } from '../../../../connectors/aws-iam/action-catalog';
import type { Entitlement } from '../../../../core/model';
import type { CompileOptions } from '../../../../core/sod';
import { compileRulesets, evaluateSod, functionsByIdentity, parseRuleset } from '../../../../core/sod';
import {
  ACCOUNT,
  type AccountSetup,
  awsInventory,
  type Doc,
  doc,
  OTHER,
  questionRuleset,
  type Subject,
  uidOf,
} from '../../../support/aws-evaluation';
import { makePrincipal } from '../../../support/factories';

const VARS = 'reference_policies_variables';
const VERSION = 'reference_policies_elements_version';
const RESOURCE = 'reference_policies_elements_resource';
const NOTRESOURCE = 'reference_policies_elements_notresource';
const EVAL = 'reference_policies_evaluation-logic';
const BOUNDARY = 'access_policies_boundaries';
const NOTACTION = 'reference_policies_elements_notaction';
const SCP = 'orgs_manage_policies_scps_evaluation';
const RCP = 'orgs_manage_policies_rcps_evaluation';

const allow = (Action: string | string[], Resource: string | string[] = '*', extra: Doc = {}): Doc => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const deny = (Action: string | string[], Resource: string | string[] = '*', extra: Doc = {}): Doc => ({
  Effect: 'Deny',
  Action,
  Resource,
  ...extra,
});
const ADMIN = doc(allow('*'));
const RCP_FULL = doc({ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' });
const rcpDeny = (Action: string, extra: Doc = {}): Doc => ({
  Effect: 'Deny',
  Principal: '*',
  Action,
  Resource: '*',
  ...extra,
});
const FULL_ACCESS = doc(allow('*'));

const quinn = (over: Partial<Subject> = {}): Subject => ({
  name: 'quinn',
  userId: 'AIDAQUINN',
  tags: { team: 'payments' },
  ...over,
});
const deploy = (over: Partial<Subject> = {}): Subject => ({
  name: 'Deploy',
  type: 'iam-role',
  userId: 'AROADEPLOY',
  ...over,
});

interface Case {
  name: string;
  subject: Subject;
  accounts?: Record<string, AccountSetup>;
  action: string | string[];
  /** The rule's resource; undefined = any resource. */
  resource?: string;
  holds: boolean;
  /** Text an evidence note must contain (the case must hold). */
  note?: string;
}

const USER_ARN = (name: string) => `arn:aws:iam::${ACCOUNT}:user/${name}`;
const own = (Action: string) => doc(allow(Action, `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`));

const CASES: Case[] = [
  // Policy variables.
  {
    name: `${VARS}: \${aws:username} in an Allow gives quinn her own user`,
    subject: quinn({ policies: [own('iam:CreateAccessKey')] }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: true,
  },
  {
    name: `${VARS}: \${aws:username} in an Allow does not give another user`,
    subject: quinn({ policies: [own('iam:CreateAccessKey')] }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('ava'),
    holds: false,
  },
  {
    name: `${VARS}: \${aws:username} in an Allow answers a rule on any resource`,
    subject: quinn({ policies: [own('iam:UploadSSHPublicKey')] }),
    action: 'iam:UploadSSHPublicKey',
    holds: true,
  },
  {
    name: `${VERSION}: Version 2008-10-17 reads \${aws:username} as literal text`,
    subject: quinn({
      policies: [
        {
          Version: '2008-10-17',
          Statement: [allow('iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`)],
        },
      ],
    }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: false,
  },
  {
    name: `${VERSION}: a document without Version reads \${aws:username} as literal text`,
    subject: quinn({
      policies: [
        { Statement: [allow('iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`)] },
      ],
    }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: false,
  },
  {
    name: `${VARS}: a Deny on home/\${aws:username}/* denies ava her own folder`,
    subject: {
      name: 'ava',
      policies: [doc(allow('s3:*'), deny('s3:DeleteObject', 'arn:aws:s3:::home/${aws:username}/*'))],
    },
    action: 's3:DeleteObject',
    resource: 'arn:aws:s3:::home/ava/f',
    holds: false,
  },
  {
    name: `${VARS}: a Deny on home/\${aws:username}/* leaves ava another folder`,
    subject: {
      name: 'ava',
      policies: [doc(allow('s3:*'), deny('s3:DeleteObject', 'arn:aws:s3:::home/${aws:username}/*'))],
    },
    action: 's3:DeleteObject',
    resource: 'arn:aws:s3:::home/zoe/f',
    holds: true,
  },
  {
    name: `${NOTRESOURCE} + ${VARS}: a Deny with NotResource user/\${aws:username} leaves quinn her own user`,
    subject: quinn({
      policies: [
        doc(allow('iam:*'), {
          Effect: 'Deny',
          Action: 'iam:CreateAccessKey',
          NotResource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
        }),
      ],
    }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: true,
  },
  {
    name: `${NOTRESOURCE} + ${VARS}: a Deny with NotResource user/\${aws:username} denies other users`,
    subject: quinn({
      policies: [
        doc(allow('iam:*'), {
          Effect: 'Deny',
          Action: 'iam:CreateAccessKey',
          NotResource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
        }),
      ],
    }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('ava'),
    holds: false,
  },
  {
    name: `${VERSION}: under 2008-10-17 that NotResource is literal, so the Deny covers quinn's own user`,
    subject: quinn({
      policies: [
        {
          Version: '2008-10-17',
          Statement: [
            allow('iam:*'),
            {
              Effect: 'Deny',
              Action: 'iam:CreateAccessKey',
              NotResource: `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
            },
          ],
        },
      ],
    }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: false,
  },
  {
    name: `${VARS} (tags as policy variables): \${aws:PrincipalTag/team} matches the tag's value`,
    subject: quinn({
      policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::team-${aws:PrincipalTag/team}/*'))],
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::team-payments/x',
    holds: true,
  },
  {
    name: `${VARS} (tags as policy variables): \${aws:PrincipalTag/team} does not match another team`,
    subject: quinn({
      policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::team-${aws:PrincipalTag/team}/*'))],
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::team-hr/x',
    holds: false,
  },
  {
    name: `${VARS} (no value): a missing tag makes the Resource match nothing`,
    subject: quinn({
      tags: {},
      policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::team-${aws:PrincipalTag/team}/*'))],
    }),
    action: 's3:PutObject',
    holds: false,
  },
  {
    name: `${VARS} (default values): a missing tag takes the default`,
    subject: quinn({
      tags: {},
      policies: [doc(allow('s3:PutObject', "arn:aws:s3:::team-${aws:PrincipalTag/team, 'shared'}/*"))],
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::team-shared/x',
    holds: true,
  },
  {
    name: `${VARS}: \${aws:userid} of a user is its unique id`,
    subject: quinn({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::home/${aws:userid}/*'))] }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::home/AIDAQUINN/x',
    holds: true,
  },
  {
    name: `${VARS}: \${aws:PrincipalAccount} is the principal's account`,
    subject: quinn({
      policies: [doc(allow('dynamodb:PutItem', 'arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/*'))],
    }),
    action: 'dynamodb:PutItem',
    resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/ledger`,
    holds: true,
  },
  {
    name: `${VARS}: \${aws:PrincipalAccount} does not match another account`,
    subject: quinn({
      policies: [doc(allow('dynamodb:PutItem', 'arn:aws:dynamodb:*:${aws:PrincipalAccount}:table/*'))],
    }),
    action: 'dynamodb:PutItem',
    resource: 'arn:aws:dynamodb:us-east-1:999999999999:table/ledger',
    holds: false,
  },
  {
    name: `${VARS}: \${aws:PrincipalType} of a role session is AssumedRole, not User`,
    subject: deploy({
      policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::uploads/${aws:PrincipalType}/*'))],
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::uploads/User/x',
    holds: false,
  },
  {
    name: `${VARS}: \${aws:PrincipalType} of a user is User`,
    subject: quinn({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::uploads/${aws:PrincipalType}/*'))] }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::uploads/User/x',
    holds: true,
  },
  {
    name: `${VARS}: \${aws:PrincipalArn} is the principal's ARN`,
    subject: quinn({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::audit/${aws:PrincipalArn}/*'))] }),
    action: 's3:PutObject',
    resource: `arn:aws:s3:::audit/${USER_ARN('quinn')}/x`,
    holds: true,
  },
  {
    name: `${VARS} (no value): \${aws:username} has no value for a role, so nothing is allowed`,
    subject: deploy({ policies: [own('iam:CreateAccessKey')] }),
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${VARS}: a request variable (\${aws:SourceIp}) in an Allow is not evaluated and counts as allowing`,
    subject: quinn({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::logs/${aws:SourceIp}/*'))] }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::logs/10.0.0.1/x',
    holds: true,
    note: 'depends on the request',
  },
  {
    name: `${VARS}: a request variable (\${s3:prefix}) in a Deny is not evaluated and does not count as denying`,
    subject: quinn({
      policies: [doc(allow('s3:*'), deny('s3:PutObject', 'arn:aws:s3:::logs/${s3:prefix}'))],
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::logs/x',
    holds: true,
    note: 'not counted as denying',
  },
  {
    name: `${VARS} (special characters): \${*} is a literal star, not a wildcard`,
    subject: quinn({ policies: [doc(allow('s3:GetObject', 'arn:aws:s3:::lit/${*}'))] }),
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::lit/x',
    holds: false,
  },
  {
    name: `${VARS} (special characters): the object literally named * is still in lit/`,
    subject: quinn({ policies: [doc(allow('s3:GetObject', 'arn:aws:s3:::lit/${*}'))] }),
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::lit/*',
    holds: true,
  },
  {
    name: `${VARS} (special characters): \${$} is a literal dollar`,
    subject: quinn({ policies: [doc(allow('s3:GetObject', 'arn:aws:s3:::cash/${$}100'))] }),
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::cash/$100',
    holds: true,
  },
  {
    name: `${VARS} (special characters): \${?} is a literal question mark, not one character`,
    subject: quinn({ policies: [doc(allow('s3:GetObject', 'arn:aws:s3:::q/${?}'))] }),
    action: 's3:GetObject',
    resource: 'arn:aws:s3:::q/a',
    holds: false,
  },
  {
    name: `${VARS}: a role's \${aws:userid} is its id and any session name`,
    subject: deploy({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::home/${aws:userid}/*'))] }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::home/AROADEPLOY:ci-run/x',
    holds: true,
    note: 'depends on the request',
  },

  // Actions without resource types are evaluated on "*".
  {
    name: `${RESOURCE}: ec2:DescribeInstances (no resource type) is not allowed by a statement naming instance ARNs`,
    subject: quinn({
      policies: [doc(allow('ec2:DescribeInstances', `arn:aws:ec2:*:${ACCOUNT}:instance/*`))],
    }),
    action: 'ec2:DescribeInstances',
    holds: false,
  },
  {
    name: `${RESOURCE}: ec2:DescribeInstances is allowed by Resource "*"`,
    subject: quinn({ policies: [doc(allow('ec2:DescribeInstances'))] }),
    action: 'ec2:DescribeInstances',
    holds: true,
  },
  {
    name: `${RESOURCE}: a pattern that cannot match "*" (arn:aws:ec2:*) does not allow a resource-less action`,
    subject: quinn({ policies: [doc(allow('ec2:Describe*', 'arn:aws:ec2:*'))] }),
    action: 'ec2:DescribeInstances',
    holds: false,
  },
  {
    name: `${NOTRESOURCE}: NotResource arn:aws:s3:::* does not exclude "*", so the resource-less action is allowed`,
    subject: quinn({
      policies: [doc({ Effect: 'Allow', Action: 'ec2:DescribeInstances', NotResource: 'arn:aws:s3:::*' })],
    }),
    action: 'ec2:DescribeInstances',
    holds: true,
  },
  {
    name: `${NOTRESOURCE}: NotResource "*" excludes the resource-less action`,
    subject: quinn({ policies: [doc({ Effect: 'Allow', Action: 'ec2:*', NotResource: '*' })] }),
    action: 'ec2:DescribeInstances',
    holds: false,
  },
  {
    name: `${RESOURCE} + ${EVAL}: a Deny on instance ARNs does not deny a resource-less action`,
    subject: quinn({ policies: [ADMIN, doc(deny('ec2:DescribeInstances', 'arn:aws:ec2:*:*:instance/*'))] }),
    action: 'ec2:DescribeInstances',
    holds: true,
  },
  {
    name: `${RESOURCE} + ${EVAL}: a Deny on "*" denies a resource-less action`,
    subject: quinn({ policies: [ADMIN, doc(deny('ec2:DescribeInstances'))] }),
    action: 'ec2:DescribeInstances',
    holds: false,
  },
  {
    name: `${RESOURCE}: a rule's resource "*" is the literal resource, not allowed by an Allow on one bucket`,
    subject: quinn({ policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::pay/*'))] }),
    action: 's3:PutObject',
    resource: '*',
    holds: false,
  },
  {
    name: `${RESOURCE}: a rule's resource "*" is allowed by Resource "*"`,
    subject: quinn({ policies: [doc(allow('s3:PutObject'))] }),
    action: 's3:PutObject',
    resource: '*',
    holds: true,
  },
  {
    name: `${RESOURCE}: an action with resource types is matched against resource patterns as before`,
    subject: quinn({ policies: [doc(allow('ec2:RunInstances', 'arn:aws:ec2:*:*:instance/*'))] }),
    action: 'ec2:RunInstances',
    holds: true,
  },

  // Permissions boundaries.
  {
    name: `${BOUNDARY}: an administrator bounded to S3 does not hold iam:CreateAccessKey`,
    subject: quinn({ policies: [ADMIN], boundary: doc(allow('s3:*')) }),
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${BOUNDARY}: an administrator bounded to S3 holds s3:PutObject`,
    subject: quinn({ policies: [ADMIN], boundary: doc(allow('s3:*')) }),
    action: 's3:PutObject',
    holds: true,
  },
  {
    name: `${BOUNDARY}: a boundary allowing iam:* grants nothing the identity policy does not`,
    subject: quinn({ policies: [doc(allow('s3:*'))], boundary: doc(allow('iam:*')) }),
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${BOUNDARY} + ${EVAL}: a Deny in the boundary applies`,
    subject: quinn({ policies: [ADMIN], boundary: doc(allow('*'), deny('s3:DeleteBucket')) }),
    action: 's3:DeleteBucket',
    holds: false,
  },
  {
    name: `${BOUNDARY} + ${NOTACTION}: a boundary allowing NotAction iam:* allows ec2:RunInstances`,
    subject: quinn({
      policies: [ADMIN],
      boundary: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    }),
    action: 'ec2:RunInstances',
    holds: true,
  },
  {
    name: `${BOUNDARY} + ${NOTACTION}: a boundary allowing NotAction iam:* does not allow iam:CreateAccessKey`,
    subject: quinn({
      policies: [ADMIN],
      boundary: doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }),
    }),
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${BOUNDARY}: boundary and identity policy allowing s3:PutObject on different buckets allow neither`,
    subject: quinn({
      policies: [doc(allow('s3:PutObject', 'arn:aws:s3:::bucket-b/*'))],
      boundary: doc(allow('s3:PutObject', 'arn:aws:s3:::bucket-a/*')),
    }),
    action: 's3:PutObject',
    holds: false,
  },
  {
    name: `${BOUNDARY}: boundary and identity policy overlapping on pay/* allow it`,
    subject: quinn({
      policies: [doc(allow('s3:*', 'arn:aws:s3:::pay/*'))],
      boundary: doc(allow('s3:PutObject')),
    }),
    action: 's3:PutObject',
    resource: 'arn:aws:s3:::pay/x',
    holds: true,
  },
  {
    name: `${BOUNDARY}: a role's boundary bounds the role too`,
    subject: deploy({ policies: [ADMIN], boundary: doc(allow('dynamodb:*')) }),
    action: 'iam:PassRole',
    holds: false,
  },
  {
    name: `${BOUNDARY}: a boundary whose document is not exported is reported and not applied`,
    subject: quinn({ policies: [ADMIN], boundary: 'missing' }),
    action: 'iam:CreateAccessKey',
    holds: true,
    note: 'could not be evaluated',
  },
  {
    name: `${BOUNDARY} + ${VARS}: a boundary on user/\${aws:username} keeps quinn to her own user`,
    subject: quinn({ policies: [ADMIN], boundary: own('iam:*') }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('ava'),
    holds: false,
  },
  {
    name: `${BOUNDARY} + ${VARS}: a boundary on user/\${aws:username} allows quinn's own user`,
    subject: quinn({ policies: [ADMIN], boundary: own('iam:*') }),
    action: 'iam:CreateAccessKey',
    resource: USER_ARN('quinn'),
    holds: true,
  },
  {
    name: `${BOUNDARY}: identity allowing one action and boundary another allow neither (one request needs both)`,
    subject: quinn({ policies: [doc(allow('s3:PutObject'))], boundary: doc(allow('iam:CreateAccessKey')) }),
    action: ['s3:PutObject', 'iam:CreateAccessKey'],
    holds: false,
  },

  // Service control policies.
  {
    name: `${SCP}: an OU's SCP denying iam:* removes iam:CreateAccessKey from an administrator`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS], [FULL_ACCESS, doc(deny('iam:*'))], [FULL_ACCESS]] } },
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${SCP}: an OU's SCP denying iam:* leaves s3:PutObject`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS], [FULL_ACCESS, doc(deny('iam:*'))], [FULL_ACCESS]] } },
    action: 's3:PutObject',
    holds: true,
  },
  {
    name: `${SCP}: an allow-list OU (s3, ec2) without FullAWSAccess removes iam:CreateAccessKey`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS], [doc(allow(['s3:*', 'ec2:*']))], [FULL_ACCESS]] } },
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${SCP}: an allow-list OU (s3, ec2) keeps s3:PutObject`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS], [doc(allow(['s3:*', 'ec2:*']))], [FULL_ACCESS]] } },
    action: 's3:PutObject',
    holds: true,
  },
  {
    name: `${SCP}: every level must allow: OU allows s3:*, the account only dynamodb:*`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS], [doc(allow('s3:*'))], [doc(allow('dynamodb:*'))]] } },
    action: 's3:PutObject',
    holds: false,
  },
  {
    name: `${SCP}: an account without SCP levels (the management account) is not restricted`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { policies: { SCPs: 'exempt (management account)' } } },
    action: 'iam:CreateAccessKey',
    holds: true,
  },
  {
    name: `${SCP}: SCPs do not restrict service-linked roles`,
    subject: deploy({ type: 'service-linked-role', policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS, doc(deny('iam:*'))]] } },
    action: 'iam:CreateAccessKey',
    holds: true,
  },
  {
    name: `${SCP} + ${NOTACTION}: a Deny NotAction s3:* denies iam:CreateAccessKey`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: {
      [ACCOUNT]: { scp: [[FULL_ACCESS, doc({ Effect: 'Deny', NotAction: 's3:*', Resource: '*' })]] },
    },
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${SCP} + ${NOTACTION}: a Deny NotAction s3:* leaves s3:PutObject`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: {
      [ACCOUNT]: { scp: [[FULL_ACCESS, doc({ Effect: 'Deny', NotAction: 's3:*', Resource: '*' })]] },
    },
    action: 's3:PutObject',
    holds: true,
  },
  {
    name: `${SCP} + ${BOUNDARY}: the boundary allows iam:*, an SCP denies iam:CreateAccessKey`,
    subject: quinn({ policies: [ADMIN], boundary: doc(allow('iam:*')) }),
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS, doc(deny('iam:CreateAccessKey'))]] } },
    action: 'iam:CreateAccessKey',
    holds: false,
  },
  {
    name: `${SCP}: an SCP Deny with a Condition is not evaluated and does not count as denying`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: {
      [ACCOUNT]: {
        scp: [
          [
            FULL_ACCESS,
            doc(
              deny('iam:*', '*', { Condition: { StringNotEquals: { 'aws:PrincipalTag/team': 'security' } } }),
            ),
          ],
        ],
      },
    },
    action: 'iam:CreateAccessKey',
    holds: true,
    note: 'Deny with a Condition',
  },
  // RCPs: Deny-only (RCPFullAWSAccess is at every level), on resources of their own account.
  {
    name: `${RCP}: an RCP Deny (Principal *) of kms:Decrypt removes it on the account's own keys`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL], [RCP_FULL, doc(rcpDeny('kms:Decrypt'))]] } },
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`,
    holds: false,
  },
  {
    name: `${RCP}: the same RCP does not protect keys of another account`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('kms:Decrypt'))]] } },
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:eu-west-1:${OTHER}:key/*`,
    holds: true,
    note: `RCPs of account ${ACCOUNT} deny part of this function`,
  },
  {
    name: `${RCP}: the resource account's RCP applies to a caller from another account of the run`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [OTHER]: { rcp: [[RCP_FULL, doc(rcpDeny('kms:Decrypt'))]] } },
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:eu-west-1:${OTHER}:key/*`,
    holds: false,
  },
  {
    name: `${RCP}: an S3 object ARN names no account, so the RCP is not applied to it (and the evidence says so)`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('s3:DeleteObject'))]] } },
    action: 's3:DeleteObject',
    resource: 'arn:aws:s3:::payment-files/*',
    holds: true,
    note: 'not to resources whose ARN names no account (S3 buckets)',
  },
  {
    name: `${RCP}: an RCP Deny with a Condition (aws:PrincipalOrgID) is not evaluated and does not count`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: {
      [ACCOUNT]: {
        rcp: [
          [
            RCP_FULL,
            doc(
              rcpDeny('kms:Decrypt', {
                Condition: { StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-exampleorg' } },
              }),
            ),
          ],
        ],
      },
    },
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`,
    holds: true,
    note: 'Deny with a Condition',
  },
  {
    name: `${RCP}: RCPs do not restrict service-linked roles`,
    subject: deploy({ type: 'service-linked-role', policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('kms:*'))]] } },
    action: 'kms:Decrypt',
    resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`,
    holds: true,
  },
  {
    name: `${RCP}: an RCP Deny leaves what it does not name (kms:Encrypt)`,
    subject: quinn({ policies: [ADMIN] }),
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('kms:Decrypt'))]] } },
    action: 'kms:Encrypt',
    resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/*`,
    holds: true,
  },
];

describe('AWS evaluation, case by case', () => {
  let options: CompileOptions;
  beforeAll(async () => {
    options = { expandAction: await loadActionExpander(), wildcardOnly: await loadWildcardOnly() };
  });

  it('has enough hand-written cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(55);
  });

  it.each(CASES)('$name', (c) => {
    // Arrange
    const inv = awsInventory([c.subject], c.accounts);
    const compiled = questionRuleset(c.action, c.resource, options);

    // Act
    const held = functionsByIdentity(inv, compiled).get(`principal:${uidOf(c.subject)}`) ?? [];

    // Assert
    expect(held.includes('F')).toBe(c.holds);
    if (c.note) {
      // The evidence of a conflict on F carries the note: pair F with a function the subject holds.
      const withPair = questionRulesetEvidence(c, options);
      expect(withPair).toContain(c.note);
    }
  });
});

/** The evidence notes of a conflict F + ANY (ANY held by everyone through an entitlement name). */
function questionRulesetEvidence(c: Case, options: CompileOptions): string {
  const inv = awsInventory([c.subject], c.accounts);
  const compiled = questionRuleset(c.action, c.resource, options, `${c.subject.name}-p0`);
  return evaluateSod(inv, compiled)
    .flatMap((d) => d.evidence.map((e) => e.text))
    .join('\n');
}

const TRUST = 'reference_policies_elements_principal';
const ASSUME = 'id_roles_manage-assume';
const CROSS = 'reference_policies_evaluation-logic-cross-account';
const CHAIN = 'id_roles_terms-and-concepts (role chaining)';

const trustDoc = (Principal: unknown, extra: Doc = {}): Doc =>
  doc({ Effect: 'Allow', Principal, Action: 'sts:AssumeRole', ...extra });
const PAYMENTS_POLICY = doc(allow('s3:PutObject', 'arn:aws:s3:::payment-files/*'));
const ROLE_ARN = (name: string, account = ACCOUNT) => `arn:aws:iam::${account}:role/${name}`;
const mayAssume = (resource = '*') => doc(allow('sts:AssumeRole', resource));
const payments = (trust: Doc, over: Partial<Subject> = {}): Subject =>
  deploy({ name: 'PaymentsRole', userId: 'AROAPAY', policies: [PAYMENTS_POLICY], trust, ...over });
const alice = (over: Partial<Subject> = {}): Subject => ({ name: 'alice', policies: [mayAssume()], ...over });

interface ReachCase {
  name: string;
  subjects: Subject[];
  accounts?: Record<string, AccountSetup>;
  /** Whose functions are asked about (default: the first subject). */
  caller?: Subject;
  holds: boolean;
  /** Text the evidence must contain when it holds. */
  evidence?: string;
}

const REACH: ReachCase[] = [
  {
    name: `${TRUST} + ${ASSUME}: trust naming alice's ARN and her Allow on sts:AssumeRole give her the role's functions`,
    subjects: [alice(), payments(trustDoc({ AWS: USER_ARN('alice') }))],
    holds: true,
    evidence: `alice → can assume PaymentsRole (trust: ${USER_ARN('alice')}) (role chain depth 1) → holds F "The question" through PaymentsRole-p0 → s3:PutObject on arn:aws:s3:::payment-files/*`,
  },
  {
    name: `${EVAL} (resource-based policies, same account): a trust policy naming alice's ARN suffices without her own Allow`,
    subjects: [alice({ policies: [] }), payments(trustDoc({ AWS: USER_ARN('alice') }))],
    holds: true,
  },
  {
    name: `${TRUST} (account principals): trust of the account root needs alice's own Allow, which she has`,
    subjects: [alice(), payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` }))],
    holds: true,
  },
  {
    name: `${TRUST} (account principals): trust of the account root (bare account id) without alice's Allow reaches nothing`,
    subjects: [alice({ policies: [doc(allow('s3:GetObject'))] }), payments(trustDoc({ AWS: ACCOUNT }))],
    holds: false,
  },
  {
    name: `${TRUST}: a trust policy naming bob does not let alice in, whatever her policy`,
    subjects: [alice(), { name: 'bob' }, payments(trustDoc({ AWS: USER_ARN('bob') }))],
    holds: false,
  },
  {
    name: `${TRUST} (service principals): a role trusted by ec2.amazonaws.com is not assumable by alice`,
    subjects: [alice(), payments(trustDoc({ Service: 'ec2.amazonaws.com' }))],
    holds: false,
  },
  {
    name: `${TRUST} (federated principals): a role trusted by a SAML provider is not assumable by an IAM user`,
    subjects: [
      alice(),
      payments(
        doc({
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::${ACCOUNT}:saml-provider/Okta` },
          Action: 'sts:AssumeRoleWithSAML',
        }),
      ),
    ],
    holds: false,
  },
  {
    name: `${CROSS}: a role in another account trusting alice's account root, and her Allow, give her its functions`,
    subjects: [
      alice(),
      payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` }), { account: '222222222222' }),
    ],
    holds: true,
  },
  {
    name: `${CROSS}: across accounts a trust naming alice's ARN is not enough without her own Allow`,
    subjects: [
      alice({ policies: [] }),
      payments(trustDoc({ AWS: USER_ARN('alice') }), { account: '222222222222' }),
    ],
    holds: false,
  },
  {
    name: `${ASSUME} + ${EVAL}: alice's Allow names another role's ARN only`,
    subjects: [
      alice({ policies: [mayAssume(ROLE_ARN('Other'))] }),
      payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` })),
    ],
    holds: false,
  },
  {
    name: `${SCP}: an SCP denying sts:AssumeRole stops alice reaching the role`,
    subjects: [alice(), payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` }))],
    accounts: { [ACCOUNT]: { scp: [[FULL_ACCESS, doc(deny('sts:AssumeRole'))]] } },
    holds: false,
  },
  {
    name: `${RCP}: an RCP of the role's account denying sts:AssumeRole stops alice reaching the role`,
    subjects: [alice(), payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` }))],
    accounts: { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('sts:AssumeRole'))]] } },
    holds: false,
  },
  {
    name: `${RCP}: an RCP of another account does not stop alice reaching a role of hers`,
    subjects: [alice(), payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` }))],
    accounts: { [OTHER]: { rcp: [[RCP_FULL, doc(rcpDeny('sts:AssumeRole'))]] } },
    holds: true,
  },
  {
    name: `${BOUNDARY}: alice's boundary not allowing sts:AssumeRole stops her reaching the role`,
    subjects: [
      alice({ boundary: doc(allow('s3:*')) }),
      payments(trustDoc({ AWS: `arn:aws:iam::${ACCOUNT}:root` })),
    ],
    holds: false,
  },
  {
    name: `${EVAL}: a Deny in alice's own policy on sts:AssumeRole beats the trust naming her`,
    subjects: [
      alice({ policies: [doc(deny('sts:AssumeRole'))] }),
      payments(trustDoc({ AWS: USER_ARN('alice') })),
    ],
    holds: false,
  },
  {
    name: `${TRUST} + ${EVAL}: a Deny for alice in the trust policy beats its Allow`,
    subjects: [
      alice(),
      payments(
        doc(
          { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
          { Effect: 'Deny', Principal: { AWS: USER_ARN('alice') }, Action: 'sts:AssumeRole' },
        ),
      ),
    ],
    holds: false,
  },
  {
    name: `${TRUST}: a trust Condition is not evaluated and counts as allowing (the evidence says so)`,
    subjects: [
      alice(),
      payments(
        trustDoc(
          { AWS: USER_ARN('alice') },
          { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
        ),
      ),
    ],
    holds: true,
    evidence: 'has a Condition, not evaluated',
  },
  {
    name: `${CHAIN}: alice → Hop → PaymentsRole gives her PaymentsRole's functions at depth 2`,
    subjects: [
      alice({ policies: [mayAssume(ROLE_ARN('Hop'))] }),
      deploy({
        name: 'Hop',
        policies: [mayAssume(ROLE_ARN('PaymentsRole'))],
        trust: trustDoc({ AWS: USER_ARN('alice') }),
      }),
      payments(trustDoc({ AWS: ROLE_ARN('Hop') })),
    ],
    holds: true,
    evidence: 'role chain depth 2',
  },
  {
    name: `${CHAIN}: a cycle Hop ⇄ Loop ends, and alice still reaches PaymentsRole through it`,
    subjects: [
      alice({ policies: [mayAssume(ROLE_ARN('Hop'))] }),
      deploy({
        name: 'Hop',
        policies: [mayAssume()],
        trust: trustDoc({ AWS: [USER_ARN('alice'), ROLE_ARN('Loop')] }),
      }),
      deploy({ name: 'Loop', policies: [mayAssume()], trust: trustDoc({ AWS: ROLE_ARN('Hop') }) }),
      payments(trustDoc({ AWS: ROLE_ARN('Loop') })),
    ],
    holds: true,
    evidence: 'role chain depth 3',
  },
  {
    name: `${TRUST}: Principal "*" with alice's Allow lets her in`,
    subjects: [alice(), payments(trustDoc('*'))],
    holds: true,
  },
  {
    name: `${TRUST} (role session principals): an assumed-role session ARN names the role`,
    subjects: [
      alice({ policies: [mayAssume(ROLE_ARN('Hop'))] }),
      deploy({ name: 'Hop', policies: [mayAssume()], trust: trustDoc({ AWS: USER_ARN('alice') }) }),
      payments(trustDoc({ AWS: `arn:aws:sts::${ACCOUNT}:assumed-role/Hop/ci` })),
    ],
    holds: true,
  },
];

describe('AWS role reach through trust policies, case by case', () => {
  let options: CompileOptions;
  beforeAll(async () => {
    options = { expandAction: await loadActionExpander(), wildcardOnly: await loadWildcardOnly() };
  });

  it('has hand-written trust and chaining cases', () => {
    expect(REACH.length + CASES.length).toBeGreaterThanOrEqual(75);
  });

  it.each(REACH)('$name', (c) => {
    // Arrange
    const inv = awsInventory(c.subjects, c.accounts);
    const caller = c.caller ?? c.subjects[0]!;
    const compiled = questionRuleset('s3:PutObject', 'arn:aws:s3:::payment-files/*', options);

    // Act
    const held = functionsByIdentity(inv, compiled).get(`principal:${uidOf(caller)}`) ?? [];

    // Assert
    expect(held.includes('F')).toBe(c.holds);
    if (c.evidence) {
      // A conflict needs a second function: alice's identity holds her own policy entitlement.
      const paired = questionRuleset(
        's3:PutObject',
        'arn:aws:s3:::payment-files/*',
        options,
        `${caller.name}-p0`,
      );
      const drafts = evaluateSod(inv, paired).filter(
        (d) => d.subject.identity === `principal:${uidOf(caller)}`,
      );
      expect(drafts.flatMap((d) => d.evidence.map((e) => e.text)).join('\n')).toContain(c.evidence);
    }
  });

  describe('federation (SAML)', () => {
    const PROVIDER = `arn:aws:iam::${ACCOUNT}:saml-provider/EntraID`;
    const samlTrust = doc({
      Effect: 'Allow',
      Principal: { Federated: PROVIDER },
      Action: 'sts:AssumeRoleWithSAML',
      Condition: { StringEquals: { 'SAML:aud': 'https://signin.aws.amazon.com/saml' } },
    });
    /** An Entra user assigned the AWS SAML app's role whose value maps to `value`. */
    const entraUser = (value: string, status: 'active' | 'disabled' = 'active') => {
      const user = makePrincipal({
        system: 'entra',
        sourceId: 'entra',
        nativeId: 'u-dana',
        name: 'dana',
        status,
      });
      const role: Entitlement = {
        uid: 'entra:entra:servicePrincipals/aws-app/appRoles/r1',
        system: 'entra',
        tenant: 'entra',
        sourceId: 'entra',
        nativeId: 'servicePrincipals/aws-app/appRoles/r1',
        type: 'app-role',
        name: 'AWS Single-Account Access:Payments',
        privileged: false,
        permissions: [value],
      };
      return {
        user,
        extra: {
          principals: [user],
          entitlements: [role],
          grants: [{ principal: user.uid, entitlement: role.uid, path: [] }],
        },
      };
    };
    const heldBy = (inv: ReturnType<typeof awsInventory>, uid: string) =>
      functionsByIdentity(inv, questionRuleset('s3:PutObject', 'arn:aws:s3:::payment-files/*', options)).get(
        `principal:${uid}`,
      ) ?? [];

    it(`${TRUST} (federated principals): an Entra user the AWS SAML app maps to PaymentsRole through the trusted provider holds its functions, with the chain in the evidence`, () => {
      const { user, extra } = entraUser(`${ROLE_ARN('PaymentsRole')},${PROVIDER}`);
      const inv = awsInventory([payments(samlTrust)], {}, extra);
      expect(heldBy(inv, user.uid)).toContain('F');
      const paired = compileRulesets([
        parseRuleset(
          `version: 1
functions:
  - id: F
    name: The question
    grants:
      - system: aws
        action: [s3:PutObject]
        resource: "arn:aws:s3:::payment-files/*"
  - id: G
    name: Entra app
    grants:
      - system: entra
        entitlement: ["AWS Single-Account Access:Payments"]
risks:
  - id: R
    title: question
    functions: [F, G]
    severity: low
`,
          'inline.yaml',
        ),
      ]);
      const text = evaluateSod(inv, paired)
        .flatMap((d) => d.evidence.map((e) => e.text))
        .join('\n');
      expect(text).toContain(
        `dana → can assume PaymentsRole (trust: ${PROVIDER} (SAML, through "AWS Single-Account Access:Payments"))`,
      );
      expect(text).toContain('anyone else the provider may send is decided in the provider');
      expect(text).toContain('has a Condition, not evaluated');
    });

    it(`${TRUST} (federated principals): a mapping through another provider, or to another role, reaches nothing`, () => {
      const other = entraUser(`${ROLE_ARN('PaymentsRole')},arn:aws:iam::${ACCOUNT}:saml-provider/Okta`);
      expect(heldBy(awsInventory([payments(samlTrust)], {}, other.extra), other.user.uid)).not.toContain('F');
      const elsewhere = entraUser(`${ROLE_ARN('AuditRole')},${PROVIDER}`);
      expect(
        heldBy(awsInventory([payments(samlTrust)], {}, elsewhere.extra), elsewhere.user.uid),
      ).not.toContain('F');
    });

    it(`${TRUST} (federated principals): a disabled Entra user reaches nothing; an RCP denying sts:AssumeRoleWithSAML stops the reach`, () => {
      const disabled = entraUser(`${ROLE_ARN('PaymentsRole')},${PROVIDER}`, 'disabled');
      expect(
        heldBy(awsInventory([payments(samlTrust)], {}, disabled.extra), disabled.user.uid),
      ).not.toContain('F');
      const { user, extra } = entraUser(`${PROVIDER},${ROLE_ARN('PaymentsRole')}`); // either order
      expect(heldBy(awsInventory([payments(samlTrust)], {}, extra), user.uid)).toContain('F');
      const fenced = awsInventory(
        [payments(samlTrust)],
        { [ACCOUNT]: { rcp: [[RCP_FULL, doc(rcpDeny('sts:AssumeRoleWithSAML'))]] } },
        extra,
      );
      expect(heldBy(fenced, user.uid)).not.toContain('F');
    });
  });

  it('repeats in the evidence what the source did not evaluate', () => {
    // Arrange
    const subjects = [alice(), payments(trustDoc({ AWS: USER_ARN('alice') }))];
    const inv = awsInventory(subjects, { [ACCOUNT]: {} });
    const paired = questionRuleset('s3:PutObject', 'arn:aws:s3:::payment-files/*', options, 'alice-p0');

    // Act
    const text = evaluateSod(inv, paired)
      .filter((d) => d.subject.identity === `principal:${uidOf(subjects[0]!)}`)
      .flatMap((d) => d.evidence.map((e) => e.text))
      .join('\n');

    // Assert: the test header says SCPs were evaluated and nothing else; nothing is listed then
    expect(text).not.toContain('not fully evaluated');
    const inv2 = awsInventory(subjects, {
      [ACCOUNT]: { policies: { SCPs: 'not collected (no export)', 'session policies': 'not evaluated' } },
    });
    const text2 = evaluateSod(inv2, paired)
      .flatMap((d) => d.evidence.map((e) => e.text))
      .join('\n');
    expect(text2).toContain(
      'AWS source aws-111111111111, not fully evaluated: SCPs not collected (no export); session policies not evaluated',
    );
  });
});
