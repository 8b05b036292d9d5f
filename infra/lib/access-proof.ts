/**
 * `AccessProof`: the reusable construct that deploys the product (docs/architecture.md) as three stacks —
 * stateful (retained evidence, findings, keys, secrets, auditor role), runtime (Lambdas, state
 * machine, schedule, bus, topic, alarms) and member-account (the read-only role, StackSet-ready).
 * Place it directly in an `App`: it creates stacks, not resources.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aws, type Environment, Tags, Token } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { ManagedPolicy, PermissionsBoundary } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type * as z from 'zod';
import type { configSchema, policySchema, sourceSchema } from '../../core/config';
import { EvidenceAccountStack } from './evidence-account-stack';
import { MemberAccountStack, MIN_EXTERNAL_ID_LENGTH } from './member-account-stack';
import { type DeploymentNames, deploymentNames } from './names';
import { type ReviewsOptions, ReviewsStack } from './reviews';
import {
  type LoadedRunConfig,
  loadRunConfigFile,
  organizationSources,
  runConfigFromObject,
} from './run-config';
import { RuntimeStack, type ShardingSettings, type StepName, type StepSettings } from './runtime-stack';
import { StatefulStack } from './stateful-stack';

/**
 * The package root: the nearest folder above this module whose package.json is this package's —
 * `infra/lib/` in the repository, `dist/infra/lib/` in the built package. The Lambda entries
 * (`functions/<step>/handler.ts`) and the lockfile esbuild bundles with are found from it, so an
 * app elsewhere that imports the construct bundles the package's own handlers.
 */
export const PROJECT_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'accessproof'
    )
      return `${dir}/`;
    if (dirname(dir) === dir) throw new Error(`AccessProof: no accessproof package.json above ${from}`);
  }
}

export interface AccessProofKmsOptions {
  /** @default 'alias/<lower-cased namePrefix>/data' */
  dataKeyAlias?: string;
  /** @default 'alias/<lower-cased namePrefix>/manifest-signing' */
  signingKeyAlias?: string;
}

export interface AccessProofProps {
  /**
   * Every physical name of the deployment derives from it (infra/lib/names.ts): stacks
   * `<prefix>-Stateful|Runtime|Member|Evidence`, roles `<prefix>Reader|Collector|Seal|Auditor`,
   * buckets `<prefix lower-cased>-{evidence,staging,access-logs}-<account>-<region>`, secrets
   * `<lower>/sources/<id>`, KMS aliases `alias/<lower>/…`, the `<lower>-findings` bus, the
   * `<lower>-chain-anchors` topic and the metrics namespace `<prefix>`; everything else has a
   * generated name. Two deployments in one account (any regions: role names are account-wide) need
   * two prefixes that differ case-insensitively. The named props below override single names.
   * 1-21 letters, digits or `-`, starting with a letter. @default 'AccessProof' (the names of
   * earlier releases)
   */
  namePrefix?: string;
  /**
   * A config file (README.md "Configuration"), read and validated at synth; a relative path is
   * read from the working directory (the `cdk.json` folder under `cdk synth`); paths inside are
   * relative to the file.
   */
  configFile?: string;
  /** Or the config as an object; `sources` is required then (relative `sodRules` from the working directory). */
  config?: z.input<typeof configSchema>;
  /** Shorthand for `config`: the sources (with `organization` and optional `policy`). */
  sources?: z.input<typeof sourceSchema>[];
  organization?: string;
  policy?: z.input<typeof policySchema>;
  /**
   * `intervalHours`: the shortest time between two runs, when the expression does not say it plainly.
   * @default { expression: 'cron(0 2 * * ? *)', timeZone: 'UTC' }
   */
  schedule?: { expression?: string; timeZone?: string; intervalHours?: number };
  /** Object Lock COMPLIANCE retention in days. @default config `evidence.retentionDays` (2557) */
  retentionDays?: number;
  /**
   * Subscribed (email) to the run digest and alarms; confirm the subscription mail. This or
   * `alarmTopic` is required: synth stops otherwise.
   */
  notificationEmail?: string;
  /** An existing topic the alarms publish to (your on-call routing), instead of or beside the email. */
  alarmTopic?: ITopic;
  /** The same as an ARN (context `alarmTopicArn`). */
  alarmTopicArn?: string;
  kms?: AccessProofKmsOptions;
  /** Role the collector assumes in each account. @default '<namePrefix>Reader' */
  memberRoleName?: string;
  /** sts:ExternalId the member role requires: 16–1224 characters of `[\w+=,.@:/-]`, no default. */
  externalId: string;
  /**
   * Who may assume the break-glass role the stateful stack creates (MFA required): the only
   * principal allowed to loosen the evidence locks, delete versions, or disable/delete the keys.
   * @default this account's root (delegate with IAM)
   */
  breakGlassPrincipalArns?: string[];
  /** The seal function's role name; bucket, key and topic policies name it by ARN. @default '<namePrefix>Seal' */
  sealRoleName?: string;
  /** Accounts allowed to subscribe to the chain-head anchor topic (auditors, a log archive account). */
  anchorSubscriberAccounts?: string[];
  /** Record the evidence bucket's data events (every read and write) in a CloudTrail trail. @default false */
  evidenceDataEvents?: boolean;
  /**
   * A dedicated evidence account (recommended; the Control Tower "log archive" pattern): the
   * evidence bucket, its access logs, the signing key, the anchor topic, the break-glass and auditor
   * roles are deployed there by a separate stack (`<prefix>-Evidence`); this account's seal role
   * writes and signs cross-account and holds nothing else there. Needs `env.account` (the scanner
   * account) and the same region for both. @default the evidence vault is in this account
   */
  evidenceAccount?: string;
  /** The AWS collector's role (member roles trust it by name). @default '<namePrefix>Collector' */
  collectorRoleName?: string;
  /** The auditor role (read and verify evidence). @default '<namePrefix>Auditor' */
  auditorRoleName?: string;
  /** Connector secrets are `<secretPrefix>/sources/<source id>`. @default the lower-cased namePrefix */
  secretPrefix?: string;
  /**
   * Where finding events go: the name of a bus this deployment creates, or an existing bus (then
   * its policy must let the notify function's role put events). @default '<lower-cased namePrefix>-findings'
   */
  eventBus?: string | IEventBus;
  /**
   * The most accounts an `organization: true` source may fan out to. Each planned account is about
   * 100 bytes of the run's state, counted by the synth-time state budget (200 KB): synth stops,
   * naming the limit, when the plan could exceed it. @default 1000
   */
  maxOrganizationAccounts?: number;
  /** Account the collector runs in, baked into the member stack's parameter default. @default env.account */
  collectorAccountId?: string;
  /** Give the member role the IAM Identity Center reads. @default false */
  identityCenter?: boolean;
  /** Principals allowed to assume the auditor role. @default this account's root */
  auditorPrincipalArns?: string[];
  /** @default true when a source has `organization: true` */
  distributedMap?: boolean;
  /** Per-step Lambda timeout, memory and reserved concurrency (timeouts feed the synth-time budgets). */
  stepSettings?: Partial<Record<StepName, StepSettings>>;
  /**
   * The sharded scan (issue 18, docs/sharding.md): plan-shards, a Distributed Map of scan shards
   * and reconcile instead of one scan Lambda; their memory derives from `memoryBudgetMb`, and synth
   * stops when a step would not fit its Lambda at ten times the benchmark enterprise.
   */
  sharding?: ShardingSettings;
  /**
   * The NAME of a customer managed policy applied as permissions boundary to every role of every
   * stack (resolved in each stack's own account, so the member and evidence accounts need a policy
   * of that name too).
   */
  permissionsBoundary?: string;
  /** Tags on every resource of every stack. */
  tags?: Record<string, string>;
  /** @default 20 */
  toleratedFailurePercentage?: number;
  /** @default config `evidence.prefix` */
  evidencePrefix?: string;
  /** Retention of every log group. @default RetentionDays.SIX_MONTHS */
  logRetention?: RetentionDays;
  /** State machine execution logging. @default LogLevel.ERROR, without execution data */
  logLevel?: LogLevel;
  /** @default env-agnostic */
  env?: Environment;
  /**
   * Stack names only: `<stackNamePrefix>-Stateful` … (what it always did; other names keep
   * `namePrefix`'s). @default namePrefix
   */
  stackNamePrefix?: string;
  /** Synthesize the member-account stack. @default true */
  memberStack?: boolean;
  /** @default the repository root */
  projectRoot?: string;
  /**
   * Import each run's findings into Security Hub (ASFF, this account's default product) from the
   * notify step; Security Hub must be enabled in the account and region. @default false
   */
  securityHub?: boolean;
  /**
   * The reviewer web app in AWS (issue 17; docs/reviews-aws.md): stack `<prefix>-Reviews` with
   * CloudFront, HTTP API + JWT authorizer, Cognito (federated to the company IdP), the reviews
   * table and the reminders schedule. @default not deployed
   */
  reviews?: ReviewsOptions;
}

/**
 * @example
 * const app = new App();
 * new AccessProof(app, 'AccessProof', { configFile: 'accessproof.yaml', externalId: 'ap-7f3c9e1d5b2a4c60', notificationEmail: 'secops@example.com' });
 */
export class AccessProof extends Construct {
  readonly runConfig: LoadedRunConfig;
  readonly stateful: StatefulStack;
  /** The evidence vault's stack in the dedicated evidence account, when `evidenceAccount` is set. */
  readonly evidence?: EvidenceAccountStack;
  readonly runtime: RuntimeStack;
  readonly member?: MemberAccountStack;
  /** Every physical name of this deployment (names.ts). */
  readonly names: DeploymentNames;
  readonly reviews?: ReviewsStack;

  constructor(scope: Construct, id: string, props: AccessProofProps) {
    super(scope, id);
    const projectRoot = props.projectRoot ?? PROJECT_ROOT;
    this.runConfig = loadConfig(props);
    const { config } = this.runConfig;
    const names = namesOf(props);
    claimPrefix(this, names, props.env?.account);
    this.names = names;
    const { memberRoleName, collectorRoleName, sealRoleName } = names;
    checkExternalId(props.externalId);
    checkAlarmTarget(props);
    checkAwsSources(this.runConfig, memberRoleName, props.externalId);

    const env = props.env ? { env: props.env } : {};
    const secretSourceIds = config.sources
      .filter((s) => s.system === 'entra' || s.system === 'salesforce')
      .map((s) => s.id);

    const scannerAccount = checkEvidenceAccount(props);
    if (props.evidenceAccount && scannerAccount) {
      this.evidence = new EvidenceAccountStack(this, 'Evidence', {
        env: { account: props.evidenceAccount, ...(props.env?.region ? { region: props.env.region } : {}) },
        stackName: names.stack('Evidence'),
        description:
          'AccessProof evidence vault (dedicated evidence account): object-locked evidence, signing key, anchors (retained)',
        scannerAccount,
        sealRoleName,
        retentionDays: props.retentionDays ?? config.evidence.retentionDays,
        ...(props.breakGlassPrincipalArns ? { breakGlassPrincipalArns: props.breakGlassPrincipalArns } : {}),
        ...(props.auditorPrincipalArns ? { auditorPrincipalArns: props.auditorPrincipalArns } : {}),
        ...(props.anchorSubscriberAccounts
          ? { anchorSubscriberAccounts: props.anchorSubscriberAccounts }
          : {}),
        ...(props.evidenceDataEvents ? { evidenceDataEvents: true } : {}),
        auditorRoleName: names.auditorRoleName,
        bucketNamePrefix: names.bucketNamePrefix,
        signingKeyAlias: names.signingKeyAlias,
        evidenceKeyAlias: names.evidenceKeyAlias,
        anchorTopicName: names.anchorTopicName,
      });
    }

    this.stateful = new StatefulStack(this, 'Stateful', {
      ...env,
      stackName: names.stack('Stateful'),
      description:
        'AccessProof stateful resources: evidence (Object Lock), findings, keys, secrets (retained)',
      retentionDays: props.retentionDays ?? config.evidence.retentionDays,
      ...(props.breakGlassPrincipalArns ? { breakGlassPrincipalArns: props.breakGlassPrincipalArns } : {}),
      sealRoleArn: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${sealRoleName}`,
      ...(props.anchorSubscriberAccounts ? { anchorSubscriberAccounts: props.anchorSubscriberAccounts } : {}),
      ...(props.evidenceDataEvents ? { evidenceDataEvents: true } : {}),
      secretSourceIds,
      ...(props.auditorPrincipalArns ? { auditorPrincipalArns: props.auditorPrincipalArns } : {}),
      auditorRoleName: names.auditorRoleName,
      secretPrefix: names.secretPrefix,
      bucketNamePrefix: names.bucketNamePrefix,
      dataKeyAlias: names.dataKeyAlias,
      signingKeyAlias: names.signingKeyAlias,
      evidenceKeyAlias: names.evidenceKeyAlias,
      anchorTopicName: names.anchorTopicName,
      ...(props.evidenceAccount ? { evidenceAccount: props.evidenceAccount } : {}),
    });

    this.runtime = new RuntimeStack(this, 'Runtime', {
      ...env,
      stackName: names.stack('Runtime'),
      description: 'AccessProof runtime: scheduled scan run (Step Functions, Lambda), notifications',
      stateful: this.stateful,
      config,
      runConfig: this.runConfig.document,
      schedule: {
        expression: props.schedule?.expression ?? 'cron(0 2 * * ? *)',
        timeZone: props.schedule?.timeZone ?? 'UTC',
        ...(props.schedule?.intervalHours !== undefined
          ? { intervalHours: props.schedule.intervalHours }
          : {}),
      },
      projectRoot,
      memberRoleName,
      externalId: props.externalId,
      collectorRoleName,
      sealRoleName,
      evidencePrefix: props.evidencePrefix ?? config.evidence.prefix,
      ...(props.notificationEmail ? { notificationEmail: props.notificationEmail } : {}),
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.alarmTopicArn ? { alarmTopicArn: props.alarmTopicArn } : {}),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      ...(props.distributedMap !== undefined ? { distributedMap: props.distributedMap } : {}),
      ...(props.stepSettings ? { stepSettings: props.stepSettings } : {}),
      ...(props.sharding ? { sharding: props.sharding } : {}),
      ...(props.toleratedFailurePercentage !== undefined
        ? { toleratedFailurePercentage: props.toleratedFailurePercentage }
        : {}),
      ...(props.securityHub ? { securityHub: true } : {}),
      eventBus: props.eventBus ?? names.eventBusName,
      metricsNamespace: names.metricsNamespace,
      ...(props.maxOrganizationAccounts !== undefined
        ? { maxOrganizationAccounts: props.maxOrganizationAccounts }
        : {}),
    });
    this.runtime.addStackDependency(this.stateful);
    // Deploy order only: no reference crosses accounts (the runtime uses deterministic names).
    if (this.evidence) this.runtime.addStackDependency(this.evidence);

    if (props.memberStack ?? true) {
      const collectorAccountId = props.collectorAccountId ?? props.env?.account;
      this.member = new MemberAccountStack(this, 'Member', {
        stackName: names.stack('Member'),
        description:
          'AccessProof member account: read-only IAM inventory role for the collector (StackSet-ready)',
        memberRoleName,
        collectorRoleName,
        ...(collectorAccountId && !Token.isUnresolved(collectorAccountId) ? { collectorAccountId } : {}),
        ...(props.identityCenter ? { identityCenter: true } : {}),
      });
    }
    if (props.reviews) {
      this.reviews = new ReviewsStack(this, 'Reviews', {
        ...env,
        stackName: names.stack('Reviews'),
        description: 'AccessProof reviewer app: CloudFront, HTTP API, Cognito, reviews table, reminders',
        ...props.reviews,
        projectRoot,
        dataKey: this.stateful.dataKey,
        metricsNamespace: names.metricsNamespace,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        evidence: {
          bucketName: this.stateful.evidence.bucketName,
          ...(this.stateful.evidence.account ? { account: this.stateful.evidence.account } : {}),
          encryptionKey: this.stateful.evidence.encryptionKey,
          prefix: props.evidencePrefix ?? config.evidence.prefix,
          findingsTable: this.stateful.findingsTable,
        },
      });
      this.reviews.addStackDependency(this.stateful);
      if (this.evidence) this.reviews.addStackDependency(this.evidence);
      // The scan step checks every revocation decided in the reviews table against the run's
      // inventory (REVIEW-REVOKE-NOT-DONE); the seal step seals the campaigns (reviews/) and the
      // app's request audit log, moving only the audit log's sealed-up-to marker.
      this.runtime.functions.scan?.bindReviewsReader(this.reviews.table, this.stateful.dataKey);
      // Sharded: plan-shards reads the campaigns once for the run; the shards and reconcile get
      // them from the run store (no access to the reviews table).
      this.runtime.functions['plan-shards']?.bindReviewsReader(this.reviews.table, this.stateful.dataKey);
      this.runtime.functions.seal?.bindReviewsReader(this.reviews.table, this.stateful.dataKey);
      this.runtime.functions.seal?.bindReviewsAuditSeal(this.reviews.table, this.stateful.dataKey);
    }
    for (const [key, value] of Object.entries(props.tags ?? {})) Tags.of(this).add(key, value);
    if (props.permissionsBoundary) {
      for (const stack of [this.evidence, this.stateful, this.runtime, this.member, this.reviews]) {
        if (!stack) continue;
        PermissionsBoundary.of(stack).apply(
          ManagedPolicy.fromManagedPolicyName(stack, 'PermissionsBoundary', props.permissionsBoundary),
        );
      }
    }
  }
}

/** Prefixes in use per app, lower-cased, with the account they deploy to (undefined: env-agnostic). */
const claimedPrefixes = new WeakMap<Construct, { lower: string; account?: string; path: string }[]>();

/**
 * Two deployments in one app that could land in the same account must not share a prefix: their
 * buckets, secrets, aliases and (account-wide, whatever the region) role names would collide.
 */
function claimPrefix(self: Construct, names: DeploymentNames, account: string | undefined): void {
  const root = self.node.root;
  const known = Token.isUnresolved(account) ? undefined : account;
  const claims = claimedPrefixes.get(root) ?? [];
  const clash = claims.find(
    (c) => c.lower === names.lower && (c.account === undefined || known === undefined || c.account === known),
  );
  if (clash) {
    throw new Error(
      `AccessProof ${self.node.path}: namePrefix "${names.prefix}" is already used by ${clash.path} in this app: two deployments that can share an account (in any region: IAM role names are account-wide) need namePrefix values that differ, ignoring case`,
    );
  }
  claims.push({ lower: names.lower, ...(known ? { account: known } : {}), path: self.node.path });
  claimedPrefixes.set(root, claims);
}

function namesOf(props: AccessProofProps): DeploymentNames {
  return deploymentNames(props.namePrefix, {
    stackNamePrefix: props.stackNamePrefix,
    memberRoleName: props.memberRoleName,
    collectorRoleName: props.collectorRoleName,
    sealRoleName: props.sealRoleName,
    auditorRoleName: props.auditorRoleName,
    secretPrefix: props.secretPrefix,
    dataKeyAlias: props.kms?.dataKeyAlias,
    signingKeyAlias: props.kms?.signingKeyAlias,
    ...(typeof props.eventBus === 'string' ? { eventBusName: props.eventBus } : {}),
  });
}

function loadConfig(props: AccessProofProps): LoadedRunConfig {
  const given = [props.configFile, props.config, props.sources].filter((x) => x !== undefined).length;
  if (given !== 1) throw new Error('AccessProof: give exactly one of configFile, config or sources');
  // Relative to where the app runs (a consuming app's folder), not to this package.
  const cwd = process.cwd();
  if (props.configFile) return loadRunConfigFile(props.configFile, cwd);
  const config =
    props.config ??
    ({
      organization: props.organization ?? 'AccessProof',
      sources: props.sources ?? [],
      ...(props.policy ? { policy: props.policy } : {}),
    } satisfies z.input<typeof configSchema>);
  return runConfigFromObject(config, cwd);
}

function checkExternalId(externalId: string): void {
  if (!new RegExp(`^[\\w+=,.@:/-]{${MIN_EXTERNAL_ID_LENGTH},1224}$`).test(externalId)) {
    throw new Error(
      `AccessProof: externalId must be ${MIN_EXTERNAL_ID_LENGTH}-1224 characters of letters, digits and +=,.@:/-_ (a secret-like value; the member template has no default)`,
    );
  }
}

/**
 * The dedicated evidence account's policies name the scanner account's seal role by ARN, so the
 * scanner account must be known at synth; the two must differ and share a region.
 * Returns the scanner account, or undefined without `evidenceAccount`.
 */
function checkEvidenceAccount(props: AccessProofProps): string | undefined {
  if (props.evidenceAccount === undefined) return undefined;
  if (!/^\d{12}$/.test(props.evidenceAccount))
    throw new Error(
      `AccessProof: evidenceAccount must be a 12-digit AWS account id, got "${props.evidenceAccount}"`,
    );
  const scanner = props.env?.account;
  if (!scanner || Token.isUnresolved(scanner) || !/^\d{12}$/.test(scanner))
    throw new Error(
      "AccessProof: evidenceAccount needs env.account (context account): the evidence account's bucket and key policies name this account's seal role by ARN",
    );
  if (scanner === props.evidenceAccount)
    throw new Error(
      'AccessProof: evidenceAccount is the scanner account itself: leave it unset for the single-account layout',
    );
  return scanner;
}

/** Alarms that reach nobody are no alarms: one of the two is required. */
function checkAlarmTarget(props: AccessProofProps): void {
  if (props.notificationEmail || props.alarmTopic || props.alarmTopicArn) return;
  throw new Error(
    'AccessProof: alarms need someone to reach: set notificationEmail (context -c notificationEmail=you@example.com) or alarmTopic (an existing SNS topic; context alarmTopicArn)',
  );
}

/** The collector's IAM grants assume one member role name and one ExternalId: the config must agree. */
function checkAwsSources(
  { config, document }: LoadedRunConfig,
  memberRoleName: string,
  externalId: string,
): void {
  for (const s of organizationSources(config)) {
    if (s.memberRoleName !== memberRoleName) {
      throw new Error(
        `${document.file}: source "${s.id}" uses memberRoleName "${s.memberRoleName}" but the deployment grants "${memberRoleName}" (set memberRoleName: ${memberRoleName} on the source, or the memberRoleName prop)`,
      );
    }
  }
  for (const s of config.sources) {
    if (s.system === 'aws' && s.externalId !== undefined && s.externalId !== externalId) {
      throw new Error(
        `${document.file}: source "${s.id}" has an externalId that differs from the deployment's`,
      );
    }
  }
}
