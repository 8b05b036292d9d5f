/**
 * The k-way merge of the shards' sorted draft lines (issue 18): the single scan's order, without
 * one big parse; a shard's drafts missing, torn or out of order stop the run before anything is
 * reconciled. Runs on the in-memory store and on the local folder store `scan --shards N` uses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../../../core/findings/model';
import { MemoryRunStore, type RunStore } from '../../../../core/ports';
import { compareDrafts } from '../../../../core/rules';
import { mergeShardDrafts, ShardMissingError } from '../../../../core/run/reconcile-shards';
import { shardDraftsKey } from '../../../../core/run/shard-plan';
import type { ShardOutput } from '../../../../core/run/shard-scan';
import { LocalRunStore } from '../../../../stores/local-staging/local-run-store';

const RUN = 'run-1';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A draft as reconcile reads it: only rule, key and a tag to tell equal-keyed drafts apart. */
function draft(rule: string, key: string, tag: string): FindingDraft {
  return { rule, key, title: tag } as unknown as FindingDraft;
}

function outputOf(shard: number, count: number, draftCount: number): ShardOutput {
  return { runId: RUN, shard, count, draftCount } as ShardOutput;
}

async function store(kind: 'memory' | 'local', shards: FindingDraft[][]): Promise<RunStore> {
  let s: RunStore = new MemoryRunStore();
  if (kind === 'local') {
    const dir = mkdtempSync(join(tmpdir(), 'ap-reconcile-'));
    dirs.push(dir);
    s = new LocalRunStore(dir);
  }
  for (const [i, list] of shards.entries())
    await s.putLines(
      shardDraftsKey(RUN, i),
      list.map((d) => JSON.stringify(d)),
    );
  return s;
}

const titles = (list: FindingDraft[]) => list.map((d) => (d as unknown as { title: string }).title);

describe.each(['memory', 'local'] as const)('mergeShardDrafts (%s store)', (kind) => {
  it('gives the order of a stable sort of every shard concatenated, extra drafts last among equals', async () => {
    // Arrange: equal rule+key in several shards and in the extra drafts.
    const shards = [
      [draft('A', 'k1', 's0a'), draft('A', 'k3', 's0b'), draft('B', 'k1', 's0c')],
      [draft('A', 'k1', 's1a'), draft('A', 'k2', 's1b'), draft('C', '', 's1c')],
      [],
      [draft('A', 'k1', 's3a'), draft('B', 'k0', 's3b')],
    ];
    const extra = [draft('B', 'k0', 'x1'), draft('A', 'k1', 'x0')];
    const runStore = await store(kind, shards);
    const outputs = shards.map((list, i) => outputOf(i, shards.length, list.length));

    // Act
    const merged = await mergeShardDrafts(runStore, RUN, outputs, extra);

    // Assert
    const expected = [...shards.flat(), ...extra].sort(compareDrafts);
    expect(titles(merged)).toEqual(titles(expected));
    expect(titles(merged)).toEqual(['s0a', 's1a', 's3a', 'x0', 's1b', 's0b', 's3b', 'x1', 's0c', 's1c']);
  });

  it('refuses a shard whose drafts are missing, fewer than its output says, or out of order', async () => {
    // Arrange
    const good = [draft('A', 'k1', 'a'), draft('A', 'k2', 'b')];
    const runStore = await store(kind, [good, [draft('B', 'k2', 'c'), draft('A', 'k1', 'd')]]);

    // Act / Assert
    await expect(
      mergeShardDrafts(runStore, RUN, [outputOf(0, 3, 2), outputOf(1, 3, 2), outputOf(2, 3, 0)], []),
    ).rejects.toThrow(/shard 2 of 3 of run run-1 has no drafts: nothing was reconciled/);
    await expect(mergeShardDrafts(runStore, RUN, [outputOf(0, 1, 3)], [])).rejects.toThrow(
      /shard 0 of 1 .* has 2 drafts where its output says 3/,
    );
    await expect(
      mergeShardDrafts(runStore, RUN, [outputOf(0, 2, 2), outputOf(1, 2, 2)], []),
    ).rejects.toBeInstanceOf(ShardMissingError);
    await expect(mergeShardDrafts(runStore, RUN, [outputOf(0, 2, 2), outputOf(1, 2, 2)], [])).rejects.toThrow(
      /shard 1 of 2 .* has drafts out of order/,
    );
  });
});

describe('LocalRunStore lines', () => {
  it('round-trips lines larger than one write batch; a torn last line is read as it is', async () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'ap-lines-'));
    dirs.push(dir);
    const s = new LocalRunStore(dir);
    const lines = Array.from({ length: 5_000 }, (_, i) => JSON.stringify({ i, pad: 'Ærø😀'.repeat(100) }));

    // Act
    await s.putLines('runs/r/x.jsonl', lines);
    const back: string[] = [];
    for await (const l of (await s.getLines('runs/r/x.jsonl'))!) back.push(l);
    writeFileSync(join(dir, 'runs/r/torn.jsonl'), '{"a":1}\n{"a":');
    const torn: string[] = [];
    for await (const l of (await s.getLines('runs/r/torn.jsonl'))!) torn.push(l);

    // Assert
    expect(back).toEqual(lines);
    expect(await s.getLines('runs/r/none.jsonl')).toBeUndefined();
    expect(torn).toEqual(['{"a":1}', '{"a":']);
  });
});
