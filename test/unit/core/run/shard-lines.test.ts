/**
 * plan-shards' partition of a snapshot (issue 18): each shard gets exactly the lines it would keep
 * reading the whole snapshot, in snapshot order (its own principals and grants, record-less
 * principals' grants by uid hash, assumable roles and entitlements everywhere, people nowhere),
 * in parts; a snapshot that disagrees with its key index stops plan-shards.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../../core/ports';
import { partitionSource, shardLines, shardLinesKey } from '../../../../core/run/shard-lines';
import { shardOf } from '../../../../core/run/shard-plan';

const RUN = 'run-1';
const header = JSON.stringify({ type: 'snapshot', sourceId: 'erp' });
const principal = (uid: string) => JSON.stringify({ principal: { uid, name: uid } });
const grant = (uid: string, e: string) =>
  JSON.stringify({ grant: { principal: uid, entitlement: e, path: [] } });
const entitlement = (uid: string) => JSON.stringify({ entitlement: { uid } });

/** A record-less principal uid that hashes to `shard` of 3. */
function recordless(shard: number): string {
  for (let i = 0; ; i++) if (shardOf(`principal:ghost-${i}`, 3) === shard) return `ghost-${i}`;
}

const ghost = recordless(2);
const snapshot = [
  header,
  principal('a1'),
  entitlement('E1'),
  principal('b1'),
  principal('role'),
  principal('nobody'),
  grant('a1', 'E1'),
  grant('a1', 'E2'),
  grant('b1', 'E1'),
  // A grant line written another way round: parsed, routed alike.
  JSON.stringify({ grant: { entitlement: 'E3', principal: 'b1', path: [] } }),
  grant('role', 'E1'),
  grant('nobody', 'E1'),
  grant(ghost, 'E1'),
  JSON.stringify({ person: { uid: 'hr:1' } }),
  JSON.stringify({ link: { principal: 'a1' } }),
  entitlement('E2'),
];
const routing = {
  count: 3,
  // a1 is shard 0's, b1 shard 1's; "nobody" has a record but no identity: nobody keeps its grants.
  ownerOf: new Map([
    ['a1', 0],
    ['b1', 1],
  ]),
  known: new Set(['a1', 'b1', 'role', 'nobody']),
  assumable: new Set(['role']),
};

async function partition(lines: string[], uids: string[], partChars?: number) {
  const store = new MemoryRunStore();
  const snapshots = {
    async *lines() {
      yield* lines;
    },
  };
  const parts = await partitionSource({
    runStore: store,
    snapshots,
    runId: RUN,
    sourceId: 'erp',
    location: 'erp.snap',
    sourceNo: 1,
    uids,
    routing,
    ...(partChars ? { partChars } : {}),
  });
  return { parts, store };
}

async function read(store: MemoryRunStore, shard: number, parts: number): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of shardLines(store, RUN, shard, 1, parts)) out.push(...batch);
  return out;
}

describe('partitionSource', () => {
  it('gives each shard the lines it keeps, in snapshot order, principals with their ordinal', async () => {
    // Act
    const { parts, store } = await partition(snapshot, ['a1', 'b1', 'role', 'nobody']);

    // Assert
    expect(parts).toEqual([1, 1, 1]);
    expect(await read(store, 0, 1)).toEqual([
      header,
      `0 ${principal('a1')}`,
      entitlement('E1'),
      `2 ${principal('role')}`,
      grant('a1', 'E1'),
      grant('a1', 'E2'),
      grant('role', 'E1'),
      entitlement('E2'),
    ]);
    expect(await read(store, 1, 1)).toEqual([
      header,
      entitlement('E1'),
      `1 ${principal('b1')}`,
      `2 ${principal('role')}`,
      grant('b1', 'E1'),
      snapshot[9],
      grant('role', 'E1'),
      entitlement('E2'),
    ]);
    expect(await read(store, 2, 1)).toEqual([
      header,
      entitlement('E1'),
      `2 ${principal('role')}`,
      grant('role', 'E1'),
      grant(ghost, 'E1'),
      entitlement('E2'),
    ]);
  });

  it('writes a shard with many lines in several parts, read back in order', async () => {
    // Arrange: ~1.3 M characters of grants of a1, parts of 100,000.
    const many = Array.from({ length: 20_000 }, (_, i) => grant('a1', `E-${i}-${'x'.repeat(40)}`));

    // Act
    const { parts, store } = await partition([header, principal('a1'), ...many], ['a1'], 100_000);

    // Assert
    expect(parts[0]).toBeGreaterThan(10);
    expect(parts.slice(1)).toEqual([1, 1]);
    expect(await read(store, 0, parts[0]!)).toEqual([header, `0 ${principal('a1')}`, ...many]);
    expect(await store.getLines(shardLinesKey(RUN, 0, 1, parts[0]!))).toBeUndefined();
  });

  it('stops when the snapshot and its key index disagree', async () => {
    await expect(partition(snapshot, ['a1', 'b1', 'role'])).rejects.toThrow(
      'plan-shards: erp has more principals than its key index',
    );
    await expect(partition(snapshot, ['a1', 'b1', 'role', 'nobody', 'x'])).rejects.toThrow(
      'plan-shards: erp has 4 principals, its key index 5',
    );
    const unusual = [header, JSON.stringify({ other: 1, principal: { uid: 'a1' } })];
    await expect(partition(unusual, [])).rejects.toThrow(
      'plan-shards: erp: principal a1 is not where its key index says',
    );
  });

  it('refuses to read a part plan-shards did not write', async () => {
    const { store } = await partition(snapshot, ['a1', 'b1', 'role', 'nobody']);
    await expect(read(store, 0, 2)).rejects.toThrow(`scan-shard: no ${shardLinesKey(RUN, 0, 1, 1)}`);
  });
});
