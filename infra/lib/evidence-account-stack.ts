/**
 * The evidence vault in a dedicated evidence account (the AWS Control Tower "log archive" pattern,
 * issue 14): the object-locked evidence bucket, its locked access-log bucket, the evidence SSE-KMS
 * key, the manifest signing key, the chain-head anchor topic, the break-glass role and the auditor
 * role, deployed by their own stack into that account.
 *
 * The scanner account's seal role (by exact ARN) is the only principal that writes (create-only),
 * signs and anchors; the scanner account's other roles may only read, as its IAM allows (scan
 * checks the chain, ReleaseRun adopts a sealed pack). Scanner-account administrators therefore hold
 * nothing here that writes or signs — short of taking over the seal role itself (docs/deploy.md).
 * Everything the scanner account addresses here has a deterministic name: bucket names carry the
 * account and region, keys are used by alias, the topic has a fixed name.
 */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { addEvidenceVault, breakGlassRole, EVIDENCE_KEY_ALIAS } from './evidence-vault';
import { guardedKey } from './guarded-key';
import { auditorRole, DEFAULT_RETENTION_DAYS } from './stateful-stack';

export interface EvidenceAccountStackProps extends StackProps {
  /** The scanner (workload) account whose seal role seals here and whose roles may read. */
  scannerAccount: string;
  /** The scanner account's seal role name. */
  sealRoleName: string;
  /** @default 2557 */
  retentionDays?: number;
  /** Who may assume this account's break-glass role (MFA). @default this account's root */
  breakGlassPrincipalArns?: string[];
  /** Who may assume the auditor role. @default this account's root */
  auditorPrincipalArns?: string[];
  /** @default 'AccessProofAuditor' */
  auditorRoleName?: string;
  anchorSubscriberAccounts?: string[];
  evidenceDataEvents?: boolean;
  /** @default 'accessproof' (the scanner account's bucket names must use the same) */
  bucketNamePrefix?: string;
  /** @default 'alias/accessproof/manifest-signing' */
  signingKeyAlias?: string;
  /** The evidence bucket's SSE-KMS key alias. @default 'alias/accessproof/evidence' */
  evidenceKeyAlias?: string;
  /** @default 'accessproof-chain-anchors' */
  anchorTopicName?: string;
}

/**
 * @example
 * new EvidenceAccountStack(app, 'Evidence', { env: { account: '222233334444', region: 'eu-west-1' },
 *   scannerAccount: '111122223333', sealRoleName: 'AccessProofSeal' });
 */
export class EvidenceAccountStack extends Stack {
  readonly retentionDays: number;
  readonly evidenceBucket: Bucket;
  readonly accessLogBucket: Bucket;
  /** The evidence bucket's SSE-KMS key (alias/accessproof/evidence). */
  readonly evidenceKey: Key;
  readonly signingKey: Key;
  readonly anchorTopic: Topic;
  readonly breakGlassRole: Role;
  readonly auditorRole: Role;

  constructor(scope: Construct, id: string, props: EvidenceAccountStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    if (!/^\d{12}$/.test(props.scannerAccount)) {
      throw new Error(`scannerAccount must be a 12-digit AWS account id, got "${props.scannerAccount}"`);
    }
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`retentionDays must be a positive whole number of days, got ${retentionDays}`);
    }
    this.retentionDays = retentionDays;
    const prefix = props.bucketNamePrefix ?? 'accessproof';
    const bucketName = (purpose: string) => `${prefix}-${purpose}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
    const sealRoleArn = `arn:${Aws.PARTITION}:iam::${props.scannerAccount}:role/${props.sealRoleName}`;

    this.breakGlassRole = breakGlassRole(this, props.breakGlassPrincipalArns);
    this.evidenceKey = guardedKey(this, 'EvidenceKey', {
      description: 'AccessProof evidence (SSE-KMS of the evidence bucket in the evidence account)',
      alias: props.evidenceKeyAlias ?? EVIDENCE_KEY_ALIAS,
      breakGlassRoleArn: this.breakGlassRole.roleArn,
    });
    const vault = addEvidenceVault(this, {
      retentionDays,
      bucketName,
      sealRoleArn,
      dataKey: this.evidenceKey,
      breakGlassRole: this.breakGlassRole,
      signingKeyAlias: props.signingKeyAlias ?? 'alias/accessproof/manifest-signing',
      readerAccount: props.scannerAccount,
      ...(props.anchorTopicName ? { anchorTopicName: props.anchorTopicName } : {}),
      ...(props.anchorSubscriberAccounts ? { anchorSubscriberAccounts: props.anchorSubscriberAccounts } : {}),
      ...(props.evidenceDataEvents ? { dataEvents: true } : {}),
    });
    this.evidenceBucket = vault.evidenceBucket;
    this.accessLogBucket = vault.accessLogBucket;
    this.signingKey = vault.signingKey;
    this.anchorTopic = vault.anchorTopic;
    this.auditorRole = auditorRole(this, {
      evidenceBucket: this.evidenceBucket,
      dataKey: this.evidenceKey,
      signingKey: this.signingKey,
      ...(props.auditorPrincipalArns ? { principalArns: props.auditorPrincipalArns } : {}),
      ...(props.auditorRoleName ? { roleName: props.auditorRoleName } : {}),
    });

    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidenceBucket.bucketName });
    new CfnOutput(this, 'SigningKeyArn', { value: this.signingKey.keyArn });
    new CfnOutput(this, 'AuditorRoleArn', { value: this.auditorRole.roleArn });
    new CfnOutput(this, 'BreakGlassRoleArn', { value: this.breakGlassRole.roleArn });
    new CfnOutput(this, 'AnchorTopicArn', { value: this.anchorTopic.topicArn });
  }
}
