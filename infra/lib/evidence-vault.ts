/**
 * The evidence vault's resources and the policies that make them hold against the account's own
 * administrators (issue 14): the object-locked evidence bucket, its access-log bucket (locked the
 * same way), the manifest signing key, the break-glass role, the chain-head anchor topic and,
 * optionally, a CloudTrail trail of the bucket's data events.
 *
 * Object Lock protects a version from deletion; it does not stop a new version or a delete marker.
 * So the bucket policy lets exactly one principal — the seal role, named by ARN — create objects,
 * and only create-only (`If-None-Match: *`); every delete, legal hold, governance bypass and change
 * of versioning or lock settings is denied to all but the break-glass role this stack creates. The
 * key policy lets only the seal role sign. Everything is expressed as `aws:PrincipalArn`
 * conditions on `*` principals so the policies can name a role in another account (the
 * dedicated-evidence-account layout) or one not deployed yet.
 *
 * Residual risk, stated in docs/deploy.md: the account's root user (and anyone allowed
 * s3:PutBucketPolicy / kms:PutKeyPolicy through break-glass) can replace these policies. A
 * dedicated evidence account limits who that is; `verify` and the anchors detect what it enables.
 */
import { Duration, RemovalPolicy, type Stack, Validations } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import {
  AccountPrincipal,
  AccountRootPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  CompositePrincipal,
  Effect,
  type IPrincipal,
  Policy,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import type { CfnKey, Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { KeyReference } from './app-function';
import { guardedKey } from './guarded-key';
import { acknowledgeFinding, acknowledgeWildcardResource } from './nag';

/** The seal role's fixed name: bucket, key and topic policies name it by ARN, across accounts. */
export const DEFAULT_SEAL_ROLE_NAME = 'AccessProofSeal';
/** The anchor topic's fixed name, so a scanner account can address it in the evidence account. */
export const ANCHOR_TOPIC_NAME = 'accessproof-chain-anchors';

/** Bucket actions nobody but break-glass may call: they loosen or bypass what keeps evidence. */
export const BREAK_GLASS_BUCKET_ACTIONS = [
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketVersioning',
  's3:DeleteObject*',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutLifecycleConfiguration',
];
/** Key actions nobody but break-glass may call on the signing key. */
export const BREAK_GLASS_KEY_ACTIONS = [
  'kms:PutKeyPolicy',
  'kms:ScheduleKeyDeletion',
  'kms:DisableKey',
  'kms:CreateGrant',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
];
/** What the seal role does in the vault: create objects, read them by version, sign, anchor. */
export const SEAL_OBJECT_ACTIONS = [
  's3:PutObject',
  's3:PutObjectRetention',
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:GetObjectVersion',
];
export const SEAL_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'];

/**
 * Where the runtime seals and reads evidence: the vault in the deployment's own stateful stack, or
 * in a dedicated evidence account (then known by deterministic names and aliases only — a stack
 * cannot reference another account's resources).
 */
export interface EvidenceTarget {
  /** The bucket owner when it is another account. @default the deployment's account */
  readonly account?: string;
  readonly bucketName: string;
  /** The bucket's SSE-KMS key. */
  readonly encryptionKey: KeyReference;
  readonly signingKey: KeyReference;
  /** The chain-head anchor topic (an ARN when it is in another account). */
  readonly anchorTopic: ITopic | string;
}

/** The evidence account's SSE-KMS key alias (its signing key keeps the deployment's signing alias). */
export const EVIDENCE_KEY_ALIAS = 'alias/accessproof/evidence';

export interface EvidenceVaultProps {
  retentionDays: number;
  /** `<prefix>-<purpose>-<account>-<region>`. */
  bucketName(purpose: string): string;
  /** The seal role, by exact ARN (it may live in another account). */
  sealRoleArn: string;
  /** The key that encrypts the evidence bucket (SSE-KMS). */
  dataKey: Key;
  breakGlassRole: Role;
  signingKeyAlias: string;
  /** @default ANCHOR_TOPIC_NAME (names.ts derives it from the deployment's prefix) */
  anchorTopicName?: string;
  /** Accounts allowed to subscribe to the anchor topic (auditors' accounts). */
  anchorSubscriberAccounts?: string[];
  /** A CloudTrail trail of the evidence bucket's data events (every read and write). */
  dataEvents?: boolean;
  /**
   * The scanner account when the vault is in a dedicated evidence account: its roles may read the
   * evidence (scan checks the chain, ReleaseRun adopts a sealed pack) and decrypt it through S3.
   * Writing, signing and anchoring stay with the seal role alone.
   */
  readerAccount?: string;
}

export interface EvidenceVault {
  evidenceBucket: Bucket;
  accessLogBucket: Bucket;
  signingKey: Key;
  anchorTopic: Topic;
  trail?: Trail;
}

/**
 * The break-glass role: assumable only with MFA, by the given principals (default: this account's
 * root, which delegates with IAM). It is the only principal the deny statements exempt, by its
 * exact ARN — a role of the same name created elsewhere is not it.
 */
export function breakGlassRole(stack: Stack, trusted: string[] | undefined): Role {
  const mfa = { Bool: { 'aws:MultiFactorAuthPresent': 'true' } };
  const principals: IPrincipal[] = (
    trusted?.length ? trusted.map((arn) => new ArnPrincipal(arn)) : [new AccountRootPrincipal()]
  ).map((p) => p.withConditions(mfa));
  return new Role(stack, 'BreakGlassRole', {
    assumedBy: principals.length === 1 ? principals[0]! : new CompositePrincipal(...principals),
    description:
      'AccessProof break-glass: the only principal the evidence bucket and key policies let loosen locks, delete versions or change the keys (MFA required)',
    maxSessionDuration: Duration.hours(1),
  });
}

/**
 * @example
 * const vault = addEvidenceVault(this, { retentionDays, bucketName, sealRoleArn, dataKey, breakGlassRole, signingKeyAlias });
 */
export function addEvidenceVault(stack: Stack, props: EvidenceVaultProps): EvidenceVault {
  const breakGlassArn = props.breakGlassRole.roleArn;
  const exceptBreakGlass = { ArnNotEquals: { 'aws:PrincipalArn': breakGlassArn } };
  const onlySeal = { ArnEquals: { 'aws:PrincipalArn': props.sealRoleArn } };
  const exceptSeal = { ArnNotEquals: { 'aws:PrincipalArn': props.sealRoleArn } };

  const signingKey = guardedKey(stack, 'SigningKey', {
    description: 'AccessProof evidence manifest signing (ECDSA P-256)',
    alias: props.signingKeyAlias,
    breakGlassRoleArn: breakGlassArn,
    signing: true,
  });
  signingKey.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenySignExceptSealRole',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['kms:Sign'],
      resources: ['*'],
      conditions: exceptSeal,
    }),
  );
  signingKey.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyKeyPolicyChangesExceptBreakGlass',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: BREAK_GLASS_KEY_ACTIONS.filter(
        (a) => a !== 'kms:ScheduleKeyDeletion' && a !== 'kms:DisableKey',
      ),
      resources: ['*'],
      conditions: exceptBreakGlass,
    }),
  );
  signingKey.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSealRoleToSign',
      principals: [new AnyPrincipal()],
      actions: ['kms:Sign', 'kms:GetPublicKey'],
      resources: ['*'],
      conditions: onlySeal,
    }),
  );
  // The key policy denies kms:PutKeyPolicy to the principal creating it (CloudFormation's role):
  // KMS's lockout safety check would refuse that, so the check is bypassed on purpose.
  (signingKey.node.defaultChild as CfnKey).bypassPolicyLockoutSafetyCheck = true;
  // The seal role may use the evidence data key for SSE-KMS, also from another account.
  props.dataKey.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSealRoleEvidenceEncryption',
      principals: [new AnyPrincipal()],
      actions: ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'],
      resources: ['*'],
      conditions: onlySeal,
    }),
  );

  const accessLogBucket = lockedAccessLogBucket(stack, props.bucketName('access-logs'), props.retentionDays);
  denyLoosening(accessLogBucket, exceptBreakGlass);

  const evidenceBucket = new Bucket(stack, 'EvidenceBucket', {
    bucketName: props.bucketName('evidence'),
    objectLockEnabled: true,
    objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
    versioned: true,
    encryption: BucketEncryption.KMS,
    encryptionKey: props.dataKey,
    bucketKeyEnabled: true,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    serverAccessLogsBucket: accessLogBucket,
    serverAccessLogsPrefix: 'evidence/',
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
  });
  const objects = evidenceBucket.arnForObjects('*');
  const deny = (sid: string, actions: string[], resources: string[], conditions: Record<string, unknown>) =>
    evidenceBucket.addToResourcePolicy(
      new PolicyStatement({
        sid,
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions,
        resources,
        conditions,
      }),
    );
  // Nobody, admins included, may write an evidence object with a bypassable or short lock.
  deny('DenyGovernanceModeLocks', ['s3:PutObject', 's3:PutObjectRetention'], [objects], {
    StringEquals: { 's3:object-lock-mode': 'GOVERNANCE' },
  });
  deny('DenyShortRetentionOnNewObjects', ['s3:PutObject'], [objects], {
    NumericLessThan: { 's3:object-lock-remaining-retention-days': String(props.retentionDays - 1) },
  });
  // Only the seal role creates evidence objects: anyone else's PutObject would be a new version.
  deny('DenyWritesExceptSealRole', ['s3:PutObject', 's3:PutObjectRetention'], [objects], exceptSeal);
  // Create-only: PutObject and CompleteMultipartUpload must carry If-None-Match (the parts of a
  // multipart upload cannot, so s3:ObjectCreationOperation exempts them).
  deny('DenyWritesWithoutIfNoneMatch', ['s3:PutObject'], [objects], {
    Null: { 's3:if-none-match': 'true' },
    Bool: { 's3:ObjectCreationOperation': 'true' },
  });
  denyLoosening(evidenceBucket, exceptBreakGlass);
  // The seal role may be in another account: the bucket policy must then allow it too.
  evidenceBucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSealRoleCreateOnly',
      principals: [new AnyPrincipal()],
      actions: SEAL_OBJECT_ACTIONS,
      resources: [objects],
      conditions: onlySeal,
    }),
  );
  evidenceBucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSealRoleList',
      principals: [new AnyPrincipal()],
      actions: SEAL_BUCKET_ACTIONS,
      resources: [evidenceBucket.bucketArn],
      conditions: onlySeal,
    }),
  );

  if (props.readerAccount) {
    // Cross-account reads need the bucket policy and the key policy to say so: the scanner
    // account's IAM then decides which of its roles read (scan and ReleaseRun). Reads only.
    evidenceBucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowScannerAccountReads',
        principals: [new AccountPrincipal(props.readerAccount)],
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
        resources: [evidenceBucket.bucketArn, objects],
      }),
    );
    props.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowScannerAccountDecryptThroughS3',
        principals: [new AccountPrincipal(props.readerAccount)],
        actions: ['kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
  }

  // Anchors: each seal publishes its head here for subscribers outside the account. Anchors are
  // hashes and run ids, meant to be copied out: no KMS key, so a subscriber needs no key access.
  const anchorTopic = new Topic(stack, 'AnchorTopic', {
    topicName: props.anchorTopicName ?? ANCHOR_TOPIC_NAME,
    displayName: 'AccessProof evidence chain anchors',
    enforceSSL: true,
  });
  acknowledgeFinding(
    anchorTopic,
    'AwsSolutions-SNS2',
    'Anchors carry only run ids, sequence numbers and SHA-256 hashes meant to be copied out of the account; subscribers in other accounts then need no key access.',
  );
  anchorTopic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyPublishExceptSealRole',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [anchorTopic.topicArn],
      conditions: exceptSeal,
    }),
  );
  anchorTopic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'AllowSealRoleToPublish',
      principals: [new AnyPrincipal()],
      actions: ['sns:Publish'],
      resources: [anchorTopic.topicArn],
      conditions: onlySeal,
    }),
  );
  if (props.anchorSubscriberAccounts?.length)
    anchorTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAuditorAccountsToSubscribe',
        principals: props.anchorSubscriberAccounts.map((a) => new AccountPrincipal(a)),
        actions: ['sns:Subscribe'],
        resources: [anchorTopic.topicArn],
      }),
    );
  anchorTopic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyTopicChangesExceptBreakGlass',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['sns:DeleteTopic', 'sns:SetTopicAttributes', 'sns:RemovePermission', 'sns:AddPermission'],
      resources: [anchorTopic.topicArn],
      conditions: exceptBreakGlass,
    }),
  );

  const breakGlassPolicy = new Policy(stack, 'BreakGlassPolicy', {
    statements: [
      new PolicyStatement({
        sid: 'LoosenEvidenceBuckets',
        actions: BREAK_GLASS_BUCKET_ACTIONS.flatMap((a) =>
          a === 's3:DeleteObject*' ? ['s3:DeleteObject', 's3:DeleteObjectVersion'] : [a],
        ),
        resources: [
          evidenceBucket.bucketArn,
          objects,
          accessLogBucket.bucketArn,
          accessLogBucket.arnForObjects('*'),
        ],
      }),
      new PolicyStatement({
        sid: 'ManageEvidenceKeys',
        actions: [...BREAK_GLASS_KEY_ACTIONS, 'kms:CancelKeyDeletion', 'kms:EnableKey'],
        resources: [signingKey.keyArn, props.dataKey.keyArn],
      }),
    ],
  });
  props.breakGlassRole.attachInlinePolicy(breakGlassPolicy);
  for (const bucketObjects of [objects, accessLogBucket.arnForObjects('*')])
    acknowledgeWildcardResource(
      breakGlassPolicy,
      bucketObjects,
      'Break-glass deletes and legal holds act on object versions under run-time keys; scoped to the two evidence buckets.',
    );

  let trail: Trail | undefined;
  if (props.dataEvents) {
    trail = new Trail(stack, 'EvidenceDataEventsTrail', {
      bucket: accessLogBucket,
      s3KeyPrefix: 'cloudtrail',
      includeGlobalServiceEvents: false,
      isMultiRegionTrail: false,
      enableFileValidation: true,
      managementEvents: ReadWriteType.NONE,
    });
    trail.addS3EventSelector([{ bucket: evidenceBucket }], {
      readWriteType: ReadWriteType.ALL,
      includeManagementEvents: false,
    });
  }
  return { evidenceBucket, accessLogBucket, signingKey, anchorTopic, ...(trail ? { trail } : {}) };
}

/** Deletes, legal holds, governance bypass and lock/versioning/lifecycle changes: break-glass only. */
export function denyLoosening(bucket: Bucket, exceptBreakGlass: Record<string, unknown>): void {
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyLooseningExceptBreakGlass',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: BREAK_GLASS_BUCKET_ACTIONS,
      resources: [bucket.bucketArn, bucket.arnForObjects('*')],
      conditions: exceptBreakGlass,
    }),
  );
}

/**
 * The server access log target, kept like the evidence (who read or wrote the evidence is itself
 * evidence): Object Lock COMPLIANCE for the pack retention, versioned, never expired.
 */
export function lockedAccessLogBucket(stack: Stack, bucketName: string, retentionDays: number): Bucket {
  const bucket = new Bucket(stack, 'AccessLogBucket', {
    bucketName,
    // Server access logging delivers only to SSE-S3 target buckets, not SSE-KMS.
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    // Who read or wrote the evidence is itself evidence: locked like the packs, never expired.
    objectLockEnabled: true,
    objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(retentionDays)),
    versioned: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(bucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason:
      'This is the server access log target; logging it into itself would loop (S3 server access logging).',
  });
  return bucket;
}
