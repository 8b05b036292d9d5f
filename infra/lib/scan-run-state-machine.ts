/**
 * The "scan run" state machine (docs/architecture.md):
 *
 *   Configure → Plan → Map over sources (collect ⟲ while a cursor comes back) → Scan → Seal → Notify
 *
 * Payloads between steps (all JSON, kept small; records live in staging and the findings store):
 *   Configure   → `{ runConfig }`  (where the config text + rulesets are staged in S3, and their
 *                 SHA-256: fixed at synth; the text never rides in the state)
 *   Plan        ← `{ execution: { name, startedAt }, runConfig }`; result at `$.plan` (a `RunPlan`,
 *                 `failed`: sources that failed while planning, and in Distributed mode `items:
 *                 { bucket, key }`, the JSON array of planned sources)
 *   Collect…    ← `{ runId, source, resumes, cursor? }` (`source`: one planned source as its full
 *                 source config — the plan resolved and expanded it), routed by a Choice on
 *                 `$.source.system` to CollectAws / CollectEntra / CollectSalesforce (one function
 *                 per system, so each bundles one connector); returns `{ done: true, result:
 *                 SourceResult }` or `{ done: false, cursor }`, and a cursor goes back to the Choice
 *   Map result  → `$.collected`: `SourceResult[]` (inline) or `{ resultWriter: { Bucket, Key } }`
 *                 (Distributed: the ResultWriter manifest.json; its SUCCEEDED files are JSONL of
 *                 SourceResult, FAILED files keep each child's Input, Error and Cause)
 *   Scan        ← `{ plan, runConfig, collected }`; result at `$.scan`
 *   Seal        ← `{ plan, runConfig, collected, scan }` (policy.json); result at `$.seal`
 *   Notify      ← `{ plan, collected, scan, seal }`; result at `$.notify`
 *
 * A source whose collect step throws (after the Lambda service retries) is recorded as a failed
 * `SourceResult` by a Catch, and the run goes on: one failed source is never fatal.
 */
import { Aws, Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Chain,
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  type IChainable,
  type INextable,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  OutputType,
  Pass,
  Result,
  ResultWriterV2,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  TaskInput,
  Transformation,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { LiveSystem } from './lambda-entries';
import { acknowledgeFinding, acknowledgeGeneratedPolicyWildcards, acknowledgeWildcardResource } from './nag';
import type { RunConfigReference } from './run-config';
import { SHARD_ATTEMPTS_IN_MAP, SHARD_MAP_CONCURRENCY } from './shard-fit';

/** The Task state that runs each system's collector. */
export const COLLECT_STATES: Record<LiveSystem, string> = {
  aws: 'CollectAws',
  entra: 'CollectEntra',
  salesforce: 'CollectSalesforce',
};

/** Lambda service-side failures worth retrying: the function never ran or could not answer. */
export const LAMBDA_RETRY_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface ScanRunSteps {
  plan: IFunction;
  /** Records a failure after the chain reservation, releases the reservation, fails the run. */
  release: IFunction;
  /** One collect function per live system the config names; sources are routed on `$.source.system`. */
  collect: Partial<Record<LiveSystem, IFunction>>;
  scan: IFunction;
  seal: IFunction;
  notify: IFunction;
}

/** Distributed Map: many sources (every account of an AWS Organization), items and results in S3. */
export interface DistributedCollectOptions {
  stagingBucket: IBucket;
  /** The staging bucket's SSE-KMS key: the map reads items and writes results through it. */
  stagingKey: IKey;
  /** Share of sources that may fail before the whole map fails. @default 20 */
  toleratedFailurePercentage?: number;
  /** @default 40 */
  maxConcurrency?: number;
}

export interface ScanRunStateMachineProps {
  steps: ScanRunSteps;
  /** Where the deployment staged the config and rulesets: only this reference rides in the state. */
  runConfig: RunConfigReference;
  /** Omit for an inline Map (sources from the config file). */
  distributed?: DistributedCollectOptions;
  /** Inline Map concurrency. @default 4 */
  maxConcurrency?: number;
  /** A connector that keeps returning a cursor is failed after this many resumes. @default 96 */
  maxResumes?: number;
  /** @default 24 hours */
  timeout?: Duration;
  /** @default RetentionDays.SIX_MONTHS */
  logRetention?: RetentionDays;
  /** Execution log level. @default LogLevel.ERROR */
  logLevel?: LogLevel;
  /** Log each state's input and output (identity data, config): only for debugging. @default false */
  includeExecutionData?: boolean;
  /** Encrypts the execution log group (its key policy must let CloudWatch Logs use it). */
  logKey?: IKey;
  /**
   * The sharded scan (issue 18, docs/sharding.md): Scan becomes PlanShards → ScanShards (a
   * Distributed Map over the shard list) → Reconcile, whose result is `$.scan` as before.
   */
  sharded?: ShardedScanSteps;
}

/** The three functions of the sharded scan and how the shard map runs them. */
export interface ShardedScanSteps {
  planShards: IFunction;
  scanShard: IFunction;
  reconcile: IFunction;
  /** Shards at once. @default 40 */
  maxConcurrency?: number;
  /** Attempts per shard before the run fails (any error: a shard is a pure function of staging). @default 3 */
  shardAttempts?: number;
}

/**
 * @example
 * const run = new ScanRunStateMachine(this, 'ScanRun', { steps, runConfig: document });
 * run.stateMachine.metricFailed();
 */
export class ScanRunStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ScanRunStateMachineProps) {
    super(scope, id);
    const { steps } = props;
    const maxResumes = props.maxResumes ?? 96;

    const configure = new Pass(this, 'Configure', {
      comment:
        'The run configuration fixed at deploy time: where the config and SoD rulesets are staged in S3, and their SHA-256',
      result: Result.fromObject({ runConfig: props.runConfig }),
      resultPath: '$',
    });

    const plan = this.invoke('Plan', steps.plan, '$.plan', {
      execution: { name: JsonPath.executionName, startedAt: JsonPath.executionStartTime },
      runConfig: JsonPath.objectAt('$.runConfig'),
    });

    // No Parameters: the iteration state itself is the payload (`cursor` only exists after a pause).
    const sourceFailed = new Pass(this, 'SourceFailed', {
      comment: 'The collect step threw: record the source as failed and let the run go on',
      parameters: failedSource(
        JsonPath.format('{}: {}', JsonPath.stringAt('$.error.Error'), JsonPath.stringAt('$.error.Cause')),
      ),
    });
    const resume = new Pass(this, 'Resume', {
      comment: 'The connector paused before its deadline: call its collector again with the cursor',
      parameters: {
        runId: JsonPath.stringAt('$.runId'),
        source: JsonPath.objectAt('$.source'),
        cursor: JsonPath.stringAt('$.collect.cursor'),
        resumes: JsonPath.mathAdd(JsonPath.numberAt('$.resumes'), 1),
      },
    });
    const gaveUp = new Pass(this, 'ResumeLimitReached', {
      parameters: failedSource(`collection did not finish after ${maxResumes} resumes`),
    });
    const collected = new Pass(this, 'SourceCollected', { outputPath: '$.collect.result' });
    const cursorReturned = new Choice(this, 'CursorReturned')
      .when(
        Condition.and(
          Condition.isPresent('$.collect.cursor'),
          Condition.numberLessThan('$.resumes', maxResumes),
        ),
        resume,
      )
      .when(Condition.isPresent('$.collect.cursor'), gaveUp)
      .otherwise(collected);
    // Each system's collector bundles only its connector: route the source to its own function.
    const collectors = Object.entries(steps.collect) as [LiveSystem, IFunction][];
    if (collectors.length === 0) throw new Error('ScanRunStateMachine: no collect function');
    const route = new Choice(this, 'CollectorForSystem', {
      comment: "Route the source to its system's collect function",
    });
    for (const [system, fn] of collectors) {
      const task = this.invoke(COLLECT_STATES[system], fn, '$.collect');
      task.addCatch(sourceFailed, { errors: [Errors.ALL], resultPath: '$.error' });
      route.when(Condition.stringEquals('$.source.system', system), task.next(cursorReturned));
    }
    route.otherwise(
      new Pass(this, 'NoCollector', {
        comment: 'No collect function is deployed for this system (the config did not name it)',
        parameters: failedSource('no collector is deployed for this system'),
      }),
    );
    resume.next(route);
    const iteration = route;

    const itemSelector = {
      runId: JsonPath.stringAt('$.plan.runId'),
      source: JsonPath.objectAt('$$.Map.Item.Value'),
      resumes: 0,
    };
    const collectSources = props.distributed
      ? this.distributedMap(props.distributed, itemSelector, iteration)
      : new MapState(this, 'CollectSources', {
          comment: 'One iteration per planned source',
          itemsPath: '$.plan.sources',
          itemSelector,
          maxConcurrency: props.maxConcurrency ?? 4,
          resultPath: '$.collected',
        }).itemProcessor(iteration);

    const scanInput = {
      plan: JsonPath.objectAt('$.plan'),
      runConfig: JsonPath.objectAt('$.runConfig'),
      collected: JsonPath.objectAt('$.collected'),
    };
    // The scan step: one Lambda, or (sharded) plan-shards, a map of shards and reconcile; either way
    // its result is `$.scan`, and a failure of any part is the scan step's failure.
    const scanTasks: (LambdaInvoke | DistributedMap)[] = [];
    let scan: IChainable & INextable;
    if (props.sharded) {
      const planShards = this.invoke('PlanShards', props.sharded.planShards, '$.shards', {
        plan: JsonPath.objectAt('$.plan'),
        collected: JsonPath.objectAt('$.collected'),
      });
      const scanShards = this.shardMap(props.sharded);
      const reconcile = this.invoke('Reconcile', props.sharded.reconcile, '$.scan', {
        ...scanInput,
        shards: JsonPath.objectAt('$.shards'),
      });
      scanTasks.push(planShards, scanShards, reconcile);
      scan = Chain.start(planShards).next(scanShards).next(reconcile);
    } else {
      const single = this.invoke('Scan', steps.scan, '$.scan', scanInput);
      scanTasks.push(single);
      scan = single;
    }
    const seal = this.invoke('Seal', steps.seal, '$.seal', {
      plan: JsonPath.objectAt('$.plan'),
      runConfig: JsonPath.objectAt('$.runConfig'),
      collected: JsonPath.objectAt('$.collected'),
      scan: JsonPath.objectAt('$.scan'),
    });
    const notify = this.invoke('Notify', steps.notify, '$.notify', {
      plan: JsonPath.objectAt('$.plan'),
      collected: JsonPath.objectAt('$.collected'),
      scan: JsonPath.objectAt('$.scan'),
      seal: JsonPath.objectAt('$.seal'),
    });

    // Scan reserves the evidence chain; from there on every failure ends in ReleaseRun, which
    // records it, gives the reservation back and fails the execution (so the next scheduled run
    // can seal). A redrive reruns ReleaseRun with a higher RedriveCount: it then routes back.
    const release = this.invoke('ReleaseRun', steps.release, '$.release', {
      runId: JsonPath.stringAt('$.plan.runId'),
      step: JsonPath.stringAt('$.failedStep.step'),
      failure: JsonPath.objectAt('$.failure'),
      failedAtRedrive: JsonPath.numberAt('$.failedStep.failedAtRedrive'),
      redriveCount: JsonPath.numberAt('$$.Execution.RedriveCount'),
    });
    const resumeAt = new Choice(this, 'ResumeAfterRedrive', {
      comment: 'A redriven execution continues where it failed: scan (again, if released) or notify',
    })
      .when(Condition.stringEquals('$.release.resumeAt', 'notify'), notify)
      .otherwise(scan);
    release.next(resumeAt);
    for (const [task, step] of [
      ...scanTasks.map((t) => [t, 'scan'] as const),
      [seal, 'seal'] as const,
      [notify, 'notify'] as const,
    ]) {
      const failed = new Pass(this, `${task.id}Failed`, {
        comment: `The ${step} step failed: name it for ReleaseRun`,
        parameters: { step, failedAtRedrive: JsonPath.numberAt('$$.Execution.RedriveCount') },
        resultPath: '$.failedStep',
      });
      task.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.failure' });
      failed.next(release);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.SIX_MONTHS,
      ...(props.logKey ? { encryptionKey: props.logKey } : {}),
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'AccessProof scan run: plan, collect, scan, seal, notify',
      definitionBody: DefinitionBody.fromChainable(
        configure.next(plan).next(collectSources).next(scan).next(seal).next(notify),
      ),
      stateMachineType: StateMachineType.STANDARD,
      timeout: props.timeout ?? Duration.hours(24),
      tracingEnabled: true,
      // Payloads carry identity data and the config: not in logs unless asked for.
      logs: {
        destination: this.logGroup,
        level: props.logLevel ?? LogLevel.ERROR,
        includeExecutionData: props.includeExecutionData ?? false,
      },
    });

    if ((props.logLevel ?? LogLevel.ERROR) !== LogLevel.ALL) {
      acknowledgeFinding(
        this.stateMachine,
        'AwsSolutions-SF1',
        'Execution logs record errors only by default: state inputs and outputs carry identity data and the run config, which do not belong in logs; the logLevel prop turns ALL on for debugging.',
      );
    }
    acknowledgeWildcardResource(
      this.stateMachine,
      '*',
      'X-Ray tracing (xray:PutTraceSegments, …) and CloudWatch Logs delivery (logs:CreateLogDelivery, …) have no resource-level permissions.',
    );
    const { collect: collectFunctions, ...single } = steps;
    const named: [string, IFunction][] = [
      ...Object.entries(single),
      ...(props.sharded
        ? ([
            ['plan-shards', props.sharded.planShards],
            ['scan-shard', props.sharded.scanShard],
            ['reconcile', props.sharded.reconcile],
          ] as [string, IFunction][])
        : []),
      ...Object.entries(collectFunctions).map(([system, fn]): [string, IFunction] => [
        `collect-${system}`,
        fn,
      ]),
    ];
    for (const [step, fn] of named) {
      acknowledgeWildcardResource(
        this.stateMachine,
        `${fn.functionArn}:*`,
        `lambda:InvokeFunction on the ${step} function's versions and aliases (<arn>:*), as the LambdaInvoke task grants it.`,
      );
    }
    const distributedMapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (distributedMapPolicy) {
      acknowledgeGeneratedPolicyWildcards(
        distributedMapPolicy,
        "Distributed Map child executions get run-time names: states:DescribeExecution, StopExecution and RedriveExecution on this state machine's executions only.",
      );
    }
    if (props.distributed) {
      // Items are read from, and results written to, the SSE-KMS staging bucket.
      props.distributed.stagingKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
      // The item reader writes the ARN with the partition pseudo-parameter, while arnForObjects
      // writes a literal partition once the stack's region is known: acknowledge both spellings.
      const { bucketName } = props.distributed.stagingBucket;
      for (const objects of new Set([
        props.distributed.stagingBucket.arnForObjects('*'),
        `arn:${Aws.PARTITION}:s3:::${bucketName}/*`,
      ]))
        acknowledgeWildcardResource(
          this.stateMachine,
          objects,
          "The Distributed Map reads the plan's item list and writes results under run-time keys of the staging bucket (s3:GetObject, s3:PutObject).",
        );
    }
  }

  private invoke(id: string, fn: IFunction, resultPath: string, payload?: Record<string, unknown>) {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: fn,
      ...(payload ? { payload: TaskInput.fromObject(payload) } : {}),
      payloadResponseOnly: true,
      // The explicit Retry below replaces CDK's default set, so the definition says exactly what is retried.
      retryOnServiceExceptions: false,
      resultPath,
    });
    task.addRetry({
      errors: LAMBDA_RETRY_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
      maxDelay: Duration.minutes(1),
      jitterStrategy: JitterType.FULL,
    });
    return task;
  }

  /**
   * One child execution per shard of the list plan-shards returned (`$.shards.shards`): each gets
   * the run's plan, config reference and collected sources and its `{ shard, count }`. A shard is
   * retried on any error; one that still fails fails the map (no failure is tolerated), so
   * Reconcile never runs on part of the shards.
   */
  private shardMap(options: ShardedScanSteps): DistributedMap {
    const task = new LambdaInvoke(this, 'ScanShard', {
      lambdaFunction: options.scanShard,
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    task.addRetry({
      errors: [Errors.ALL],
      interval: Duration.seconds(5),
      maxAttempts: (options.shardAttempts ?? SHARD_ATTEMPTS_IN_MAP) - 1,
      backoffRate: 2,
      jitterStrategy: JitterType.FULL,
    });
    const map = new DistributedMap(this, 'ScanShards', {
      comment: 'One child execution per shard: rules and SoD over its identities; outputs go to staging',
      itemsPath: '$.shards.shards',
      itemSelector: {
        plan: JsonPath.objectAt('$.plan'),
        runConfig: JsonPath.objectAt('$.runConfig'),
        collected: JsonPath.objectAt('$.collected'),
        shard: JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency: options.maxConcurrency ?? SHARD_MAP_CONCURRENCY,
      toleratedFailurePercentage: 0,
      // A shard may run up to 15 minutes; Express children are capped at 5.
      mapExecutionType: StateMachineType.STANDARD,
      resultPath: JsonPath.DISCARD,
    });
    map.itemProcessor(task);
    return map;
  }

  private distributedMap(
    options: DistributedCollectOptions,
    itemSelector: Record<string, unknown>,
    iteration: IChainable,
  ): DistributedMap {
    const map = new DistributedMap(this, 'CollectSources', {
      comment: 'One child execution per planned source; the plan wrote the item list to staging',
      itemReader: new S3JsonItemReader({
        bucket: options.stagingBucket,
        key: JsonPath.stringAt('$.plan.items.key'),
      }),
      itemSelector,
      maxConcurrency: options.maxConcurrency ?? 40,
      toleratedFailurePercentage: options.toleratedFailurePercentage ?? 20,
      // Collect runs up to 15 minutes per call; Express children are capped at 5.
      mapExecutionType: StateMachineType.STANDARD,
      // JSONL of the children's outputs (each a SourceResult); a child that failed anyway keeps its
      // metadata (Input, Error, Cause) so the scan can still record that source as failed.
      resultWriterV2: new ResultWriterV2({
        bucket: options.stagingBucket,
        prefix: 'map-results',
        writerConfig: { outputType: OutputType.JSONL, transformation: Transformation.COMPACT },
      }),
      resultSelector: { resultWriter: JsonPath.objectAt('$.ResultWriterDetails') },
      resultPath: '$.collected',
    });
    map.itemProcessor(iteration);
    return map;
  }
}

/** A `SourceResult` (core/run/types.ts) for a source that could not be collected. */
function failedSource(error: string): Record<string, unknown> {
  return {
    id: JsonPath.stringAt('$.source.id'),
    system: JsonPath.stringAt('$.source.system'),
    status: 'failed',
    error,
    counts: { principals: 0, entitlements: 0, grants: 0 },
  };
}
