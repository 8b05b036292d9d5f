import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../core/findings/model';
import { ChainConflictError, type FindingsRepository } from '../../../core/findings/repository';
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

  it('keeps no index a query does not use, and still opens a store that has the old ones', async () => {
    // Arrange: a store created with the indexes on status and rule that stores had before.
    const store = await sqliteStore();
    const older = join(store.file, '..', 'older.db');
    try {
      const repo = await store.open();
      const { DatabaseSync } = loadNodeSqlite();
      const pre = new DatabaseSync(older);
      pre.exec(`CREATE TABLE findings (id TEXT PRIMARY KEY, status TEXT NOT NULL, rule TEXT NOT NULL,
        severity TEXT NOT NULL, last_seen_run TEXT NOT NULL, data TEXT NOT NULL);
        CREATE INDEX findings_status ON findings (status); CREATE INDEX findings_rule ON findings (rule);`);
      pre.close();
      const indexes = (file: string) => {
        const db = new DatabaseSync(file);
        const rows = db
          .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings' ORDER BY name",
          )
          .all() as { name: string }[];
        db.close();
        return rows.map((r) => r.name);
      };
      // Act
      await commitNext(repo, 'run-1', [makeFinding()]);
      const kept = SqliteFindingsRepository.open({ file: older });
      await commitNext(kept, 'run-1', [makeFinding()]);
      await kept.close();
      // Assert: the primary key's own index only (each index is one more b-tree per commit).
      expect(indexes(store.file)).toEqual(['sqlite_autoindex_findings_1']);
      expect(indexes(older)).toEqual(['findings_rule', 'findings_status', 'sqlite_autoindex_findings_1']);
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

describe('SqliteFindingsRepository.openCommit (one serialization for pack and store, issue 11)', () => {
  const AT = '2026-10-02T00:00:00.000Z';
  async function withRun2(fn: (repo: SqliteFindingsRepository, file: string) => Promise<void>) {
    const store = await sqliteStore();
    try {
      const repo = (await store.open()) as SqliteFindingsRepository;
      await commitNext(repo, 'run-1', [makeFinding()]);
      await repo.reserve('run-2', makeHead(1, 'run-1'), AT);
      await fn(repo, store.file);
    } finally {
      await store.dispose();
    }
  }
  const rawData = (file: string, id: string): string | undefined => {
    const { DatabaseSync } = loadNodeSqlite();
    const db = new DatabaseSync(file, { readOnly: true });
    const row = db.prepare('SELECT data FROM findings WHERE id = ?').get(id) as { data: string } | undefined;
    db.close();
    return row?.data;
  };

  it('stores the findings put with the JSON it was given and moves the head, as commitRun does', async () => {
    await withRun2(async (repo, file) => {
      // Arrange
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      const b = makeFinding({ key: 'erp:netsuite:b', lastSeenRun: 'run-2', status: 'resolved' });
      // Act
      const commit = await repo.openCommit('run-2');
      commit.put(a, JSON.stringify(a));
      commit.put(b, JSON.stringify(b));
      await commit.commit(makeHead(2, 'run-2'));
      // Assert
      expect(await repo.get(a.id)).toEqual(a);
      expect(await repo.get(b.id)).toEqual(b);
      expect(rawData(file, b.id)).toBe(JSON.stringify(b));
      expect(await repo.getChainHead()).toEqual(makeHead(2, 'run-2'));
      expect(await repo.pendingReservation()).toBeNull();
    });
  });

  it('shows nothing put to another connection before commit, and stores nothing after abort', async () => {
    await withRun2(async (repo, file) => {
      // Arrange
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      const commit = await repo.openCommit('run-2');
      commit.put(a, JSON.stringify(a));
      // Act
      const seenWhileOpen = rawData(file, a.id);
      await commit.abort();
      await commit.abort(); // a second abort is harmless
      // Assert
      expect(seenWhileOpen).toBeUndefined();
      expect(await repo.get(a.id)).toBeUndefined();
      expect(await repo.getChainHead()).toEqual(makeHead(1, 'run-1'));
      expect((await repo.pendingReservation())?.runId).toBe('run-2');
      expect(() => commit.put(a, JSON.stringify(a))).toThrow(/ended/);
      // The reservation still lets the run commit the ordinary way.
      await repo.commitRun('run-2', [a], makeHead(2, 'run-2'));
      expect(await repo.get(a.id)).toEqual(a);
    });
  });

  it('refuses to open without the reservation and leaves no transaction open', async () => {
    await withRun2(async (repo) => {
      // Act
      const attempt = repo.openCommit('run-3');
      // Assert
      await expect(attempt).rejects.toThrow(ChainConflictError);
      await expect(repo.openCommit('run-3')).rejects.toThrow(/run-2 does/);
      await repo.commitRun('run-2', [], makeHead(2, 'run-2'));
      expect((await repo.getChainHead())?.runId).toBe('run-2');
    });
  });

  it('refuses a commit to the wrong sequence and stores nothing of it', async () => {
    await withRun2(async (repo) => {
      // Arrange
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      const commit = await repo.openCommit('run-2');
      commit.put(a, JSON.stringify(a));
      // Act
      const attempt = commit.commit(makeHead(3, 'run-2'));
      // Assert
      await expect(attempt).rejects.toThrow(ChainConflictError);
      expect(await repo.get(a.id)).toBeUndefined();
      expect((await repo.pendingReservation())?.runId).toBe('run-2');
    });
  });

  it('lets another process open the store and read while a commit is open (a seal does not lock out `findings`)', async () => {
    await withRun2(async (repo, file) => {
      // Arrange: the seal's write transaction is open, as for the whole time a pack is written
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      const commit = await repo.openCommit('run-2');
      commit.put(a, JSON.stringify(a));
      // Act: a second connection opens without waiting at all
      const reader = SqliteFindingsRepository.open({ file, busyTimeoutMs: 0 });
      try {
        // Assert: it reads the last committed state, and its own write still waits for the seal
        expect(await reader.getChainHead()).toEqual(makeHead(1, 'run-1'));
        expect(await reader.get(a.id)).toBeUndefined();
        await expect(reader.clearReservation('run-2')).rejects.toThrow(/locked/);
        await commit.commit(makeHead(2, 'run-2'));
        expect(await reader.get(a.id)).toEqual(a);
      } finally {
        await reader.close();
      }
    });
  });

  it('refuses other writes on the same connection while a commit is open, and rolls it back on close', async () => {
    await withRun2(async (repo, file) => {
      // Arrange
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      const commit = await repo.openCommit('run-2');
      commit.put(a, JSON.stringify(a));
      // Act
      const other = repo.clearReservation('run-2');
      await repo.close();
      // Assert
      await expect(other).rejects.toThrow(/run-2's commit open/);
      const reopened = SqliteFindingsRepository.open({ file });
      try {
        expect(await reopened.get(a.id)).toBeUndefined();
        expect((await reopened.pendingReservation())?.runId).toBe('run-2');
      } finally {
        await reopened.close();
      }
    });
  });

  it('treats a re-delivered commit of an already committed run as a no-op', async () => {
    await withRun2(async (repo) => {
      // Arrange
      const a = makeFinding({ key: 'erp:netsuite:a', lastSeenRun: 'run-2' });
      await repo.commitRun('run-2', [a], makeHead(2, 'run-2'));
      const changed = { ...a, status: 'resolved' as const };
      // Act
      const commit = await repo.openCommit('run-2');
      commit.put(changed, JSON.stringify(changed));
      await commit.commit(makeHead(2, 'run-2'));
      // Assert
      expect(await repo.get(a.id)).toEqual(a);
      expect(await repo.getChainHead()).toEqual(makeHead(2, 'run-2'));
    });
  });
});
