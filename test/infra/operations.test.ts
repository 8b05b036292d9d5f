/**
 * Day-2 operations of the deployed run: failures after the chain reservation end in ReleaseRun,
 * the run's time budgets follow the schedule interval, and a redrive resumes where the run failed.
 * One synth for the file; the state machine definition is run by a small ASL interpreter
 * (test/infra/asl.ts) whose ReleaseRun task is the real core step against a real SQLite store.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PackReader } from '../../core/evidence/ports';
import type { FindingsRepository } from '../../core/findings/repository';
import { RunFailedError, releaseFailedRun } from '../../core/run/run-record';
import { runBudget, scheduleIntervalMs } from '../../infra/lib/run-budget';
import { SqliteFindingsRepository } from '../../stores/sqlite-findings/sqlite-findings-repository';
import { runDefinition, TaskFailure } from './asl';
import {
  allowedActions,
  functionRole,
  ORG_APP,
  type StateMachineDefinition,
  type Synthesized,
  sharedSynth,
  stateMachineDefinition,
  synth,
} from './synth';

const HOUR = 3_600_000;
const RUN = '20261003T020000Z-0a1b2c3d';
const noPacks: PackReader = {
  location: 'test',
  objectStore: false,
  listPacks: async () => [],
  listUnsealed: async () => [],
  listFiles: async () => [],
  readFile: async () => undefined,
  openFile: async function* () {},
};
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let app: Synthesized;
let def: StateMachineDefinition;

beforeAll(() => {
  app = sharedSynth(ORG_APP); // the app runtime-stack asserts on
  def = stateMachineDefinition(app.runtime);
});

describe('every failure after the reservation ends in ReleaseRun', () => {
  it('catches scan, seal and notify (States.ALL) into a Pass naming the step, then ReleaseRun', () => {
    for (const [task, step] of [
      ['Scan', 'scan'],
      ['Seal', 'seal'],
      ['Notify', 'notify'],
    ] as const) {
      const failed = def.States[`${task}Failed`]!;
      expect(def.States[task]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${task}Failed` },
      ]);
      expect(failed).toMatchObject({
        Type: 'Pass',
        Parameters: { step, 'failedAtRedrive.$': '$$.Execution.RedriveCount' },
        ResultPath: '$.failedStep',
        Next: 'ReleaseRun',
      });
    }
    expect(def.States.ReleaseRun).toMatchObject({
      Type: 'Task',
      ResultPath: '$.release',
      Next: 'ResumeAfterRedrive',
      Parameters: {
        'runId.$': '$.plan.runId',
        'step.$': '$.failedStep.step',
        'failure.$': '$.failure',
        'failedAtRedrive.$': '$.failedStep.failedAtRedrive',
        'redriveCount.$': '$$.Execution.RedriveCount',
      },
    });
    // ReleaseRun itself is not caught: when it throws, the execution fails there (and alarms).
    expect(def.States.ReleaseRun?.Catch).toBeUndefined();
  });

  it('gives ReleaseRun the findings table (clear the reservation, record, adopt) and the evidence reads', () => {
    const actions = allowedActions(app.runtime, functionRole(app.runtime, 'accessproof-release'));
    expect(actions).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        's3:GetObject',
        's3:ListBucket',
      ]),
    );
    // Never anything that could alter sealed evidence.
    expect(actions.filter((a) => a.startsWith('s3:Put') || a.includes('Delete'))).toEqual([]);
  });
});

describe('the definition, interpreted: a failing Scan or Seal is released; a redrive resumes', () => {
  let repo: FindingsRepository;
  const input = { runConfig: {}, plan: { runId: RUN }, collected: [] };

  beforeEach(async () => {
    repo = SqliteFindingsRepository.open({ file: ':memory:' });
  });
  afterEach(async () => {
    await repo.close();
  });

  /** Tasks: the failing step throws; ReleaseRun is the real core step; the others succeed. */
  async function execute(failing: string | undefined, from: string, state: unknown, redriveCount: number) {
    return runDefinition(
      def,
      from,
      state,
      async (name, payload) => {
        if (name === failing) {
          throw new TaskFailure(
            'Error',
            JSON.stringify({ errorType: 'KMSInternalException', errorMessage: `${name} broke` }),
          );
        }
        if (name !== 'ReleaseRun') return { ok: name };
        const p = payload as {
          runId: string;
          step: string;
          failure: { Error: string; Cause?: string };
          failedAtRedrive: number;
          redriveCount: number;
        };
        try {
          return await releaseFailedRun({
            repo,
            packs: noPacks,
            runId: p.runId,
            failure: {
              step: p.step,
              error: p.failure.Error,
              ...(p.failure.Cause ? { cause: p.failure.Cause } : {}),
              failedAtRedrive: p.failedAtRedrive,
              redriveCount: p.redriveCount,
            },
            at: '2026-10-03T05:00:00.000Z',
            logger: silent,
          });
        } catch (err) {
          if (err instanceof RunFailedError) throw new TaskFailure(err.name, err.message);
          throw err;
        }
      },
      { redriveCount },
    );
  }

  for (const failing of ['Scan', 'Seal'] as const) {
    it(`a failing ${failing}: the failure is recorded, the reservation released, the execution fails at ReleaseRun`, async () => {
      // Arrange: the scan reserved the chain before the failure.
      await repo.reserve(RUN, null, '2026-10-03T04:00:00.000Z');

      // Act
      const out = await execute(failing, 'Scan', input, 0);

      // Assert
      expect(out.status).toBe('FAILED');
      expect(out.failedAt).toBe('ReleaseRun');
      expect(out.error?.error).toBe('RunFailed');
      expect(out.error?.cause).toContain(
        `${failing.toLowerCase()} failed (KMSInternalException: ${failing} broke)`,
      );
      expect(out.path.slice(-2)).toEqual([`${failing}Failed`, 'ReleaseRun']);
      expect(await repo.pendingReservation()).toBeNull();
      expect(await repo.listRunRecords()).toEqual([
        {
          id: `${RUN}/failed/0`,
          runId: RUN,
          kind: 'failed',
          at: '2026-10-03T05:00:00.000Z',
          step: failing.toLowerCase(),
          error: `KMSInternalException: ${failing} broke`,
          reservation: 'released',
        },
      ]);
      // The next run can reserve the chain.
      expect(await repo.reserve('next-run', null, '2026-10-04T04:00:00.000Z')).toBe('reserved');
    });
  }

  it('a redrive of a run that failed at Seal reruns ReleaseRun, which routes back to Scan and on to the end', async () => {
    // Arrange
    await repo.reserve(RUN, null, '2026-10-03T04:00:00.000Z');
    const failed = await execute('Seal', 'Scan', input, 0);

    // Act: Step Functions reruns the failed state (ReleaseRun) with its input, RedriveCount 1.
    const redriven = await execute(undefined, 'ReleaseRun', failed.inputs.ReleaseRun, 1);

    // Assert
    expect(failed.failedAt).toBe('ReleaseRun');
    expect(redriven.calls[0]?.payload).toMatchObject({ step: 'seal', failedAtRedrive: 0, redriveCount: 1 });
    expect(redriven.status).toBe('SUCCEEDED');
    expect(redriven.path).toEqual(['ReleaseRun', 'ResumeAfterRedrive', 'Scan', 'Seal', 'Notify']);
    // One record (the failure); the redrive recorded nothing more.
    expect((await repo.listRunRecords()).map((r) => r.id)).toEqual([`${RUN}/failed/0`]);
  });

  it('the core ReleaseRun step on a redrive resumes instead of recording again; notify resumes at notify', async () => {
    const failure = { step: 'notify', error: 'Error', failedAtRedrive: 0, redriveCount: 1 };
    await expect(
      releaseFailedRun({ repo, packs: noPacks, runId: RUN, failure, at: 'x', logger: silent }),
    ).resolves.toEqual({ resumeAt: 'notify' });
    expect(await repo.listRunRecords()).toEqual([]);
    const redriven = await runDefinition(
      def,
      'ResumeAfterRedrive',
      { ...input, scan: {}, seal: {}, release: { resumeAt: 'notify' } },
      () => ({}),
    );
    expect(redriven.path).toEqual(['ResumeAfterRedrive', 'Notify']);
  });

  it('a notify failure leaves no reservation to release and is still recorded', async () => {
    // Act
    const out = await execute('Notify', 'Notify', { ...input, scan: {}, seal: {} }, 0);

    // Assert
    expect(out.failedAt).toBe('ReleaseRun');
    expect(await repo.listRunRecords()).toEqual([
      expect.objectContaining({ step: 'notify', reservation: 'none' }),
    ]);
  });
});

describe('time budgets follow the schedule interval', () => {
  it('daily: collect calls × 15 min stay under interval − 2 h; the lease is under the interval; the run ends a lease before the next', () => {
    const budget = app.accessProof.runtime.runBudget;
    expect((budget.maxResumes + 1) * 15 * 60_000).toBeLessThan(22 * HOUR);
    expect(budget.leaseMs).toBe(2 * HOUR);
    expect(budget.executionTimeoutMs).toBe(22 * HOUR);
    const { props } = Object.values(app.runtime.findResources('AWS::StepFunctions::StateMachine')).map(
      (r) => ({ props: (r as { Properties: Record<string, unknown> }).Properties }),
    )[0]!;
    expect(JSON.stringify(props.DefinitionString)).toContain('\\"TimeoutSeconds\\":79200');
    const scan = Object.values(app.runtime.findResources('AWS::Lambda::Function')).find(
      (f) =>
        (f as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties.Environment
          .Variables.POWERTOOLS_SERVICE_NAME === 'accessproof-scan',
    ) as { Properties: { Environment: { Variables: Record<string, string> } } };
    expect(scan.Properties.Environment.Variables.RESERVATION_LEASE_MS).toBe(String(2 * HOUR));
  });

  it('derives the interval from rate and cron expressions, and says when it cannot', () => {
    expect(scheduleIntervalMs('rate(12 hours)')).toBe(12 * HOUR);
    expect(scheduleIntervalMs('rate(1 day)')).toBe(24 * HOUR);
    expect(scheduleIntervalMs('cron(0 2 * * ? *)')).toBe(24 * HOUR);
    expect(scheduleIntervalMs('cron(0 2 ? * MON-FRI *)')).toBe(24 * HOUR);
    expect(scheduleIntervalMs('cron(0 2,14 * * ? *)')).toBe(12 * HOUR);
    expect(scheduleIntervalMs('cron(0 1,22 * * ? *)')).toBe(3 * HOUR);
    expect(scheduleIntervalMs('cron(0/30 * * * ? *)')).toBeUndefined();
  });

  it('refuses, with the reason, a lease not shorter than the interval, a lease shorter than the steps that hold it, and a collect budget past interval − 2 h', () => {
    const base = {
      intervalMs: 24 * HOUR,
      collectTimeoutMs: 15 * 60_000,
      reservedStepTimeoutsMs: [15, 15, 5, 5].map((m) => m * 60_000),
      planTimeoutMs: 2 * 60_000,
    };
    expect(() => runBudget({ ...base, leaseMs: 26 * HOUR })).toThrow(
      /lease \(26 h\) must be shorter than the schedule interval \(24 h\)/,
    );
    expect(() => runBudget({ ...base, leaseMs: HOUR })).toThrow(/must be longer than the steps that hold it/);
    expect(() => runBudget({ ...base, maxResumes: 96 })).toThrow(
      /collect budget 97 calls .* must be under the schedule interval − 2 h/,
    );
    expect(() => runBudget({ ...base, intervalMs: 2 * HOUR })).toThrow(/schedule interval 2 h is too short/);
    expect(runBudget({ ...base, intervalMs: 12 * HOUR }).maxResumes).toBe(33);
  });

  it('synth stops when the schedule interval cannot be derived, or the lease is not shorter than it', () => {
    expect(() =>
      synth({ context: { notificationEmail: 'a@example.com', scheduleExpression: 'cron(0/30 * * * ? *)' } }),
    ).toThrow(
      /cannot derive the interval of schedule "cron\(0\/30 \* \* \* \? \*\)": set schedule.intervalHours/,
    );
  });
});

describe('metrics and alarms that mean something', () => {
  type AlarmProps = Record<string, unknown> & { MetricName?: string; AlarmActions: unknown[] };
  const alarmOf = (metric: string) =>
    (Object.values(app.runtime.findResources('AWS::CloudWatch::Alarm')) as { Properties: AlarmProps }[]).find(
      (a) => a.Properties.MetricName === metric,
    )?.Properties;

  it('alarms on any failed source and on an overdue critical finding (the run metrics notify emits)', () => {
    expect(alarmOf('SourcesFailed')).toMatchObject({
      Namespace: 'AccessProof',
      Dimensions: [{ Name: 'service', Value: 'accessproof-notify' }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarmOf('FindingsOverdue')).toMatchObject({
      Namespace: 'AccessProof',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'accessproof-notify' },
        { Name: 'severity', Value: 'critical' },
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms when no pack was sealed within the schedule interval + 2 h, missing data breaching', () => {
    expect(alarmOf('PackSealed')).toMatchObject({
      Namespace: 'AccessProof',
      Dimensions: [{ Name: 'service', Value: 'accessproof-seal' }],
      Statistic: 'Sum',
      Period: 26 * 3600,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    // Every alarm reaches the notification topic, which has the email subscription.
    const topic = Object.keys(app.runtime.findResources('AWS::SNS::Topic'))[0]!;
    for (const metric of ['SourcesFailed', 'FindingsOverdue', 'PackSealed']) {
      expect(alarmOf(metric)?.AlarmActions).toEqual([{ Ref: topic }]);
    }
    app.runtime.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email' });
  });

  it('synth stops with a clear message when neither notificationEmail nor an alarm topic is given', () => {
    expect(() => synth({ context: { notificationEmail: '' } })).toThrow(
      /alarms need someone to reach: set notificationEmail \(context -c notificationEmail=you@example.com\) or alarmTopic/,
    );
  });
});

describe('logs', () => {
  it('every log group is encrypted with the data key; the state machine logs ERROR without execution data', () => {
    const groups = Object.values(app.runtime.findResources('AWS::Logs::LogGroup')) as {
      Properties: { KmsKeyId?: unknown; RetentionInDays?: number };
    }[];
    expect(groups.length).toBeGreaterThan(5);
    for (const g of groups) {
      expect(g.Properties.KmsKeyId).toBeDefined();
      expect(g.Properties.RetentionInDays).toBe(180);
    }
    app.runtime.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
    });
    // CloudWatch Logs may use the data key for this account's log groups only.
    const key = Object.values(app.stateful.findResources('AWS::KMS::Key')).find((k) =>
      JSON.stringify(k).includes('AllowCloudWatchLogsOfThisAccount'),
    );
    expect(JSON.stringify(key)).toContain('kms:EncryptionContext:aws:logs:arn');
  });
});
