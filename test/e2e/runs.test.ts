import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { accessproof, tempDir } from './cli-helpers';

/** Every pack folder under evidence/packs, oldest first (packs/YYYY/MM/DD/<runId>). */
function packDirs(out: string): string[] {
  const root = join(out, 'evidence', 'packs');
  const walk = (dir: string, depth: number): string[] =>
    depth === 0
      ? [dir]
      : readdirSync(dir, { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .flatMap((d) => walk(join(dir, d.name), depth - 1));
  return walk(root, 4).sort();
}

describe('accessproof runs list | release', () => {
  const out = tempDir();
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('shows a stuck reservation, releases it with a reason, and the next pack carries the release', async () => {
    // Arrange: a sealed pack, then a run that reserved the chain and died (as a killed process leaves it).
    expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);
    const repo = SqliteFindingsRepository.open({ file: findingsDbFile(join(out, 'state')) });
    await repo.reserve('20261001T010000Z-dead01', await repo.getChainHead(), '2026-10-01T01:00:00.000Z');
    await repo.close();

    // Act
    const listed = accessproof(['runs', 'list', '--out', out]);
    const noReason = accessproof([
      'runs',
      'release',
      '20261001T010000Z-dead01',
      '--reason',
      ' ',
      '--out',
      out,
    ]);
    const wrongRun = accessproof(['runs', 'release', 'other-run', '--reason', 'x', '--out', out]);
    const released = accessproof([
      'runs',
      'release',
      '20261001T010000Z-dead01',
      '--reason',
      'killed by the OOM killer; INC-42',
      '--by',
      'ops@example.com',
      '--out',
      out,
    ]);
    const after = accessproof(['runs', 'list', '--out', out, '--format', 'json']);
    const next = accessproof(['scan', '--demo', '--out', out]);
    const sealedList = accessproof(['runs', 'list', '--out', out, '--format', 'json']);

    // Assert
    expect(listed.stdout).toContain('reserved by: 20261001T010000Z-dead01 since 2026-10-01T01:00:00.000Z');
    expect(noReason.code).toBe(2);
    expect(wrongRun.code).toBe(2);
    expect(wrongRun.stderr).toContain('run other-run holds no reservation: run 20261001T010000Z-dead01 does');
    expect(released.code).toBe(0);
    expect(released.stdout).toContain('20261001T010000Z-dead01: reservation released');
    const state = JSON.parse(after.stdout) as { reservation: unknown; records: Record<string, unknown>[] };
    expect(state.reservation).toBeNull();
    expect(state.records).toEqual([
      expect.objectContaining({
        runId: '20261001T010000Z-dead01',
        kind: 'released',
        reason: 'killed by the OOM killer; INC-42',
        by: 'ops@example.com',
        reservation: 'released',
      }),
    ]);
    expect(next.code).toBe(0);
    const newest = packDirs(out).at(-1)!;
    const carried = readFileSync(join(newest, 'runs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(carried.map((r) => [r.runId, r.kind, r.reason])).toEqual([
      ['20261001T010000Z-dead01', 'released', 'killed by the OOM killer; INC-42'],
    ]);
    const manifest = JSON.parse(readFileSync(join(newest, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    };
    expect(manifest.files.map((f) => f.path)).toContain('runs.jsonl');
    const sealed = JSON.parse(sealedList.stdout) as { records: { sealedIn?: string }[] };
    expect(sealed.records.map((r) => r.sealedIn)).toEqual([newest.split('/').at(-1)]);
  }, 400_000);
});
