/**
 * Disk full at commit (issue 11, defect 8): SQLite may roll a transaction back by itself when the
 * disk fills; a second ROLLBACK then fails with "no transaction is active" and used to hide the
 * error that matters. The store lives on a small tmpfs, so the kernel's ENOSPC is real; mounting
 * needs root (CI runs the suite as root), elsewhere the test is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, openSqliteStore } from '../../../stores/sqlite-findings/node-sqlite';

const DDL = `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB)`;

function cannotMount(): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs the suite as root)';
  return undefined;
}

const reason = cannotMount();

describe.skipIf(reason !== undefined)(`disk full at commit${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-sqlite-full-'));
  const mnt = join(dir, 'state');
  let mounted = false;

  beforeAll(() => {
    mkdirSync(mnt);
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    mounted = true;
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', ['-l', mnt]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('surfaces the disk-full error, not "no transaction is active", and keeps what was committed', () => {
    // Arrange: a committed row, then the disk filled but for a little room
    const file = join(mnt, 'findings.db');
    const db = openSqliteStore({ file, ddl: DDL, schemaVersion: 1, name: 'findings' });
    inTransaction(db, () =>
      db.prepare('INSERT INTO rows (id, body) VALUES (1, ?)').run(Buffer.alloc(1000, 1)),
    );
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    try {
      writeFileSync(join(mnt, 'filler.bin'), Buffer.alloc(4 * 1024 * 1024));
    } catch {
      // ENOSPC: the filler takes whatever room there was
    }

    // Act: a transaction larger than the room left
    let error: unknown;
    try {
      inTransaction(db, () => {
        const insert = db.prepare('INSERT INTO rows (id, body) VALUES (?, ?)');
        for (let i = 2; i < 200; i++) insert.run(i, Buffer.alloc(64 * 1024, i));
      });
    } catch (err) {
      error = err;
    }

    // Assert
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).not.toMatch(/no transaction is active/);
    expect(message).toMatch(/full|disk|I\/O/i);
    expect(db.isTransaction).toBe(false);
    const rows = db.prepare('SELECT id FROM rows ORDER BY id').all() as { id: number }[];
    expect(rows.map((r) => r.id)).toEqual([1]);
    db.close();
  });
});
