import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../core/model';
import { MemoryRunStore } from '../../../../core/ports';
import { reconcileShardsStep, ShardMissingError } from '../../../../core/run/reconcile-shards';
import { keyRecordOf } from '../../../../core/run/shard-keys';
import {
  chooseShardCount,
  DEFAULT_SHARD_MEMORY_MB,
  estimateShard,
  planShardsStep,
  type ShardContext,
  type ShardPlan,
  shardContextKey,
  shardOf,
  shardPlanKey,
} from '../../../../core/run/shard-plan';
import type { RunPlan, SourceResult } from '../../../../core/run/types';

const plan: RunPlan = {
  runId: '20261001T000000Z-abcd',
  organization: 'Test',
  startedAt: '2026-10-01T00:00:00.000Z',
  asOf: '2026-10-01T00:00:00.000Z',
  configSha256: 'x',
  toolVersion: '0',
  sources: [
    { id: 'erp', system: 'erp', financiallySignificant: true },
    { id: 'entra', system: 'entra', financiallySignificant: false },
    { id: 'sfdc', system: 'salesforce', financiallySignificant: false },
  ],
};

function principal(
  system: Principal['system'],
  sourceId: string,
  id: string,
  extra: Partial<Principal>,
): Principal {
  return {
    uid: `${system}:t:${id}`,
    system,
    tenant: 't',
    sourceId,
    nativeId: id,
    name: id,
    kind: 'human',
    type: 'user',
    status: 'active',
    owners: [],
    credentials: [],
    tags: {},
    ...extra,
  };
}

/** Snapshots and key index files in memory, as collect writes them. */
function stage(bySource: Record<string, Principal[]>): {
  sources: SourceResult[];
  files: Map<string, string[]>;
} {
  const files = new Map<string, string[]>();
  const sources: SourceResult[] = [];
  for (const s of plan.sources) {
    const list = bySource[s.id] ?? [];
    const header = {
      type: 'snapshot',
      system: s.system,
      tenant: 't',
      sourceId: s.id,
      complete: true,
      warnings: [],
      counts: { principals: list.length, entitlements: 0, grants: 0 },
    };
    files.set(`${s.id}.snap`, [JSON.stringify(header), ...list.map((p) => JSON.stringify({ principal: p }))]);
    files.set(`${s.id}.keys`, [
      JSON.stringify({ type: 'key-index', sourceId: s.id, principals: list.length, snapshot: header }),
      ...list.map((p) => JSON.stringify({ key: keyRecordOf(p) })),
    ]);
    const ref = (location: string) => ({ location, sha256: '', bytes: 0, records: 0 });
    sources.push({
      id: s.id,
      system: s.system,
      status: 'complete',
      counts: { principals: list.length, entitlements: 0, grants: 0 },
      snapshot: ref(`${s.id}.snap`),
      keyIndex: ref(`${s.id}.keys`),
    });
  }
  return { sources, files };
}

describe('shardOf', () => {
  it('is stable, in range, and 0 for one shard', () => {
    expect(shardOf('person:employee:HI-1', 1)).toBe(0);
    for (let n = 2; n < 20; n++) {
      const s = shardOf('person:employee:HI-1', n);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(n);
      expect(shardOf('person:employee:HI-1', n)).toBe(s);
    }
    // Pinned: a change of the hash would move every identity to another shard between runs.
    expect(shardOf('person:employee:HI-1', 7)).toBe(1);
    expect([0, 1, 2, 3].map((i) => shardOf(`principal:erp:t:U${i}`, 1000))).toEqual([946, 480, 761, 413]);
  });
});

describe('chooseShardCount', () => {
  it('takes the fewest shards whose estimate fits the budget', () => {
    const size = { principals: 1_500_000, entitlements: 50_000, grants: 20_000_000, people: 1_000_000 };
    const n = chooseShardCount(size);
    expect(estimateShard(size, n).totalMb).toBeLessThanOrEqual(DEFAULT_SHARD_MEMORY_MB);
    expect(estimateShard(size, n - 1).totalMb).toBeGreaterThan(DEFAULT_SHARD_MEMORY_MB);
    expect(chooseShardCount({ principals: 100, entitlements: 10, grants: 1000, people: 50 })).toBe(1);
  });

  it('refuses when what every shard holds exceeds the budget, naming the figures', () => {
    const size = { principals: 10_000_000, entitlements: 0, grants: 0, people: 0 };
    expect(() => chooseShardCount(size, 1024)).toThrow(/raise the memory budget/);
  });
});

describe('planShardsStep', () => {
  it("puts a person's principals in one shard however many keys joined them", async () => {
    // erp U1 and entra A share an email; entra A and sfdc S share an employee id; sfdc S and erp
    // U2 share another email: one person, four principals, three systems, three kinds of key.
    const bySource = {
      erp: [
        principal('erp', 'erp', 'U1', { email: 'ana@x.example' }),
        principal('erp', 'erp', 'U2', { email: 'ana.old@x.example' }),
        principal('erp', 'erp', 'U3', { email: 'bo@x.example' }),
      ],
      entra: [principal('entra', 'entra', 'A', { email: 'Ana@X.example ', employeeId: 'E1' })],
      salesforce: [],
      sfdc: [principal('salesforce', 'sfdc', 'S', { email: 'ana.old@x.example', employeeId: 'E1' })],
    };
    const { sources, files } = stage(bySource);
    const snapshots = {
      async *lines(location: string) {
        yield* files.get(location) ?? [];
      },
    };
    for (const count of [1, 2, 3, 7, 16]) {
      const runStore = new MemoryRunStore();
      const list = await planShardsStep({ plan, sources, snapshots, runStore, shards: count });
      expect(list.shards).toHaveLength(count);
      const owner = new Map<string, number>();
      for (let i = 0; i < count; i++)
        for (const uid of (await runStore.get<ShardContext>(shardContextKey(plan.runId, i)))!.owned)
          owner.set(uid, i);
      expect(owner.size).toBe(5);
      const ana = ['erp:t:U1', 'erp:t:U2', 'entra:t:A', 'salesforce:t:S'].map((u) => owner.get(u));
      expect(new Set(ana).size).toBe(1);
      expect(ana[0]).toBe(shardOf('person:employee:E1', count));
      expect(owner.get('erp:t:U3')).toBe(shardOf('person:bo@x.example', count));
      expect((await runStore.get<ShardPlan>(shardPlanKey(plan.runId)))?.identities).toBe(2);
    }
  });

  it('refuses a collected source without a key index', async () => {
    const { sources, files } = stage({});
    delete sources[0]!.keyIndex;
    const snapshots = {
      async *lines(location: string) {
        yield* files.get(location) ?? [];
      },
    };
    await expect(
      planShardsStep({ plan, sources, snapshots, runStore: new MemoryRunStore(), shards: 2 }),
    ).rejects.toThrow(/erp has no key index/);
  });
});

describe('reconcileShardsStep', () => {
  it('reconciles nothing and reserves nothing while a shard has no output', async () => {
    let reserved = false;
    const repo = {
      pendingReservation: async () => undefined,
      getChainHead: async () => null,
      reserve: async () => {
        reserved = true;
        return 'reserved';
      },
    } as never;
    await expect(
      reconcileShardsStep({
        plan,
        sources: [],
        policy: {} as never,
        count: 2,
        repo,
        runStore: new MemoryRunStore(),
        now: () => new Date(),
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      }),
    ).rejects.toBeInstanceOf(ShardMissingError);
    expect(reserved).toBe(false);
  });
});
