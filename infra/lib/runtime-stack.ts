/**
 * The compute stack: one Lambda per step, the scan-run state machine, its schedule, the findings
 * event bus, the notification topic, a dead-letter queue and alarms. It owns nothing that must
 * survive it: every stateful resource arrives as a typed prop from the stateful stack.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { LogLevel } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { Config } from '../../core/config';
import { DEFAULT_SHARD_MEMORY_MB } from '../../core/run/shard-plan';
import { AppFunction } from './app-function';
import type { EvidenceTarget } from './evidence-vault';
import { BUNDLE_ALIASES, handlerEntry, type LiveSystem, type StepName } from './lambda-entries';
import { acknowledgeFinding } from './nag';
import { type RunBudget, runBudget, scheduleIntervalMs } from './run-budget';
import {
  organizationSources,
  type RunConfigDocument,
  type RunConfigReference,
  runConfigBytes,
} from './run-config';
import { ScanRunStateMachine, type ShardedScanSteps } from './scan-run-state-machine';
import {
  checkShardFit,
  SHARD_ATTEMPTS_IN_MAP,
  SHARD_MAP_CONCURRENCY,
  shardFigures,
  shardStepMemory,
} from './shard-fit';
import { checkStateBudget, type StateBudget } from './state-budget';

/** What the runtime needs from the stateful stack (StatefulStack satisfies it). */
export interface StatefulResources {
  /** Deterministic names, referenced without CloudFormation exports (see StatefulStack). */
  readonly stagingBucketName: string;
  readonly findingsTable: ITable;
  readonly dataKey: IKey;
  readonly sourceSecrets: Record<string, ISecret>;
  readonly retentionDays: number;
  /** The evidence bucket, its keys and the anchor topic: here, or in a dedicated evidence account. */
  readonly evidence: EvidenceTarget;
}

export interface RunSchedule {
  /** EventBridge Scheduler expression: `cron(…)`, `rate(…)` or `at(…)`. */
  expression: string;
  /** IANA time zone the cron fields are read in, e.g. `Europe/Oslo`. */
  timeZone: string;
  /** Hours between two starts, when the expression does not say it plainly. @default derived */
  intervalHours?: number;
}

export interface RuntimeStackProps extends StackProps {
  stateful: StatefulResources;
  config: Config;
  runConfig: RunConfigDocument;
  schedule: RunSchedule;
  /** The repository root (esbuild's working directory; `functions/<step>/handler.ts` live under it). */
  projectRoot: string;
  notificationEmail?: string;
  /** An existing topic the alarms also publish to. */
  alarmTopic?: ITopic;
  alarmTopicArn?: string;
  memberRoleName: string;
  externalId: string;
  /** Fixed so member-account trust policies can name it. */
  collectorRoleName: string;
  /** Fixed so the evidence bucket, signing key and anchor topic policies can name it by ARN. */
  sealRoleName: string;
  /** Force (true) or forbid (false) the Distributed Map. @default true when a source has `organization: true` */
  distributedMap?: boolean;
  /** @default 20 */
  toleratedFailurePercentage?: number;
  evidencePrefix?: string;
  /** The bus finding events go to: a name (created here) or an existing bus. @default 'accessproof-findings' */
  eventBus?: string | IEventBus;
  /** CloudWatch namespace of the run metrics and their alarms. @default 'AccessProof' */
  metricsNamespace?: string;
  /** Retention of every log group (functions, state machine). @default RetentionDays.SIX_MONTHS */
  logRetention?: RetentionDays;
  /** State machine execution log level. @default LogLevel.ERROR, without execution data */
  logLevel?: LogLevel;
  /** How old a chain reservation must be before the next run settles it. @default 2 h */
  reservationLease?: Duration;
  /** Collect resumes per source. @default the most that fit the schedule interval (run-budget.ts) */
  maxResumes?: number;
  /**
   * The most accounts an `organization: true` source may plan: each is one entry of the plan in the
   * run's state, counted by the synth-time state budget (state-budget.ts). @default 1000
   */
  maxOrganizationAccounts?: number;
  /** Import each run's findings into Security Hub (this account's default product). @default false */
  securityHub?: boolean;
  /**
   * Per-step Lambda settings over the defaults (timeouts feed the run's time budgets, checked at
   * synth), e.g. `{ scan: { timeout: Duration.minutes(10), memorySize: 6144 } }`.
   */
  stepSettings?: Partial<Record<StepName, StepSettings>>;
  /**
   * The sharded scan (issue 18, docs/sharding.md): plan-shards, a Distributed Map of scan shards
   * and reconcile replace the one scan Lambda. Off by default.
   */
  sharding?: ShardingSettings;
}

/** How the sharded scan is sized. */
export interface ShardingSettings {
  /** The heap one shard is sized to; the steps' Lambda memory derives from it. @default 2048 */
  memoryBudgetMb?: number;
  /** Shards at once. @default 40 */
  maxConcurrency?: number;
}

/** What a deployment may change of one step's Lambda function. */
export interface StepSettings {
  /** 1 s to 15 min. */
  timeout?: Duration;
  /** 128–10240 MB. */
  memorySize?: number;
  reservedConcurrency?: number;
}

export type { StepName } from './lambda-entries';

/** The default CloudWatch namespace of the Powertools metrics every function emits. */
export const METRICS_NAMESPACE = 'AccessProof';

const STEP_SETTINGS: Record<StepName, { description: string; timeout: Duration; memorySize: number }> = {
  plan: {
    description: 'Plan a scan run: sources, run id, config hash',
    timeout: Duration.minutes(2),
    memorySize: 512,
  },
  'collect-aws': {
    description: 'Collect one AWS account; pauses with a cursor before the deadline',
    timeout: Duration.minutes(15),
    memorySize: 1024,
  },
  'collect-entra': {
    description: 'Collect one Entra ID tenant; pauses with a cursor before the deadline',
    timeout: Duration.minutes(15),
    memorySize: 1024,
  },
  'collect-salesforce': {
    description: 'Collect one Salesforce org; pauses with a cursor before the deadline',
    timeout: Duration.minutes(15),
    memorySize: 1024,
  },
  // `npm run bench`: 2M grants and 67k findings peak at about 1.2 GB in one process; scan also
  // serializes its result to staging and seal parses it back, so both get headroom.
  scan: {
    description: 'Correlate identities, run rules, diff findings',
    timeout: Duration.minutes(15),
    memorySize: 4096,
  },
  seal: {
    description: 'Seal the signed, object-locked evidence pack',
    timeout: Duration.minutes(15),
    memorySize: 2048,
  },
  notify: {
    description: 'Publish finding events and the run digest',
    timeout: Duration.minutes(5),
    memorySize: 512,
  },
  // The sharded scan (issue 18): memory comes from the shard budget (shard-fit.ts) unless set here.
  'plan-shards': {
    description: 'Sharded scan: correlate the key indexes, give each identity its shard',
    timeout: Duration.minutes(15),
    memorySize: shardStepMemory().planShards,
  },
  'scan-shard': {
    description: 'Sharded scan: rules and SoD over one shard of the identities',
    timeout: Duration.minutes(15),
    memorySize: shardStepMemory().scanShard,
  },
  reconcile: {
    description: 'Sharded scan: merge the shards, diff findings',
    timeout: Duration.minutes(15),
    memorySize: shardStepMemory().reconcile,
  },
  // Adopting a pack the failed run had sealed commits its findings: a few minutes at most.
  release: {
    description: 'Record a failed run and release its evidence-chain reservation',
    timeout: Duration.minutes(5),
    memorySize: 512,
  },
};

/** The collector of each live system; ERP extracts are files, refused at synth (run-config.ts). */
export const COLLECTOR_STEPS = {
  aws: 'collect-aws',
  entra: 'collect-entra',
  salesforce: 'collect-salesforce',
} as const satisfies Record<LiveSystem, StepName>;

/**
 * @example
 * new RuntimeStack(app, 'Runtime', { stateful, config, runConfig, schedule, projectRoot, memberRoleName,
 *   externalId, collectorRoleName: 'AccessProofCollector' });
 */
export class RuntimeStack extends Stack {
  /** Every function, by step; a collector exists only for the systems the config names. */
  readonly functions: Partial<Record<StepName, AppFunction>>;
  readonly collectors: Partial<Record<LiveSystem, AppFunction>>;
  readonly scanRun: ScanRunStateMachine;
  readonly topic: Topic;
  readonly findingsBus: IEventBus;
  /** The namespace of the run metrics the alarms read. */
  readonly metricsNamespace: string;
  readonly deadLetterQueue: Queue;
  readonly schedule: Schedule;
  /** The run's time budgets, derived from the schedule interval and checked (run-budget.ts). */
  readonly runBudget: RunBudget;
  /** Where the deployment staged the config and rulesets (a file asset), and their SHA-256. */
  readonly runConfig: RunConfigReference;
  /** The largest state a run can carry, estimated and checked at synth (state-budget.ts). */
  readonly stateBudget: StateBudget;
  /** Where every alarm publishes: the notification topic, and the given alarm topic. */
  readonly alarmTopics: ITopic[];

  constructor(scope: Construct, id: string, props: RuntimeStackProps) {
    super(scope, id, props);
    const { stateful, config } = props;
    if (!/^(cron|rate|at)\(.+\)$/.test(props.schedule.expression)) {
      throw new Error(
        `schedule expression must be cron(…), rate(…) or at(…), got "${props.schedule.expression}"`,
      );
    }
    const settings = stepSettingsOf(
      shardedStepSettings(props.sharding, props.stepSettings, props.projectRoot),
    );
    this.metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;
    const budget = this.budget(props, settings);
    this.runBudget = budget;
    const { evidence } = stateful;
    const evidenceBucket = evidence.account
      ? Bucket.fromBucketAttributes(this, 'EvidenceBucket', {
          bucketName: evidence.bucketName,
          account: evidence.account,
        })
      : Bucket.fromBucketName(this, 'EvidenceBucket', evidence.bucketName);
    const anchorTopic =
      typeof evidence.anchorTopic === 'string'
        ? Topic.fromTopicArn(this, 'AnchorTopic', evidence.anchorTopic)
        : evidence.anchorTopic;
    const stagingBucket = Bucket.fromBucketName(this, 'StagingBucket', stateful.stagingBucketName);
    const orgSources = organizationSources(config);
    const distributed = props.distributedMap ?? orgSources.length > 0;
    const liveAws = config.sources.filter((s) => s.system === 'aws' && !s.files);

    const fn = (step: StepName, extra: { roleName?: string; iamActionData?: boolean } = {}) =>
      new AppFunction(this, constructIdOf(step), {
        entry: join(props.projectRoot, handlerEntry(step)),
        projectRoot: props.projectRoot,
        serviceName: `accessproof-${step}`,
        ...settings[step],
        logKey: stateful.dataKey,
        metricsNamespace: this.metricsNamespace,
        ...(props.logRetention ? { logRetention: props.logRetention } : {}),
        ...extra,
        ...(BUNDLE_ALIASES[step] ? { alias: BUNDLE_ALIASES[step] } : {}),
      });
    this.runConfig = stageRunConfig(this, props.runConfig);
    const maxOrganizationAccounts = props.maxOrganizationAccounts ?? DEFAULT_MAX_ORGANIZATION_ACCOUNTS;
    if (!Number.isInteger(maxOrganizationAccounts) || maxOrganizationAccounts < 1)
      throw new Error(
        `maxOrganizationAccounts must be a positive whole number, got ${maxOrganizationAccounts}`,
      );
    this.stateBudget = stateBudgetOf(this.runConfig, config, distributed, maxOrganizationAccounts);
    const plan = fn('plan');
    plan.bindRunConfigReader(this.runConfig);
    // The plan refuses (as a failed source) an Organization larger than the state was sized for.
    if (orgSources.length > 0)
      plan.function.addEnvironment('MAX_ORGANIZATION_ACCOUNTS', String(maxOrganizationAccounts));
    // One collector per live system the config names, each bundling only its own connector.
    const systems = new Set(config.sources.map((s) => s.system));
    const collectors: Partial<Record<LiveSystem, AppFunction>> = {};
    if (systems.has('aws')) {
      // The member roles trust this role by name; the AWS connector classifies privileged policies
      // with the packaged IAM action catalogue.
      collectors.aws = fn('collect-aws', { roleName: props.collectorRoleName, iamActionData: true });
    }
    if (systems.has('entra')) collectors.entra = fn('collect-entra');
    if (systems.has('salesforce')) collectors.salesforce = fn('collect-salesforce');
    // The SoD engine expands AWS action globs with the catalogue.
    const scan = fn('scan', { iamActionData: true });
    // The only principal the evidence bucket lets write and the signing key lets sign, by ARN.
    const seal = fn('seal', { roleName: props.sealRoleName });
    const notify = fn('notify');
    const release = fn('release');
    this.collectors = collectors;
    this.functions = {
      plan,
      ...Object.fromEntries(
        Object.entries(collectors).map(([sys, f]) => [COLLECTOR_STEPS[sys as LiveSystem], f]),
      ),
      scan,
      seal,
      notify,
      release,
    };

    this.findingsBus =
      typeof props.eventBus === 'object'
        ? props.eventBus
        : new EventBus(this, 'FindingsBus', { eventBusName: props.eventBus ?? 'accessproof-findings' });
    this.topic = new Topic(this, 'NotificationTopic', {
      displayName: 'AccessProof scan runs',
      masterKey: stateful.dataKey,
      enforceSSL: true,
    });
    if (props.notificationEmail) this.topic.addSubscription(new EmailSubscription(props.notificationEmail));

    // plan: the run's identity and source list; in Distributed mode it writes the item list to staging.
    if (orgSources.length > 0) plan.bindOrganizationsReader();
    if (distributed) {
      plan.bindStagingWriter(stagingBucket, stateful.dataKey);
      plan.function.addEnvironment('PLAN_ITEMS', 's3');
    }

    // collect: staging parts and checkpoints for every collector; the AWS one assumes member-account
    // roles, Entra and Salesforce read their own sources' secrets. The Organization's accounts are
    // listed by plan, so no collector needs Organizations access.
    for (const [system, collector] of Object.entries(collectors) as [LiveSystem, AppFunction][]) {
      collector.bindStagingWriter(stagingBucket, stateful.dataKey);
      const secrets = Object.fromEntries(
        config.sources
          .filter((s) => s.system === system && stateful.sourceSecrets[s.id])
          .map((s) => [s.id, stateful.sourceSecrets[s.id]!]),
      );
      collector.bindSourceSecrets(secrets, stateful.dataKey);
    }
    if (collectors.aws && liveAws.length > 0) {
      const roleArns = liveAws.flatMap((s) => (s.system === 'aws' && s.roleArn ? [s.roleArn] : []));
      collectors.aws.bindMemberRoleAssumer(props.memberRoleName, props.externalId, roleArns);
    }

    // scan: reads snapshots and writes the scan result (the run store) in staging.
    scan.bindStagingWriter(stagingBucket, stateful.dataKey);
    scan.bindRunConfigReader(this.runConfig);
    scan.bindFindingsTable(stateful.findingsTable, stateful.dataKey, { write: true });
    scan.bindEvidenceReader(evidenceBucket, evidence.encryptionKey, props.evidencePrefix);

    // Settle a dead run's reservation once it is a lease old (shorter than the schedule interval).
    scan.function.addEnvironment('RESERVATION_LEASE_MS', String(budget.leaseMs));

    seal.bindStagingReader(stagingBucket, stateful.dataKey);
    // seal: builds policy.json from the same staged config and rulesets as plan and scan.
    seal.bindRunConfigReader(this.runConfig);
    seal.bindFindingsTable(stateful.findingsTable, stateful.dataKey, { write: true });
    seal.bindEvidenceWriter(
      evidenceBucket,
      evidence.encryptionKey,
      stateful.retentionDays,
      props.evidencePrefix,
    );
    seal.bindManifestSigner(evidence.signingKey);
    seal.bindAnchorPublisher(anchorTopic);

    // notify: the scan result from the run store; events and the digest out.
    notify.bindStagingReader(stagingBucket, stateful.dataKey);
    notify.bindFindingEvents(this.findingsBus);
    notify.bindNotificationTopic(this.topic, stateful.dataKey);
    if (props.securityHub) notify.bindSecurityHubImport();

    // release: records the failure, clears the reservation or adopts a pack the run had sealed.
    release.bindFindingsTable(stateful.findingsTable, stateful.dataKey, { write: true });
    release.bindEvidenceReader(evidenceBucket, evidence.encryptionKey, props.evidencePrefix);

    const sharded = props.sharding
      ? this.shardedScan(props, settings, fn, stagingBucket, evidenceBucket)
      : undefined;
    if (sharded)
      for (const collector of Object.values(collectors))
        collector.function.addEnvironment('KEY_INDEX', 'true');

    this.scanRun = new ScanRunStateMachine(this, 'ScanRun', {
      maxResumes: budget.maxResumes,
      logKey: stateful.dataKey,
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel ? { logLevel: props.logLevel } : {}),
      timeout: Duration.millis(budget.executionTimeoutMs),
      steps: {
        plan: plan.function,
        release: release.function,
        collect: Object.fromEntries(Object.entries(collectors).map(([sys, f]) => [sys, f.function])),
        scan: scan.function,
        seal: seal.function,
        notify: notify.function,
      },
      runConfig: this.runConfig,
      ...(sharded ? { sharded } : {}),
      ...(distributed
        ? {
            distributed: {
              stagingBucket,
              stagingKey: stateful.dataKey,
              toleratedFailurePercentage: props.toleratedFailurePercentage ?? 20,
            },
          }
        : {}),
    });

    this.deadLetterQueue = new Queue(this, 'ScheduleDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeFinding(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is the dead-letter queue of the EventBridge Scheduler target (runs that could not start).',
    );
    this.schedule = new Schedule(this, 'ScanSchedule', {
      description: 'Start the AccessProof scan run',
      schedule: ScheduleExpression.expression(
        props.schedule.expression,
        TimeZone.of(props.schedule.timeZone),
      ),
      target: new StepFunctionsStartExecution(this.scanRun.stateMachine, {
        input: ScheduleTargetInput.fromObject({ trigger: 'schedule' }),
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
      }),
    });

    this.alarmTopics = [
      this.topic,
      ...(props.alarmTopic ? [props.alarmTopic] : []),
      ...(props.alarmTopicArn ? [Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)] : []),
    ];
    this.alarms(props.securityHub === true);
  }

  /** Derive and check the run's time budgets; synth stops with the reason when they cannot hold. */
  /**
   * The sharded scan's three functions, their access, and the synth-time check that each fits its
   * Lambda at 10x with the shard count the budget gives (shard-fit.ts).
   */
  private shardedScan(
    props: RuntimeStackProps,
    settings: Record<StepName, ResolvedStepSettings>,
    fn: (step: StepName, extra?: { iamActionData?: boolean }) => AppFunction,
    stagingBucket: IBucket,
    evidenceBucket: IBucket,
  ): ShardedScanSteps {
    const { stateful } = props;
    const budgetMb = props.sharding?.memoryBudgetMb ?? DEFAULT_SHARD_MEMORY_MB;
    const seconds = (step: StepName) => settings[step].timeout.toSeconds();
    checkShardFit(
      shardFigures(props.projectRoot, budgetMb),
      {
        planShards: settings['plan-shards'].memorySize,
        scanShard: settings['scan-shard'].memorySize,
        reconcile: settings.reconcile.memorySize,
      },
      {
        planShards: seconds('plan-shards'),
        scanShard: seconds('scan-shard'),
        reconcile: seconds('reconcile'),
      },
    );
    const planShards = fn('plan-shards');
    const scanShard = fn('scan-shard', { iamActionData: true });
    const reconcile = fn('reconcile');
    this.functions['plan-shards'] = planShards;
    this.functions['scan-shard'] = scanShard;
    this.functions.reconcile = reconcile;
    // plan-shards: reads the key indexes and every snapshot, writes each shard's context and its
    // lines of the snapshots (run store: core/run/shard-lines.ts).
    planShards.bindStagingWriter(stagingBucket, stateful.dataKey);
    planShards.function.addEnvironment('SHARD_MEMORY_BUDGET_MB', String(budgetMb));
    // scan-shard: snapshots in, its output to the run store; stored findings read only.
    scanShard.bindStagingWriter(stagingBucket, stateful.dataKey);
    scanShard.bindRunConfigReader(this.runConfig);
    scanShard.bindFindingsTable(stateful.findingsTable, stateful.dataKey, { write: false });
    // reconcile: as the single scan (reserves the chain, writes findings and the result).
    reconcile.bindStagingWriter(stagingBucket, stateful.dataKey);
    reconcile.bindRunConfigReader(this.runConfig);
    reconcile.bindFindingsTable(stateful.findingsTable, stateful.dataKey, { write: true });
    reconcile.bindEvidenceReader(evidenceBucket, stateful.evidence.encryptionKey, props.evidencePrefix);
    reconcile.function.addEnvironment('RESERVATION_LEASE_MS', String(this.runBudget.leaseMs));
    return {
      planShards: planShards.function,
      scanShard: scanShard.function,
      reconcile: reconcile.function,
      ...(props.sharding?.maxConcurrency ? { maxConcurrency: props.sharding.maxConcurrency } : {}),
    };
  }

  private budget(props: RuntimeStackProps, settings: Record<StepName, { timeout: Duration }>): RunBudget {
    const derived = scheduleIntervalMs(props.schedule.expression);
    const intervalMs =
      props.schedule.intervalHours !== undefined ? props.schedule.intervalHours * 3_600_000 : derived;
    if (intervalMs === undefined) {
      throw new Error(
        `cannot derive the interval of schedule "${props.schedule.expression}": set schedule.intervalHours (context scheduleIntervalHours) to the shortest time between two runs`,
      );
    }
    if (derived !== undefined && props.schedule.intervalHours !== undefined && derived < intervalMs) {
      throw new Error(
        `schedule.intervalHours (${props.schedule.intervalHours}) is longer than the schedule "${props.schedule.expression}" fires (${derived / 3_600_000} h)`,
      );
    }
    const ms = (step: StepName) => settings[step].timeout.toMilliseconds();
    // Sharded: plan-shards and the Map's rounds of shards run before reconcile reserves the chain
    // (rounds for the shard count of the 10x figures, shard-fit.ts), reconcile instead of scan after.
    // A shard round is every attempt of a shard at its timeout; plan-shards retried like any step.
    const sharding = props.sharding;
    const rounds = sharding
      ? Math.ceil(
          shardFigures(props.projectRoot, sharding.memoryBudgetMb ?? DEFAULT_SHARD_MEMORY_MB).shards /
            (sharding.maxConcurrency ?? SHARD_MAP_CONCURRENCY),
        )
      : 0;
    return runBudget({
      intervalMs,
      collectTimeoutMs: Math.max(ms('collect-aws'), ms('collect-entra'), ms('collect-salesforce')),
      reservedStepTimeoutsMs: [ms(sharding ? 'reconcile' : 'scan'), ms('seal'), ms('notify'), ms('release')],
      ...(sharding
        ? {
            preReservationTimeoutsMs: [
              2 * ms('plan-shards'),
              rounds * SHARD_ATTEMPTS_IN_MAP * ms('scan-shard'),
            ],
          }
        : {}),
      planTimeoutMs: ms('plan'),
      ...(props.reservationLease ? { leaseMs: props.reservationLease.toMilliseconds() } : {}),
      ...(props.maxResumes !== undefined ? { maxResumes: props.maxResumes } : {}),
    });
  }

  /** Failed, timed-out or aborted runs, any step's errors, and a schedule that could not start a run. */
  private alarms(securityHub: boolean): void {
    const sm = this.scanRun.stateMachine;
    const notifyTopics = (a: Alarm) => {
      for (const t of this.alarmTopics) a.addAlarmAction(new SnsAction(t));
      return a;
    };
    const alarm = (id: string, metric: IMetric, description: string) =>
      notifyTopics(
        new Alarm(this, id, {
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        }),
      );
    // The run metrics (functions/shared/run-metrics.ts): notify emits the per-run counts, seal
    // emits PackSealed and RunSeconds, each with the function's `service` dimension.
    const runMetric = (
      name: string,
      service: string,
      extra: Record<string, string> = {},
      period = Duration.hours(1),
    ) =>
      new Metric({
        namespace: this.metricsNamespace,
        metricName: name,
        dimensionsMap: { service, ...extra },
        statistic: Stats.MAXIMUM,
        period,
      });
    alarm(
      'SourceFailedAlarm',
      runMetric('SourcesFailed', 'accessproof-notify'),
      'A source could not be collected in the last run: its findings stay open and unverified (see the digest and docs/operations.md)',
    );
    alarm(
      'OverdueCriticalFindingAlarm',
      runMetric('FindingsOverdue', 'accessproof-notify', { severity: 'critical' }),
      'A critical finding is past its remediation due date',
    );
    if (securityHub) {
      alarm(
        'SecurityHubImportFailedAlarm',
        runMetric('SecurityHubImportFailed', 'accessproof-notify'),
        'Security Hub refused findings of the last run, or their workflow updates: the digest names the first errors (the evidence pack is complete)',
      );
    }
    // No data at all is the failure this alarm exists for: a schedule that stopped, runs that die
    // before sealing, a broken deployment. Missing data is breaching.
    const noPackWindow = Duration.millis(this.runBudget.intervalMs + 2 * 3_600_000);
    notifyTopics(
      new Alarm(this, 'NoPackSealedAlarm', {
        metric: new Metric({
          namespace: this.metricsNamespace,
          metricName: 'PackSealed',
          dimensionsMap: { service: 'accessproof-seal' },
          statistic: Stats.SUM,
          period: noPackWindow,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.BREACHING,
        alarmDescription: `No evidence pack was sealed in the last ${noPackWindow.toHours()} hours (the schedule interval + 2 h)`,
      }),
    );
    alarm(
      'RunFailedAlarm',
      sm.metricFailed({ period: Duration.minutes(5) }),
      'A scan run failed: no evidence pack was sealed',
    );
    alarm('RunTimedOutAlarm', sm.metricTimedOut({ period: Duration.minutes(5) }), 'A scan run timed out');
    alarm('RunAbortedAlarm', sm.metricAborted({ period: Duration.minutes(5) }), 'A scan run was aborted');
    for (const [step, f] of Object.entries(this.functions)) {
      alarm(
        `${f.node.id}ErrorsAlarm`,
        f.function.metricErrors({ period: Duration.minutes(5) }),
        `The ${step} step's Lambda function reported errors`,
      );
    }
    alarm(
      'ScheduleDeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      'The schedule could not start a scan run (see the dead-letter queue)',
    );
  }
}

/** What an `organization: true` source may plan unless the deployment says otherwise. */
export const DEFAULT_MAX_ORGANIZATION_ACCOUNTS = 1000;

/** Bytes one planned account takes in `$.plan.sources` (`{"id":"<source>-<account>","system":"aws",…}`). */
const PLANNED_ACCOUNT_BYTES = 100;

/** The run's largest state, from what synth knows; throws with the reason past the budget. */
function stateBudgetOf(
  runConfig: RunConfigReference,
  config: Config,
  distributed: boolean,
  maxOrganizationAccounts: number,
): StateBudget {
  const bytes = (x: unknown) => Buffer.byteLength(JSON.stringify(x));
  // The asset bucket's name resolves at deploy time: count the longest it can be.
  const runConfigBytes = bytes({ runConfig: { ...runConfig, bucket: 'x'.repeat(63) } });
  const plannedSourcesBytes = config.sources.reduce((sum, s) => {
    const policy = s.policy ? bytes(s.policy) : 0;
    if (s.system === 'aws' && s.organization)
      return sum + maxOrganizationAccounts * (PLANNED_ACCOUNT_BYTES + policy);
    // Inline: each planned source is its full config; Distributed: id, system, flags and policy.
    return sum + (distributed ? PLANNED_ACCOUNT_BYTES + policy : bytes(s));
  }, 0);
  const organizations = config.sources.filter((s) => s.system === 'aws' && s.organization).length;
  return checkStateBudget({
    runConfigBytes,
    plannedSourcesBytes,
    ...(organizations > 0 ? { organizationAccounts: organizations * maxOrganizationAccounts } : {}),
    ...(distributed ? {} : { inlineSources: config.sources.length }),
  });
}

type ResolvedStepSettings = {
  description: string;
  timeout: Duration;
  memorySize: number;
  reservedConcurrency?: number;
};

/** The shard steps' memory from the budget, under any explicit stepSettings. */
function shardedStepSettings(
  sharding: ShardingSettings | undefined,
  overrides: Partial<Record<StepName, StepSettings>> | undefined,
  projectRoot: string,
): Partial<Record<StepName, StepSettings>> | undefined {
  if (!sharding) return overrides;
  const budgetMb = sharding.memoryBudgetMb ?? DEFAULT_SHARD_MEMORY_MB;
  const memory = shardStepMemory(budgetMb, shardFigures(projectRoot, budgetMb));
  const derived: Partial<Record<StepName, StepSettings>> = {
    'plan-shards': { memorySize: memory.planShards },
    'scan-shard': { memorySize: memory.scanShard },
    reconcile: { memorySize: memory.reconcile },
  };
  const out = { ...overrides };
  for (const [step, d] of Object.entries(derived) as [StepName, StepSettings][])
    out[step] = { ...d, ...overrides?.[step] };
  return out;
}

/** The defaults with the deployment's overrides, checked: a bad value stops synth naming the step. */
function stepSettingsOf(
  overrides: Partial<Record<StepName, StepSettings>> | undefined,
): Record<StepName, ResolvedStepSettings> {
  const out = { ...STEP_SETTINGS } as Record<StepName, ResolvedStepSettings>;
  for (const [step, o] of Object.entries(overrides ?? {}) as [StepName, StepSettings][]) {
    if (!STEP_SETTINGS[step])
      throw new Error(
        `stepSettings: unknown step "${step}" (one of ${Object.keys(STEP_SETTINGS).join(', ')})`,
      );
    const seconds = o.timeout?.toSeconds();
    if (seconds !== undefined && (seconds < 1 || seconds > 900))
      throw new Error(`stepSettings.${step}.timeout must be 1 s to 15 min, got ${seconds} s`);
    if (
      o.memorySize !== undefined &&
      (!Number.isInteger(o.memorySize) || o.memorySize < 128 || o.memorySize > 10_240)
    )
      throw new Error(`stepSettings.${step}.memorySize must be 128-10240 MB, got ${o.memorySize}`);
    if (
      o.reservedConcurrency !== undefined &&
      (!Number.isInteger(o.reservedConcurrency) || o.reservedConcurrency < 1)
    )
      throw new Error(
        `stepSettings.${step}.reservedConcurrency must be a positive whole number, got ${o.reservedConcurrency}`,
      );
    out[step] = {
      ...out[step],
      ...(o.timeout ? { timeout: o.timeout } : {}),
      ...(o.memorySize !== undefined ? { memorySize: o.memorySize } : {}),
      ...(o.reservedConcurrency !== undefined ? { reservedConcurrency: o.reservedConcurrency } : {}),
    };
  }
  return out;
}

/**
 * Stage the config and rulesets in S3 as a file asset (`cdk deploy` uploads it to the bootstrap
 * assets bucket, content-addressed): the state machine then carries only its location and
 * SHA-256, so the run's state stays small however large the rulesets grow.
 */
function stageRunConfig(scope: Construct, document: RunConfigDocument): RunConfigReference {
  const bytes = runConfigBytes(document);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const file = join(mkdtempSync(join(tmpdir(), 'accessproof-run-config-')), `run-config-${sha256}.json`);
  writeFileSync(file, bytes);
  const asset = new Asset(scope, 'RunConfig', { path: file });
  return { file: document.file, bucket: asset.s3BucketName, key: asset.s3ObjectKey, sha256 };
}

/**
 * `collect-entra` → `CollectEntraFunction`. The AWS collector keeps the id of the collector it split
 * from (`CollectFunction`): its role has a fixed name, and CloudFormation would create a replacement
 * role of the same name before deleting the old one, failing the update.
 */
function constructIdOf(step: StepName): string {
  if (step === 'collect-aws') return 'CollectFunction';
  const pascal = step
    .split('-')
    .map((w) => `${w[0]!.toUpperCase()}${w.slice(1)}`)
    .join('');
  return `${pascal}Function`;
}
