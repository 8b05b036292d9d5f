/**
 * Issue 18 in AWS: with `sharding` on, Scan becomes PlanShards → ScanShards (a Distributed Map over
 * the shard list, retried, no failure tolerated) → Reconcile at `$.scan`; the three functions get
 * memory from the shard budget, and synth stops when a step would not fit its Lambda at 10x.
 */
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseShardCount } from '../../core/run/shard-plan';
import { PROJECT_ROOT } from '../../infra/lib/access-proof';
import { runBudget } from '../../infra/lib/run-budget';
import {
  checkShardFit,
  LAMBDA_MAX_SECONDS,
  type ShardFigures,
  shardFigures,
  shardStepMemory,
  TEN_X,
} from '../../infra/lib/shard-fit';
import { allStates, asList, functionRole, roleStatements, stateMachineDefinition, synth } from './synth';

const FIFTEEN_MIN = { planShards: 900, scanShard: 900, reconcile: 900 };

describe('shard Lambda fit (pure)', () => {
  it('derives each step’s memory from the budget', () => {
    expect(shardStepMemory(2048)).toEqual({ planShards: 2560, scanShard: 2560, reconcile: 4096 });
    expect(shardStepMemory(8192).reconcile).toBe(10_240);
    expect(() => shardStepMemory(100)).toThrow(/memoryBudgetMb/);
    // plan-shards holds every key record of the run: its 10x figure, not the budget, sizes it.
    expect(shardStepMemory(2048, { planShardsRssMb: 2738, reconcileRssMb: 1000 })).toEqual({
      planShards: 3456,
      scanShard: 2560,
      reconcile: 4096,
    });
  });

  it('at 10x with the chosen shard count every step fits its Lambda memory and 15 minutes', () => {
    const figures = shardFigures(PROJECT_ROOT, 2048);
    expect(figures.shards).toBe(
      figures.source === 'estimate' ? chooseShardCount(TEN_X, 2048) : figures.shards,
    );
    expect(() => checkShardFit(figures, shardStepMemory(2048, figures), FIFTEEN_MIN)).not.toThrow();
    expect(figures.shardSeconds).toBeLessThanOrEqual(LAMBDA_MAX_SECONDS);
  });

  it('refuses a step that would not fit, naming the step and both figures', () => {
    const figures: ShardFigures = {
      source: 'measured',
      shards: 12,
      maxShardRssMb: 3000,
      shardSeconds: 1200,
      planShardsRssMb: 100,
      planShardsSeconds: 10,
      reconcileRssMb: 100,
      reconcileSeconds: 10,
    };
    expect(() => checkShardFit(figures, shardStepMemory(2048), FIFTEEN_MIN)).toThrow(
      /scanShard needs 3000 MB at 10x \(measured\), its Lambda has 2560 MB; scanShard needs 1200 s/,
    );
  });
});

describe('run time budget with sharding', () => {
  const MIN = 60_000;
  const base = {
    intervalMs: 24 * 60 * MIN,
    collectTimeoutMs: 15 * MIN,
    reservedStepTimeoutsMs: [15, 15, 5, 5].map((m) => m * MIN),
    planTimeoutMs: 2 * MIN,
  };

  it('counts plan-shards and every round of shards before the reservation: fewer collect resumes fit', () => {
    const single = runBudget(base);
    // plan-shards twice + one round of 3 attempts of 15 min = 75 min = 5 collect calls fewer.
    const sharded = runBudget({ ...base, preReservationTimeoutsMs: [2 * 15 * MIN, 3 * 15 * MIN] });
    expect(sharded.maxResumes).toBe(single.maxResumes - 5);
  });

  it('refuses a schedule the shards cannot fit in, naming them', () => {
    expect(() => runBudget({ ...base, preReservationTimeoutsMs: [21 * 60 * MIN] })).toThrow(
      /plan-shards, the shards, reconcile/,
    );
  });
});

describe('sharded scan in the state machine', () => {
  let app: App;
  let runtime: Template;
  beforeAll(() => {
    ({ app, runtime } = synth({
      props: {
        sharding: { memoryBudgetMb: 2048, maxConcurrency: 8 },
        // The reviewer app too (issue 17): which shard step may read the reviews table.
        reviews: {
          domainPrefix: 'acme-accessproof-reviews',
          oidc: {
            issuerUrl: 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0',
            clientId: '66666666-7777-8888-9999-000000000000',
            clientSecretName: 'accessproof/entra-reviews-client-secret',
          },
        },
      },
    }));
  }, 300_000);

  it('deploys plan-shards, scan-shard and reconcile with memory from the budget; collectors write key indexes', () => {
    const fns = Object.values(runtime.findResources('AWS::Lambda::Function')) as {
      Properties: { MemorySize: number; Environment: { Variables: Record<string, string> } };
    }[];
    const by = Object.fromEntries(
      fns.map((f) => [f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME, f]),
    );
    // plan-shards and reconcile grow with the inventory: sized from the 10x figures when larger.
    const memory = shardStepMemory(2048, shardFigures(PROJECT_ROOT, 2048));
    expect(memory.planShards).toBeGreaterThanOrEqual(2560);
    expect(by['accessproof-plan-shards']?.Properties.MemorySize).toBe(memory.planShards);
    expect(by['accessproof-scan-shard']?.Properties.MemorySize).toBe(2560);
    expect(by['accessproof-reconcile']?.Properties.MemorySize).toBe(memory.reconcile);
    expect(by['accessproof-plan-shards']?.Properties.Environment.Variables.SHARD_MEMORY_BUDGET_MB).toBe(
      '2048',
    );
    expect(by['accessproof-collect-aws']?.Properties.Environment.Variables.KEY_INDEX).toBe('true');
  });

  it('runs PlanShards → ScanShards (Distributed Map, retried, no failure tolerated) → Reconcile → Seal', () => {
    const states = allStates(stateMachineDefinition(runtime)) as Record<string, Record<string, unknown>>;
    expect(states.Scan).toBeUndefined();
    expect(states.PlanShards).toMatchObject({ Type: 'Task', ResultPath: '$.shards', Next: 'ScanShards' });
    expect(states.ScanShards).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.shards.shards',
      MaxConcurrency: 8,
      ResultPath: null,
      Next: 'Reconcile',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    // Absent = 0 (the service default): one shard failing after its retries fails the map.
    expect(states.ScanShards?.ToleratedFailurePercentage ?? 0).toBe(0);
    expect(states.ScanShard?.Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['States.ALL'], MaxAttempts: 2 })]),
    );
    expect(states.Reconcile).toMatchObject({ ResultPath: '$.scan', Next: 'Seal' });
    for (const s of ['PlanShards', 'ScanShards', 'Reconcile'])
      expect((states[s]?.Catch as { Next: string }[] | undefined)?.[0]?.Next).toBe(`${s}Failed`);
  });

  it('lets only plan-shards read the reviews table (read only); the shards and reconcile get the campaigns from the run store', () => {
    // Arrange
    const statements = (service: string) => roleStatements(runtime, functionRole(runtime, service));
    const readsReviews = (service: string) =>
      statements(service).filter((s) => JSON.stringify(s.Resource).includes('AccessProof-Reviews'));
    const env = (service: string) =>
      JSON.stringify(
        Object.values(
          runtime.findResources('AWS::Lambda::Function', {
            Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
          }),
        )[0],
      );
    // Act
    const planShards = readsReviews('accessproof-plan-shards');
    // Assert
    expect(planShards.map((s) => asList(s.Action).sort())).toEqual([
      ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
    ]);
    expect(env('accessproof-plan-shards')).toContain('REVIEWS_TABLE');
    for (const service of ['accessproof-scan-shard', 'accessproof-reconcile']) {
      expect(readsReviews(service)).toEqual([]);
      expect(env(service)).not.toContain('REVIEWS_TABLE');
    }
  });

  it('leaves nothing unacknowledged for cdk-nag', () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(violations).toEqual([]);
  });
});
