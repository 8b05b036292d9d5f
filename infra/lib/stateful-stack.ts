/**
 * The stateful stack (CONVENTIONS.md #7): everything that must outlive a redeploy — the evidence
 * bucket, its access-log bucket, the run's staging bucket, the findings table, the KMS keys, the
 * connector secrets and the auditor role. Every resource is retained and the stack has termination
 * protection; the compute stack receives these as typed props.
 */
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  CompositePrincipal,
  type IPrincipal,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey, Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import {
  ANCHOR_TOPIC_NAME,
  addEvidenceVault,
  breakGlassRole,
  denyLoosening,
  EVIDENCE_KEY_ALIAS,
  type EvidenceTarget,
  lockedAccessLogBucket,
} from './evidence-vault';
import { guardedKey } from './guarded-key';
import { acknowledgeWildcardResource } from './nag';

export const DEFAULT_RETENTION_DAYS = 2557;

/** The exact actions of the auditor role, per resource. Nothing else. */
export const AUDITOR_ACTIONS = {
  objects: [
    's3:GetObject',
    's3:GetObjectVersion',
    's3:GetObjectAttributes',
    's3:GetObjectRetention',
    's3:GetObjectLegalHold',
  ],
  bucket: ['s3:ListBucket', 's3:ListBucketVersions'],
  dataKey: ['kms:Decrypt'],
  signingKey: ['kms:Verify', 'kms:GetPublicKey'],
} as const;

export interface StatefulStackProps extends StackProps {
  /** Object Lock COMPLIANCE default retention of the evidence bucket. @default 2557 (7 years) */
  retentionDays?: number;
  /**
   * Who may assume the break-glass role this stack creates (with MFA): the only principal the
   * bucket and key policies let loosen locks, delete versions or change the keys.
   * @default this account's root (delegate with IAM)
   */
  breakGlassPrincipalArns?: string[];
  /** The seal role, by exact ARN: the only principal that may write evidence objects or sign. */
  sealRoleArn: string;
  /** Accounts allowed to subscribe to the chain-head anchor topic (auditors, a log archive). */
  anchorSubscriberAccounts?: string[];
  /** A CloudTrail trail of the evidence bucket's data events. @default false */
  evidenceDataEvents?: boolean;
  /** Source ids that need a credentials secret (Entra, Salesforce). */
  secretSourceIds: string[];
  /** Secret names are `<secretPrefix>/sources/<sourceId>`. @default 'accessproof' */
  secretPrefix?: string;
  /** Who may assume the auditor role. @default this account's root (delegate with IAM) */
  auditorPrincipalArns?: string[];
  /** @default 'AccessProofAuditor' */
  auditorRoleName?: string;
  /** Days the staging area keeps snapshot parts and checkpoints. @default 30 */
  stagingExpirationDays?: number;
  /**
   * Bucket names are `<bucketNamePrefix>-{evidence,staging,access-logs}-<account>-<region>`: stable
   * names an auditor can type, and the runtime stack can reference without CloudFormation exports.
   * @default 'accessproof'
   */
  bucketNamePrefix?: string;
  /** KMS aliases. @default alias/accessproof/data and alias/accessproof/manifest-signing */
  dataKeyAlias?: string;
  signingKeyAlias?: string;
  /** The dedicated evidence account's SSE-KMS key alias. @default 'alias/accessproof/evidence' */
  evidenceKeyAlias?: string;
  /** @default 'accessproof-chain-anchors' */
  anchorTopicName?: string;
  /**
   * The evidence vault (evidence bucket, its access logs, signing key, anchor topic, auditor role)
   * lives in this dedicated account (EvidenceAccountStack), not here. This stack then keeps the
   * staging area, findings table, data key and secrets, with its own locked access-log bucket.
   */
  evidenceAccount?: string;
}

/**
 * @example
 * const stateful = new StatefulStack(app, 'Stateful', { sealRoleArn, secretSourceIds: ['entra'] });
 */
export class StatefulStack extends Stack {
  readonly retentionDays: number;
  readonly dataKey: Key;
  /** The vault's resources: absent when the vault is in a dedicated evidence account. */
  readonly signingKey?: Key;
  readonly evidenceBucket?: Bucket;
  readonly evidenceBucketName: string;
  readonly stagingBucketName: string;
  readonly accessLogBucket: Bucket;
  readonly stagingBucket: Bucket;
  readonly findingsTable: Table;
  readonly sourceSecrets: Record<string, Secret>;
  readonly auditorRole?: Role;
  readonly breakGlassRole: Role;
  readonly anchorTopic?: Topic;
  /** Where the runtime seals: this stack's vault or the dedicated evidence account's. */
  readonly evidence: EvidenceTarget;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, { terminationProtection: true, ...props });
    // Log delivery through the bucket policy, so every bucket can enforce bucket-owner object
    // ownership (no ACLs), whatever feature flags the consuming app sets.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`retentionDays must be a positive whole number of days, got ${retentionDays}`);
    }
    this.retentionDays = retentionDays;
    const bucketPrefix = props.bucketNamePrefix ?? 'accessproof';
    if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(bucketPrefix)) {
      throw new Error(
        `bucketNamePrefix must be 1-21 lowercase letters, digits or "-", got "${bucketPrefix}"`,
      );
    }
    const bucketName = (purpose: string, account: string = Aws.ACCOUNT_ID) =>
      `${bucketPrefix}-${purpose}-${account}-${Aws.REGION}`;
    this.evidenceBucketName = bucketName('evidence', props.evidenceAccount);
    this.stagingBucketName = bucketName('staging');

    this.breakGlassRole = breakGlassRole(this, props.breakGlassPrincipalArns);
    this.dataKey = guardedKey(this, 'DataKey', {
      description: 'AccessProof data: evidence, staging, findings table, secrets, notifications',
      alias: props.dataKeyAlias ?? 'alias/accessproof/data',
      breakGlassRoleArn: this.breakGlassRole.roleArn,
    });
    // CloudWatch alarms publish to the KMS-encrypted topic; SNS calls KMS as the alarm's service.
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    // Log groups of this deployment (functions, state machine) are encrypted with the data key.
    this.dataKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*`,
          },
        },
      }),
    );
    const signingKeyAlias = props.signingKeyAlias ?? 'alias/accessproof/manifest-signing';
    if (props.evidenceAccount) {
      // The vault is EvidenceAccountStack's, known here by its deterministic names and aliases.
      this.accessLogBucket = lockedAccessLogBucket(this, bucketName('access-logs'), retentionDays);
      denyLoosening(this.accessLogBucket, {
        ArnNotEquals: { 'aws:PrincipalArn': this.breakGlassRole.roleArn },
      });
      this.evidence = {
        account: props.evidenceAccount,
        bucketName: this.evidenceBucketName,
        encryptionKey: {
          account: props.evidenceAccount,
          aliasName: props.evidenceKeyAlias ?? EVIDENCE_KEY_ALIAS,
        },
        signingKey: { account: props.evidenceAccount, aliasName: signingKeyAlias },
        anchorTopic: `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${props.evidenceAccount}:${props.anchorTopicName ?? ANCHOR_TOPIC_NAME}`,
      };
    } else {
      const vault = addEvidenceVault(this, {
        retentionDays,
        bucketName,
        sealRoleArn: props.sealRoleArn,
        dataKey: this.dataKey,
        breakGlassRole: this.breakGlassRole,
        signingKeyAlias,
        ...(props.anchorTopicName ? { anchorTopicName: props.anchorTopicName } : {}),
        ...(props.anchorSubscriberAccounts
          ? { anchorSubscriberAccounts: props.anchorSubscriberAccounts }
          : {}),
        ...(props.evidenceDataEvents ? { dataEvents: true } : {}),
      });
      this.signingKey = vault.signingKey;
      this.evidenceBucket = vault.evidenceBucket;
      this.accessLogBucket = vault.accessLogBucket;
      this.anchorTopic = vault.anchorTopic;
      this.evidence = {
        bucketName: this.evidenceBucketName,
        encryptionKey: this.dataKey,
        signingKey: vault.signingKey,
        anchorTopic: vault.anchorTopic,
      };
    }

    this.stagingBucket = new Bucket(this, 'StagingBucket', {
      bucketName: this.stagingBucketName,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'staging/',
      removalPolicy: RemovalPolicy.RETAIN,
      // Parts and checkpoints are scratch: the sealed pack holds the snapshot. Expiry, not deletes.
      lifecycleRules: [
        {
          expiration: Duration.days(props.stagingExpirationDays ?? 30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });

    this.findingsTable = new Table(this, 'FindingsTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.dataKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const secretPrefix = props.secretPrefix ?? 'accessproof';
    this.sourceSecrets = {};
    for (const sourceId of props.secretSourceIds) {
      const secret = new Secret(this, `SourceSecret-${sourceId}`, {
        secretName: `${secretPrefix}/sources/${sourceId}`,
        description: `AccessProof connector credentials for source "${sourceId}": replace the placeholder with put-secret-value`,
        encryptionKey: this.dataKey,
        removalPolicy: RemovalPolicy.RETAIN,
        // A placeholder, so no real credential ever passes through CloudFormation.
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ sourceId }),
          generateStringKey: 'placeholder',
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Entra certificates/client secrets and Salesforce JWT keys are issued by those systems; Secrets Manager cannot rotate them, the owner rotates and calls put-secret-value.',
      });
      this.sourceSecrets[sourceId] = secret;
    }

    if (this.evidenceBucket && this.signingKey && this.anchorTopic) {
      this.auditorRole = auditorRole(this, {
        evidenceBucket: this.evidenceBucket,
        dataKey: this.dataKey,
        signingKey: this.signingKey,
        ...(props.auditorPrincipalArns ? { principalArns: props.auditorPrincipalArns } : {}),
        ...(props.auditorRoleName ? { roleName: props.auditorRoleName } : {}),
      });
      new CfnOutput(this, 'EvidenceBucketName', { value: this.evidenceBucket.bucketName });
      new CfnOutput(this, 'SigningKeyArn', { value: this.signingKey.keyArn });
      new CfnOutput(this, 'AuditorRoleArn', { value: this.auditorRole.roleArn });
      new CfnOutput(this, 'AnchorTopicArn', { value: this.anchorTopic.topicArn });
    }
    new CfnOutput(this, 'FindingsTableName', { value: this.findingsTable.tableName });
    new CfnOutput(this, 'BreakGlassRoleArn', { value: this.breakGlassRole.roleArn });
  }
}

export interface AuditorRoleProps {
  evidenceBucket: Bucket;
  /** The evidence bucket's SSE-KMS key. */
  dataKey: IKey;
  signingKey: IKey;
  /** @default this account's root (delegate with IAM) */
  principalArns?: string[];
  /** @default 'AccessProofAuditor' */
  roleName?: string;
}

/** The auditor role: read (Get/List) the evidence, decrypt it, verify signatures — nothing else. */
export function auditorRole(stack: Stack, props: AuditorRoleProps): Role {
  const { evidenceBucket, dataKey, signingKey } = props;
  const principals: IPrincipal[] = props.principalArns?.length
    ? props.principalArns.map((arn) => new ArnPrincipal(arn))
    : [new AccountRootPrincipal()];
  const role = new Role(stack, 'AuditorRole', {
    roleName: props.roleName ?? 'AccessProofAuditor',
    assumedBy: principals.length === 1 ? principals[0]! : new CompositePrincipal(...principals),
    description: 'AccessProof auditor: read and verify evidence packs (Get/List, Decrypt, Verify)',
    maxSessionDuration: Duration.hours(4),
  });
  const policy = new Policy(stack, 'AuditorPolicy', {
    statements: [
      new PolicyStatement({
        sid: 'ReadEvidenceObjects',
        actions: [...AUDITOR_ACTIONS.objects],
        resources: [evidenceBucket.arnForObjects('*')],
      }),
      new PolicyStatement({
        sid: 'ListEvidence',
        actions: [...AUDITOR_ACTIONS.bucket],
        resources: [evidenceBucket.bucketArn],
      }),
      new PolicyStatement({
        sid: 'DecryptEvidence',
        actions: [...AUDITOR_ACTIONS.dataKey],
        resources: [dataKey.keyArn],
      }),
      new PolicyStatement({
        sid: 'VerifyManifestSignatures',
        actions: [...AUDITOR_ACTIONS.signingKey],
        resources: [signingKey.keyArn],
      }),
    ],
  });
  policy.attachToRole(role);
  acknowledgeWildcardResource(
    policy,
    evidenceBucket.arnForObjects('*'),
    'Object-level reads (s3:GetObject, GetObjectVersion, GetObjectAttributes, GetObjectRetention, GetObjectLegalHold) need object ARNs; scoped to the evidence bucket.',
  );
  return role;
}
