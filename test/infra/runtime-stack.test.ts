import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_STEPS } from '../../infra/lib/lambda-entries';
import { LAMBDA_RETRY_ERRORS } from '../../infra/lib/scan-run-state-machine';
import {
  allowedActions,
  allStates,
  asList,
  functionRole,
  ORG_APP,
  onlyResource,
  roleStatements,
  type StateMachineDefinition,
  type Statement,
  type Synthesized,
  sharedSynth,
  stateMachineDefinition,
  synth,
} from './synth';

const STEPS = [
  'plan',
  'collect-aws',
  'collect-entra',
  'collect-salesforce',
  'scan',
  'seal',
  'notify',
  'release',
] as const;
const COLLECTORS = ['collect-aws', 'collect-entra', 'collect-salesforce'] as const;
/** Every collector writes snapshot parts and checkpoints to staging through the data key. */
const STAGING_WRITE = [
  'kms:Decrypt',
  'kms:GenerateDataKey',
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:ListBucket',
  's3:PutObject',
];
const XRAY_AND_LOGS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

let orgApp: Synthesized;
let runtime: Template;

/** A config without an AWS Organization source: inline Map, no Organizations or AssumeRole grants. */
const inlineConfig = {
  organization: 'Inline Example',
  sources: [
    { id: 'entra', system: 'entra' as const, tenantId: '00000000-0000-0000-0000-000000000000' },
    { id: 'sfdc', system: 'salesforce' as const },
  ],
  policy: { sodRules: ['rules/sox-core.yaml'] },
};

beforeAll(() => {
  // Arrange / Act (shared): the default app (an Organization source: Distributed Map).
  orgApp = sharedSynth(ORG_APP); // operations asserts on the same app
  runtime = orgApp.runtime;
});

describe('Lambda functions', () => {
  it('one ARM64, traced, latest-Node function per step with explicit timeout, memory and log retention', () => {
    // Arrange
    const fns = Object.values(runtime.findResources('AWS::Lambda::Function')) as {
      Properties: Record<string, unknown> & { Environment: { Variables: Record<string, string> } };
    }[];
    const byStep = Object.fromEntries(
      fns.map((f) => [f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, f]),
    );

    // Assert
    expect(Object.keys(byStep).sort()).toEqual(STEPS.map((s) => `accessproof-${s}`).sort());
    // The bench measures the same list the stack deploys.
    expect([...LAMBDA_STEPS].sort()).toEqual([...STEPS].sort());
    for (const f of fns) {
      expect(f.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(f.Properties.Timeout).toEqual(expect.any(Number));
      expect(f.Properties.MemorySize).toEqual(expect.any(Number));
    }
    for (const c of COLLECTORS)
      expect(byStep[`accessproof-${c}`]?.Properties).toMatchObject({ Timeout: 900, MemorySize: 1024 });
    expect(byStep['accessproof-plan']?.Properties).toMatchObject({ Timeout: 120, MemorySize: 512 });
    // Seven functions and the state machine.
    runtime.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 180 }, 9);
  });

  it('each function receives exactly the environment its bindings set', () => {
    // Arrange
    const envOf = (step: string) =>
      (
        Object.values(
          runtime.findResources('AWS::Lambda::Function', {
            Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: `accessproof-${step}` } } },
          }),
        )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
    const common = [
      'NODE_OPTIONS',
      'POWERTOOLS_LOG_LEVEL',
      'POWERTOOLS_METRICS_NAMESPACE',
      'POWERTOOLS_SERVICE_NAME',
    ];
    const names = (step: string) => Object.keys(envOf(step)).sort();

    // Assert
    expect(names('plan')).toEqual(
      [
        ...common,
        'MAX_ORGANIZATION_ACCOUNTS',
        'PLAN_ITEMS',
        'RUN_CONFIG_BUCKET_OWNER',
        'STAGING_BUCKET',
        'STAGING_BUCKET_OWNER',
      ].sort(),
    );
    expect(names('collect-aws')).toEqual(
      [...common, 'EXTERNAL_ID', 'MEMBER_ROLE_NAME', 'STAGING_BUCKET', 'STAGING_BUCKET_OWNER'].sort(),
    );
    for (const c of ['collect-entra', 'collect-salesforce']) {
      expect(names(c)).toEqual(
        [...common, 'SOURCE_SECRETS', 'STAGING_BUCKET', 'STAGING_BUCKET_OWNER'].sort(),
      );
    }
    expect(names('scan')).toEqual(
      [
        ...common,
        'EVIDENCE_BUCKET',
        'EVIDENCE_BUCKET_OWNER',
        'EVIDENCE_PREFIX',
        'FINDINGS_TABLE',
        'RESERVATION_LEASE_MS',
        'RUN_CONFIG_BUCKET_OWNER',
        'STAGING_BUCKET',
        'STAGING_BUCKET_OWNER',
      ].sort(),
    );
    expect(names('seal')).toEqual(
      [
        ...common,
        'EVIDENCE_BUCKET',
        'EVIDENCE_BUCKET_OWNER',
        'EVIDENCE_PREFIX',
        'EVIDENCE_RETENTION_DAYS',
        'FINDINGS_TABLE',
        'SIGNING_KEY_ARN',
        'ANCHOR_TOPIC_ARN',
        'RUN_CONFIG_BUCKET_OWNER',
        'STAGING_BUCKET',
        'STAGING_BUCKET_OWNER',
      ].sort(),
    );
    expect(names('notify')).toEqual(
      [...common, 'FINDINGS_EVENT_BUS', 'NOTIFY_TOPIC_ARN', 'STAGING_BUCKET', 'STAGING_BUCKET_OWNER'].sort(),
    );
    expect(envOf('seal').EVIDENCE_RETENTION_DAYS).toBe('2557');
    expect(envOf('collect-aws')).toMatchObject({
      MEMBER_ROLE_NAME: 'AccessProofReader',
      EXTERNAL_ID: 'ap-test-7f3c9e1d5b2a4c60',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });
});

describe('IAM: exact actions per role', () => {
  it('AWS collector: staging and AssumeRole into the member role by name; no secrets, nothing else', () => {
    // Arrange
    const role = functionRole(runtime, 'accessproof-collect-aws');
    const statements = roleStatements(runtime, role);
    const assume = statements.find((s) => s.Sid === 'AssumeMemberReader');

    // Assert
    expect(allowedActions(runtime, role)).toEqual(
      [...XRAY_AND_LOGS, ...STAGING_WRITE, 'sts:AssumeRole'].sort(),
    );
    expect(assume?.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/AccessProofReader']],
    });
    // The member roles trust this role by name; it keeps the logical id of the collector it split
    // from, so an update changes the fixed-name role in place instead of replacing it (which fails).
    expect(runtime.toJSON().Resources[role].Properties.RoleName).toBe('AccessProofCollector');
    expect(role).toMatch(/^CollectFunctionRole[0-9A-F]{8}$/);
  });

  it("Entra and Salesforce collectors: staging and their own sources' secret; no AssumeRole", () => {
    // Arrange
    const secretRead = (service: string) => {
      const statements = roleStatements(runtime, functionRole(runtime, service));
      return JSON.stringify(statements.filter((s) => s.Sid === 'SourceSecretsRead').map((s) => s.Resource));
    };

    // Assert
    for (const c of ['collect-entra', 'collect-salesforce']) {
      const role = functionRole(runtime, `accessproof-${c}`);
      expect(allowedActions(runtime, role)).toEqual(
        [...XRAY_AND_LOGS, ...STAGING_WRITE, 'secretsmanager:GetSecretValue'].sort(),
      );
      expect(runtime.toJSON().Resources[role].Properties.RoleName).toBeUndefined();
    }
    // Each reads only the secret of its own system's source (entra / sfdc in the example config).
    expect(secretRead('accessproof-collect-entra')).toMatch(/SourceSecretentra/);
    expect(secretRead('accessproof-collect-entra')).not.toMatch(/SourceSecretsfdc/);
    expect(secretRead('accessproof-collect-salesforce')).toMatch(/SourceSecretsfdc/);
    expect(secretRead('accessproof-collect-salesforce')).not.toMatch(/SourceSecretentra/);
  });

  it('writer (seal): PutObject and COMPLIANCE-only PutObjectRetention on evidence, signing, no delete or unlock', () => {
    // Arrange
    const role = functionRole(runtime, 'accessproof-seal');
    const bySid = Object.fromEntries(roleStatements(runtime, role).map((s) => [s.Sid, s]));
    const evidenceObjects = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':s3:::accessproof-evidence-',
          { Ref: 'AWS::AccountId' },
          '-',
          { Ref: 'AWS::Region' },
          '/*',
        ],
      ],
    };

    // Assert
    expect(allowedActions(runtime, role)).toEqual(
      [
        ...XRAY_AND_LOGS,
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        'kms:GetPublicKey',
        'kms:Sign',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:PutObject',
        's3:PutObjectRetention',
        'sns:Publish',
      ].sort(),
    );
    expect(bySid.EvidenceWriteObjects).toMatchObject({
      Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
      Resource: evidenceObjects,
    });
    expect(bySid.EvidenceSetComplianceRetention).toEqual({
      Sid: 'EvidenceSetComplianceRetention',
      Effect: 'Allow',
      Action: 's3:PutObjectRetention',
      Resource: evidenceObjects,
      Condition: {
        StringEquals: { 's3:object-lock-mode': 'COMPLIANCE' },
        NumericGreaterThanEquals: { 's3:object-lock-remaining-retention-days': '2556' },
      },
    });
    expect(bySid.ManifestSign?.Action).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    // Without `reviews` there is no reviews table to read (test/infra/reviews.test.ts has it on).
    expect(bySid.ReviewsRead).toBeUndefined();
    expect(JSON.stringify(runtime.findResources('AWS::Lambda::Function'))).not.toContain('REVIEWS_TABLE');
  });

  it('plan, scan and notify hold only what their step needs', () => {
    // Assert
    expect(allowedActions(runtime, functionRole(runtime, 'accessproof-plan'))).toEqual(
      [
        ...XRAY_AND_LOGS,
        'kms:Decrypt',
        'kms:GenerateDataKey',
        'organizations:DescribeOrganization',
        'organizations:ListAccounts',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ].sort(),
    );
    expect(allowedActions(runtime, functionRole(runtime, 'accessproof-scan'))).toEqual(
      [
        ...XRAY_AND_LOGS,
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:UpdateItem',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:Encrypt',
        'kms:GenerateDataKey',
        's3:AbortMultipartUpload',
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucketVersions',
        's3:PutObject',
      ].sort(),
    );
    expect(allowedActions(runtime, functionRole(runtime, 'accessproof-notify'))).toEqual(
      [
        ...XRAY_AND_LOGS,
        'events:PutEvents',
        'kms:Decrypt',
        'kms:GenerateDataKey',
        's3:GetObject',
        's3:ListBucket',
        'sns:Publish',
      ].sort(),
    );
    // Scan may only read the evidence bucket (to settle a crashed run), never write it.
    const scanEvidence = roleStatements(runtime, functionRole(runtime, 'accessproof-scan')).filter((st) =>
      JSON.stringify(st.Resource).includes('accessproof-evidence-'),
    );
    expect(scanEvidence.flatMap((st) => asList(st.Action)).sort()).toEqual([
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:ListBucketVersions',
    ]);
  });

  it('no role anywhere has a wildcard action, a delete, a bypass, a legal hold or a lock-config change', () => {
    // Arrange: every identity policy statement of every stack.
    const templates = [orgApp.stateful, orgApp.runtime, orgApp.member];
    const statements: { where: string; s: Statement }[] = [];
    for (const t of templates) {
      const resources = t.toJSON().Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >;
      for (const [id, r] of Object.entries(resources)) {
        // The break-glass role exists to do exactly these things (MFA only); every other role may not.
        if (id.startsWith('BreakGlassPolicy')) continue;
        if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
          for (const s of (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
            statements.push({ where: id, s });
        }
        if (r.Type === 'AWS::IAM::Role') {
          for (const p of asList(r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[])) {
            for (const s of p.PolicyDocument.Statement) statements.push({ where: id, s });
          }
          expect(r.Properties.ManagedPolicyArns).toBeUndefined();
        }
      }
    }
    const actions = statements.flatMap(({ where, s }) => asList(s.Action).map((a) => ({ where, a, s })));
    const forbidden =
      /^(s3:Delete|s3:BypassGovernanceRetention$|s3:PutObjectLegalHold$|s3:PutBucketObjectLockConfiguration$|s3:PutBucketPolicy$|kms:ScheduleKeyDeletion$|kms:DisableKey$|dynamodb:DeleteItem$|dynamodb:DeleteTable$)/;

    // Assert
    expect(statements.length).toBeGreaterThan(20);
    expect(actions.filter(({ a }) => a.includes('*'))).toEqual([]);
    expect(actions.filter(({ a }) => forbidden.test(a))).toEqual([]);
    expect(statements.every(({ s }) => s.Effect === 'Allow')).toBe(true);
    // The one retention permission is the writer's, and it only ever sets a full COMPLIANCE lock.
    const retention = actions.filter(({ a }) => a === 's3:PutObjectRetention');
    expect(retention).toHaveLength(1);
    expect(retention[0]?.s.Condition?.StringEquals).toEqual({ 's3:object-lock-mode': 'COMPLIANCE' });
  });
});

describe('scan-run state machine', () => {
  let def: StateMachineDefinition;
  beforeAll(() => {
    def = stateMachineDefinition(runtime);
  });

  it('runs Configure → Plan → CollectSources → Scan → Seal → Notify', () => {
    // Arrange
    const order: string[] = [];
    for (let name: string | undefined = def.StartAt; name; name = def.States[name]?.Next) order.push(name);

    // Assert
    expect(order).toEqual(['Configure', 'Plan', 'CollectSources', 'Scan', 'Seal', 'Notify']);
    expect(def.States.Notify?.End).toBe(true);
    // Only a reference rides in the state: the config and rulesets are staged in S3 (a file asset).
    expect(def.States.Configure?.Result).toEqual({
      runConfig: {
        file: 'infra/config/accessproof.example.yaml',
        bucket: '<TOKEN>', // the assets bucket, resolved at deploy
        key: expect.stringMatching(/^[0-9a-f]{64}\.json$/),
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
  });

  it('retries every Lambda task on Lambda service exceptions with exponential backoff', () => {
    // Arrange
    const tasks = Object.entries(allStates(def)).filter(([, s]) => s.Type === 'Task');

    // Assert
    expect(tasks.map(([n]) => n).sort()).toEqual([
      'CollectAws',
      'CollectEntra',
      'CollectSalesforce',
      'Notify',
      'Plan',
      'ReleaseRun',
      'Scan',
      'Seal',
    ]);
    for (const [name, task] of tasks) {
      expect({ name, retry: task.Retry }).toEqual({
        name,
        retry: [
          {
            ErrorEquals: [
              'Lambda.ServiceException',
              'Lambda.AWSLambdaException',
              'Lambda.SdkClientException',
              'Lambda.TooManyRequestsException',
              'Lambda.ClientExecutionTimeoutException',
            ],
            IntervalSeconds: 2,
            MaxAttempts: 6,
            BackoffRate: 2,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ],
      });
    }
    expect(LAMBDA_RETRY_ERRORS).toHaveLength(5);
  });

  it("routes each source to its system's collector on $.source.system; an unknown system fails that source", () => {
    // Arrange
    const map = def.States.CollectSources!;
    const states = allStates(def);
    const route = states[map.ItemProcessor?.StartAt ?? '']!;

    // Assert
    expect(map.ItemProcessor?.StartAt).toBe('CollectorForSystem');
    expect(route.Type).toBe('Choice');
    expect(route.Choices).toEqual([
      { Variable: '$.source.system', StringEquals: 'aws', Next: 'CollectAws' },
      { Variable: '$.source.system', StringEquals: 'entra', Next: 'CollectEntra' },
      { Variable: '$.source.system', StringEquals: 'salesforce', Next: 'CollectSalesforce' },
    ]);
    expect(route.Default).toBe('NoCollector');
    expect(states.NoCollector).toMatchObject({
      Type: 'Pass',
      End: true,
      Parameters: {
        'id.$': '$.source.id',
        status: 'failed',
        error: 'no collector is deployed for this system',
      },
    });
  });

  it('catches a failing collect of every system and records the source as failed instead of failing the run', () => {
    // Arrange
    const states = allStates(def);
    const failed = states.SourceFailed!;

    // Assert
    for (const task of ['CollectAws', 'CollectEntra', 'CollectSalesforce']) {
      expect({ task, catch: states[task]?.Catch }).toEqual({
        task,
        catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'SourceFailed' }],
      });
    }
    expect(failed.Type).toBe('Pass');
    expect(failed.End).toBe(true);
    expect(failed.Parameters).toEqual({
      'id.$': '$.source.id',
      'system.$': '$.source.system',
      status: 'failed',
      'error.$': "States.Format('{}: {}', $.error.Error, $.error.Cause)",
      counts: { principals: 0, entitlements: 0, grants: 0 },
    });
    // A failing plan or map fails the run before any reservation (a redrive reruns only what failed);
    // scan, seal and notify are caught and end in ReleaseRun (test/infra/operations.test.ts).
    expect(states.Plan?.Catch).toBeUndefined();
    for (const step of ['Scan', 'Seal', 'Notify']) {
      expect(states[step]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: `${step}Failed` },
      ]);
    }
  });

  it('calls the same collector again with the cursor it returned, up to a resume limit', () => {
    // Arrange
    const states = allStates(def);
    const choice = states.CursorReturned!;

    // Assert
    for (const task of ['CollectAws', 'CollectEntra', 'CollectSalesforce']) {
      expect(states[task]?.ResultPath).toBe('$.collect');
      expect(states[task]?.Parameters).toBeUndefined();
      expect(states[task]?.Next).toBe('CursorReturned');
    }
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toEqual([
      {
        And: [
          { Variable: '$.collect.cursor', IsPresent: true },
          { Variable: '$.resumes', NumericLessThan: orgApp.accessProof.runtime.runBudget.maxResumes },
        ],
        Next: 'Resume',
      },
      { Variable: '$.collect.cursor', IsPresent: true, Next: 'ResumeLimitReached' },
    ]);
    expect(choice.Default).toBe('SourceCollected');
    // Back through the router: the source keeps its system, so it reaches the collector that paused.
    expect(states.Resume).toMatchObject({
      Next: 'CollectorForSystem',
      Parameters: {
        'runId.$': '$.runId',
        'source.$': '$.source',
        'cursor.$': '$.collect.cursor',
        'resumes.$': 'States.MathAdd($.resumes, 1)',
      },
    });
    expect(states.SourceCollected).toMatchObject({ OutputPath: '$.collect.result', End: true });
    expect(states.ResumeLimitReached?.Parameters).toMatchObject({ status: 'failed' });
  });

  it('uses a Distributed Map over the S3 item list when sources come from an AWS Organization', () => {
    // Arrange
    const map = def.States.CollectSources!;

    // Assert
    expect(map.ItemProcessor?.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' });
    expect(map.ToleratedFailurePercentage).toBe(20);
    expect(map.ItemReader).toMatchObject({
      ReaderConfig: { InputType: 'JSON' },
      Parameters: { 'Key.$': '$.plan.items.key' },
    });
    expect(map.ResultWriter).toMatchObject({
      Parameters: { Prefix: 'map-results' },
      WriterConfig: { OutputType: 'JSONL', Transformation: 'COMPACT' },
    });
    expect(map.ItemSelector).toEqual({
      'runId.$': '$.plan.runId',
      'source.$': '$$.Map.Item.Value',
      resumes: 0,
    });
    expect(map.ResultPath).toBe('$.collected');
  });

  it('hands each later step exactly the state it needs', () => {
    // Assert
    expect(def.States.Plan?.Parameters).toEqual({
      execution: { 'name.$': '$$.Execution.Name', 'startedAt.$': '$$.Execution.StartTime' },
      'runConfig.$': '$.runConfig',
    });
    expect(def.States.Scan?.Parameters).toEqual({
      'plan.$': '$.plan',
      'runConfig.$': '$.runConfig',
      'collected.$': '$.collected',
    });
    // Seal builds policy.json from the same staged run config as plan and scan.
    expect(def.States.Seal?.Parameters).toEqual({
      'plan.$': '$.plan',
      'runConfig.$': '$.runConfig',
      'collected.$': '$.collected',
      'scan.$': '$.scan',
    });
    expect(def.States.Notify?.Parameters).toEqual({
      'plan.$': '$.plan',
      'collected.$': '$.collected',
      'scan.$': '$.scan',
      'seal.$': '$.seal',
    });
  });

  it('is a traced STANDARD state machine that logs errors only, without execution data (identity data stays out of logs)', () => {
    // Assert
    runtime.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ERROR', IncludeExecutionData: false },
    });
  });
});

describe('schedule, notifications and alarms', () => {
  it('EventBridge Scheduler starts the state machine on the cron in the configured time zone, with a DLQ', () => {
    // Arrange
    const { props } = onlyResource(runtime, 'AWS::Scheduler::Schedule');
    const sm = onlyResource(runtime, 'AWS::StepFunctions::StateMachine');
    const dlq = onlyResource(runtime, 'AWS::SQS::Queue');

    // Assert
    expect(props).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Oslo',
      State: 'ENABLED',
      Target: {
        Arn: { Ref: sm.id },
        Input: JSON.stringify({ trigger: 'schedule' }),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq.id, 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
      },
    });
  });

  it('a KMS-encrypted, TLS-only topic with the email subscription, and a findings event bus', () => {
    // Assert
    runtime.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    runtime.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    runtime.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@example.com',
    });
    runtime.hasResourceProperties('AWS::Events::EventBus', { Name: 'accessproof-findings' });
  });

  it("alarms on failed, timed-out and aborted runs, every step's errors and the DLQ, to the topic", () => {
    // Arrange
    const alarms = Object.values(runtime.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { MetricName: string; Namespace: string; AlarmActions: unknown[]; Threshold: number };
    }[];
    const topic = onlyResource(runtime, 'AWS::SNS::Topic');
    const metrics = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`).sort();

    // Assert
    expect(metrics).toEqual(
      [
        'AWS/States/ExecutionsFailed',
        'AWS/States/ExecutionsTimedOut',
        'AWS/States/ExecutionsAborted',
        ...STEPS.map(() => 'AWS/Lambda/Errors'),
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AccessProof/SourcesFailed',
        'AccessProof/FindingsOverdue',
        'AccessProof/PackSealed',
      ].sort(),
    );
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic.id }]);
      expect(a.Properties.Threshold).toBe(1);
    }
    // Missing data breaches only where no data is the failure (no pack sealed): test/infra/operations.test.ts.
  });
});

describe('inline variant (no Organization source)', () => {
  let inline: Template;
  beforeAll(() => {
    inline = synth({ props: { configFile: undefined, config: inlineConfig } }).runtime;
  });

  it("uses an inline Map over the plan's sources, deploys only the collectors it needs, grants no Organizations or AssumeRole", () => {
    // Arrange
    const map = stateMachineDefinition(inline).States.CollectSources!;

    // Assert
    expect(map.ItemsPath).toBe('$.plan.sources');
    expect(map.ItemReader).toBeUndefined();
    expect(map.ItemProcessor?.ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    // Plan reads the staged run config (one object), nothing else.
    expect(allowedActions(inline, functionRole(inline, 'accessproof-plan'))).toEqual(
      [...XRAY_AND_LOGS, 's3:GetObject'].sort(),
    );
    for (const c of ['collect-entra', 'collect-salesforce']) {
      expect(allowedActions(inline, functionRole(inline, `accessproof-${c}`))).toEqual(
        [...XRAY_AND_LOGS, ...STAGING_WRITE, 'secretsmanager:GetSecretValue'].sort(),
      );
    }
    // No AWS source: no AWS collector (and no role other accounts trust), and no route to one.
    expect(() => functionRole(inline, 'accessproof-collect-aws')).toThrow(/no function/);
    expect(
      stateMachineDefinition(inline).States.CollectSources?.ItemProcessor?.States.CollectorForSystem?.Choices,
    ).toEqual([
      { Variable: '$.source.system', StringEquals: 'entra', Next: 'CollectEntra' },
      { Variable: '$.source.system', StringEquals: 'salesforce', Next: 'CollectSalesforce' },
    ]);
    // The one email subscription the test helper's required notificationEmail adds.
    inline.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'alarms@example.com',
    });
    inline.resourceCountIs('AWS::SNS::Subscription', 1);
  });
});
