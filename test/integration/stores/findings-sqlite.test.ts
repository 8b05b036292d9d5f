import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../core/findings/model';
import type { FindingsRepository } from '../../../core/findings/repository';
import { loadNodeSqlite } from '../../../stores/sqlite-findings/node-sqlite';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../../stores/sqlite-findings/sqlite-findings-repository';
import {
  commitNext,
  describeFindingsRepositoryContract,
  makeFinding,
  makeHead,
  type StoreFixture,
} from '../../support/findings-repository-contract';

async function sqliteStore(): Promise<StoreFixture & { file: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'accessproof-findings-'));
  const file = findingsDbFile(join(dir, 'state'));
  const opened: FindingsRepository[] = [];
  return {
    file,
    async open() {
      const repo = SqliteFindingsRepository.open({ file });
      opened.push(repo);
      return repo;
    },
    async dispose() {
      for (const r of opened) await r.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeFindingsRepositoryContract('sqlite (node:sqlite)', sqliteStore);

describe('SqliteFindingsRepository', () => {
  it('creates <state>/findings.db in WAL mode', async () => {
    // Arrange
    const store = await sqliteStore();
    try {
      // Act
      await store.open();
      const { DatabaseSync } = loadNodeSqlite();
      const db = new DatabaseSync(store.file);
      const mode = db.prepare('PRAGMA journal_mode').get() as { journal_mode: string };
      db.close();
      // Assert
      expect(store.file.endsWith(join('state', 'findings.db'))).toBe(true);
      expect(mode.journal_mode).toBe('wal');
    } finally {
      await store.dispose();
    }
  });

  it('creates a new store with 16 KB pages and keeps the page size of an existing one', async () => {
    // Arrange: a store created before the page size was set (SQLite's default 4096).
    const store = await sqliteStore();
    const older = join(store.file, '..', 'older.db');
    try {
      const repo = await store.open(); // creates the state folder
      const { DatabaseSync } = loadNodeSqlite();
      const pre = new DatabaseSync(older);
      pre.exec('PRAGMA journal_mode = WAL');
      pre.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
      pre.close();
      const pageSize = (file: string) => {
        const db = new DatabaseSync(file);
        const row = db.prepare('PRAGMA page_size').get() as { page_size: number };
        db.close();
        return row.page_size;
      };
      // Act
      await commitNext(repo, 'run-1', [makeFinding()]);
      const kept = SqliteFindingsRepository.open({ file: older });
      await commitNext(kept, 'run-1', [makeFinding()]);
      await kept.close();
      // Assert
      expect(pageSize(store.file)).toBe(16_384);
      expect(pageSize(older)).toBe(4096);
      const reopened = SqliteFindingsRepository.open({ file: older });
      expect((await reopened.loadAll()).map((f) => f.id)).toEqual([makeFinding().id]);
      await reopened.close();
    } finally {
      await store.dispose();
    }
  });

  it('leaves the store unchanged when a commit fails half-way (one transaction)', async () => {
    // Arrange
    const store = await sqliteStore();
    try {
      const repo = await store.open();
      await commitNext(repo, 'run-1', [makeFinding()]);
      await repo.reserve('run-2', makeHead(1, 'run-1'), '2026-10-02T00:00:00.000Z');
      const good = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      // A BigInt cannot be serialized: JSON.stringify throws after `good` was already written.
      const poison = makeFinding({ key: 'erp:netsuite:b', detail: { n: 1n } }) as Finding;
      // Act
      const attempt = repo.commitRun('run-2', [good, poison], makeHead(2, 'run-2'));
      // Assert
      await expect(attempt).rejects.toThrow(/BigInt/);
      expect(await repo.get(good.id)).toBeUndefined();
      expect(await repo.getChainHead()).toEqual(makeHead(1, 'run-1'));
      expect((await repo.pendingReservation())?.runId).toBe('run-2');
    } finally {
      await store.dispose();
    }
  });

  it('reports a stored finding that was edited into an invalid shape, naming the file and finding', async () => {
    // Arrange
    const store = await sqliteStore();
    try {
      const repo = await store.open();
      const f = makeFinding();
      await commitNext(repo, 'run-1', [f]);
      const { DatabaseSync } = loadNodeSqlite();
      const db = new DatabaseSync(store.file);
      db.prepare('UPDATE findings SET data = ? WHERE id = ?').run(
        JSON.stringify({ ...f, status: 'gone' }),
        f.id,
      );
      db.close();
      // Act
      const attempt = repo.loadAll();
      // Assert
      await expect(attempt).rejects.toThrow(new RegExp(`findings\\.db \\(findings\\[${f.id}\\]\\.status\\)`));
    } finally {
      await store.dispose();
    }
  });

  it('loads node:sqlite without printing its ExperimentalWarning, and leaves other warnings alone', () => {
    // Arrange
    const script = [
      "const { SqliteFindingsRepository } = await import('./stores/sqlite-findings/sqlite-findings-repository.ts');",
      "const repo = SqliteFindingsRepository.open({ file: ':memory:' });",
      'await repo.close();',
      "process.emitWarning('still visible', 'ExperimentalWarning');",
    ].join('\n');
    // Act
    const out = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../../..'),
      encoding: 'utf8',
    });
    // Assert
    expect(out.status).toBe(0);
    expect(out.stderr).not.toContain('SQLite is an experimental feature');
    expect(out.stderr).toContain('still visible');
  });

  it('lets one of two processes reserve the chain when both race on the same file', async () => {
    // Arrange
    const store = await sqliteStore();
    try {
      await (await store.open()).close(); // create the file first, so both children only race to reserve
      const child = (runId: string) =>
        new Promise<string>((resolve) => {
          const script = [
            "const { SqliteFindingsRepository } = await import('./stores/sqlite-findings/sqlite-findings-repository.ts');",
            `const repo = SqliteFindingsRepository.open({ file: ${JSON.stringify(store.file)} });`,
            `try { console.log(await repo.reserve(${JSON.stringify(runId)}, null, 'now')); }`,
            "catch (e) { console.log(e.name + ': ' + e.message); }",
            'await repo.close();',
          ].join('\n');
          const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            cwd: join(import.meta.dirname, '../../..'),
          });
          let out = '';
          p.stdout.on('data', (b) => {
            out += String(b);
          });
          p.on('close', () => resolve(out.trim()));
        });
      // Act
      const outcomes = await Promise.all([child('run-a'), child('run-b')]);
      // Assert
      expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(1);
      const lost = outcomes.find((o) => o !== 'reserved');
      expect(lost).toMatch(
        /^ChainConflictError: run run-[ab] cannot reserve the evidence chain: run run-[ab] reserved it/,
      );
      const winner = outcomes[0] === 'reserved' ? 'run-a' : 'run-b';
      expect((await (await store.open()).pendingReservation())?.runId).toBe(winner);
    } finally {
      await store.dispose();
    }
  });
});
