/**
 * Issue 18 in AWS: with `sharding` on, Scan becomes PlanShards → ScanShards (a Distributed Map over
 * the shard list, retried, no failure tolerated) → Reconcile at `$.scan`; the three functions get
 * memory from the shard budget, and synth stops when a step would not fit its Lambda at 10x.
 */
import type { App } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PackReader } from '../../core/evidence/ports';
import { MemoryRunStore } from '../../core/ports';
import { compareDrafts } from '../../core/rules';
import { reconcileShardsStep } from '../../core/run/reconcile-shards';
import { RunFailedError, releaseFailedRun } from '../../core/run/run-record';
import { chooseShardCount, shardDraftsKey, shardOutputKey } from '../../core/run/shard-plan';
import type { ShardOutput } from '../../core/run/shard-scan';
import type { RunPlan, SourceResult } from '../../core/run/types';
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
import { SqliteFindingsRepository } from '../../stores/sqlite-findings/sqlite-findings-repository';
import { makePolicyConfig } from '../support/factories';
import { makeDraft } from '../unit/core/findings/draft-factory';
import { runDefinition, TaskFailure } from './asl';
import {
  allStates,
  asList,
  functionRole,
  REVIEWS_OIDC,
  roleStatements,
  stateMachineDefinition,
  synth,
} from './synth';

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
    // Measured CPU seconds, when the bench has them, are what a Lambda's timeout is checked against
    // (the bench's wall time on a shared machine at nice 19 is mostly the others' load).
    const loaded = { ...figures, maxShardRssMb: 2000 };
    expect(() =>
      checkShardFit({ ...loaded, shardCpuSeconds: 300 }, shardStepMemory(2048), FIFTEEN_MIN),
    ).not.toThrow();
    expect(() =>
      checkShardFit({ ...loaded, shardCpuSeconds: 950 }, shardStepMemory(2048), FIFTEEN_MIN),
    ).toThrow(/scanShard needs 950 s/);
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
          oidc: REVIEWS_OIDC,
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

  describe('interpreted (test/infra/asl.ts): a failing shard is retried; one that keeps failing fails the run; a redrive completes it', () => {
    const RUN = '20261003T020000Z-0a1b2c3d';
    const COUNT = 3;
    const plan: RunPlan = {
      runId: RUN,
      organization: 'Example',
      startedAt: '2026-10-03T02:00:00.000Z',
      asOf: '2026-10-03T00:00:00.000Z',
      configSha256: 'c'.repeat(64),
      toolVersion: 'test',
      sources: [{ id: 'aws-prod', system: 'aws', financiallySignificant: true }],
    };
    const sources: SourceResult[] = [
      {
        id: 'aws-prod',
        system: 'aws',
        status: 'complete',
        counts: { principals: 6, entitlements: 0, grants: 0 },
      },
    ];
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
    /** Two drafts per shard (distinct principals), as a shard stores them: sorted lines, then its output. */
    const draftsOf = (shard: number) =>
      [0, 1]
        .map((i) => {
          const principal = `aws:123456789012:arn:aws:iam::123456789012:role/s${shard}-${i}`;
          return makeDraft({
            subject: { identity: `principal:${principal}`, principals: [principal] },
            key: principal,
            evidence: [],
          });
        })
        .sort(compareDrafts);

    let repo: SqliteFindingsRepository;
    let runStore: MemoryRunStore;
    let reconciled: number;
    beforeEach(() => {
      repo = SqliteFindingsRepository.open({ file: ':memory:' });
      runStore = new MemoryRunStore();
      reconciled = 0;
    });
    afterEach(async () => {
      await repo.close();
    });

    /**
     * Runs the definition from `from`. ScanShard answers for real in the run store (shard
     * `failing` throws on its first `failures` attempts); Reconcile and ReleaseRun are the real
     * core steps; the rest answer `{}`.
     */
    async function execute(
      from: string,
      state: unknown,
      redriveCount: number,
      failing: { shard: number; failures: number } | undefined,
    ) {
      const attempts = new Map<number, number>();
      const out = await runDefinition(
        stateMachineDefinition(runtime),
        from,
        state,
        async (name, payload) => {
          const p = payload as Record<string, unknown>;
          if (name === 'PlanShards')
            return {
              runId: RUN,
              count: COUNT,
              shards: Array.from({ length: COUNT }, (_, shard) => ({ shard, count: COUNT })),
            };
          if (name === 'ScanShard') {
            const { shard, count } = p.shard as { shard: number; count: number };
            const n = (attempts.get(shard) ?? 0) + 1;
            attempts.set(shard, n);
            if (shard === failing?.shard && n <= failing.failures)
              throw new TaskFailure(
                'Error',
                JSON.stringify({ errorMessage: `shard ${shard} ran out of memory` }),
              );
            const drafts = draftsOf(shard);
            await runStore.putLines(
              shardDraftsKey(RUN, shard),
              drafts.map((d) => JSON.stringify(d)),
            );
            const output = {
              runId: RUN,
              shard,
              count,
              draftCount: drafts.length,
              facts: {},
              names: { principals: {}, identities: {} },
              late: {},
              grants: 0,
              identities: 6,
              principals: 6,
              warnings: [],
            } satisfies ShardOutput;
            await runStore.put(shardOutputKey(RUN, shard), output);
            return { shard, drafts: drafts.length };
          }
          if (name === 'Reconcile') {
            reconciled++;
            return reconcileShardsStep({
              plan,
              sources,
              policy: makePolicyConfig(),
              count: (p.shards as { count: number }).count,
              repo,
              runStore,
              now: () => new Date('2026-10-03T02:10:00.000Z'),
              logger: silent,
            });
          }
          if (name === 'ReleaseRun') {
            const r = payload as {
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
                runId: r.runId,
                failure: {
                  step: r.step,
                  error: r.failure.Error,
                  ...(r.failure.Cause ? { cause: r.failure.Cause } : {}),
                  failedAtRedrive: r.failedAtRedrive,
                  redriveCount: r.redriveCount,
                },
                at: '2026-10-03T02:20:00.000Z',
                logger: silent,
              });
            } catch (err) {
              if (err instanceof RunFailedError) throw new TaskFailure(err.name, err.message);
              throw err;
            }
          }
          return {};
        },
        { redriveCount },
      );
      return { out, attempts };
    }
    const input = { runConfig: {}, plan, collected: [] };

    it('a shard that fails twice and then succeeds is retried in the Map; the run reconciles every shard', async () => {
      // Act
      const { out, attempts } = await execute('PlanShards', input, 0, { shard: 1, failures: 2 });

      // Assert
      expect(out.status).toBe('SUCCEEDED');
      expect(out.path).toEqual(['PlanShards', 'ScanShards', 'Reconcile', 'Seal', 'Notify']);
      expect([...attempts.entries()].sort()).toEqual([
        [0, 1],
        [1, 3],
        [2, 1],
      ]);
      expect((out.output as { scan: { findings: number } }).scan.findings).toBe(COUNT * 2);
    });

    it('a shard failing every attempt fails the run at ReleaseRun with nothing reconciled; the redrive scans again and completes', async () => {
      // Act: shard 1 fails its 3 attempts (the Map's retry), then the redrive, where it works.
      const { out: failed, attempts } = await execute('PlanShards', input, 0, { shard: 1, failures: 3 });
      const afterFailure = { pending: await repo.pendingReservation(), stored: await repo.loadAll() };
      const { out: redriven } = await execute('ReleaseRun', failed.inputs.ReleaseRun, 1, undefined);

      // Assert: no partial reconcile. The Map stopped at shard 1 (its items run in order here):
      // Reconcile never ran, nothing was reserved or stored, the failure is recorded.
      expect(failed.status).toBe('FAILED');
      expect(failed.path).toEqual(['PlanShards', 'ScanShards', 'ScanShardsFailed', 'ReleaseRun']);
      expect(failed.error?.error).toBe('RunFailed');
      expect(attempts.get(1)).toBe(3);
      expect(afterFailure).toEqual({ pending: null, stored: [] });
      expect((await repo.listRunRecords()).map((r) => [r.kind, r.step])).toEqual([['failed', 'scan']]);
      // The redrive: ReleaseRun resumes at the scan, every shard runs, reconcile once, all findings.
      expect(redriven.status).toBe('SUCCEEDED');
      expect(redriven.path).toEqual([
        'ReleaseRun',
        'ResumeAfterRedrive',
        'PlanShards',
        'ScanShards',
        'Reconcile',
        'Seal',
        'Notify',
      ]);
      expect(reconciled).toBe(1);
      expect((redriven.output as { scan: { findings: number } }).scan.findings).toBe(COUNT * 2);
      expect((await repo.pendingReservation())?.runId).toBe(RUN);
    });
  });

  it('leaves nothing unacknowledged for cdk-nag', () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(violations).toEqual([]);
  });
});
