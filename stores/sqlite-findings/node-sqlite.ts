/**
 * Loads Node's built-in `node:sqlite` without printing its one-time ExperimentalWarning.
 *
 * Why this way: the warning is emitted through `process.emitWarning` while the module loads, so
 * for that one synchronous load we wrap `emitWarning` and drop exactly that warning (type
 * `ExperimentalWarning`, message starting `SQLite is an experimental feature`), then restore it.
 * Every other warning still prints, no listener is removed, and no flag (`--no-warnings`) hides
 * warnings process-wide.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { InputError } from '../../core/errors';

type SqliteModule = typeof import('node:sqlite');

let loaded: SqliteModule | undefined;

/**
 * @example
 * const { DatabaseSync } = loadNodeSqlite();
 */
export function loadNodeSqlite(): SqliteModule {
  if (loaded) return loaded;
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    const type =
      typeof rest[0] === 'string'
        ? rest[0]
        : ((rest[0] as { type?: string } | undefined)?.type ??
          (typeof warning === 'string' ? undefined : warning.name));
    if (type === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature')) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } catch (cause) {
    throw new Error(
      `node:sqlite is not available in Node ${process.versions.node}: the local findings store needs Node 22.13 or newer`,
      { cause },
    );
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}

export interface OpenStoreOptions {
  /** Database file; its folder is created. `:memory:` for a throwaway store. */
  file: string;
  /** How long to wait for another process's write lock (default 10 s). */
  busyTimeoutMs?: number;
  /** Tables and indexes, `CREATE … IF NOT EXISTS`, including a `meta (key, value)` table. */
  ddl: string;
  schemaVersion: number;
  /** For messages: `findings`, `reviews`. */
  name: string;
  foreignKeys?: boolean;
  /**
   * Page size in bytes of a store created now (a power of two, 512–65536; SQLite's default 4096).
   * An existing store keeps the page size it was created with.
   */
  pageSize?: number;
}

/**
 * Opens (or creates) a local store: WAL, `synchronous = FULL` so a committed write survives power
 * loss, the schema created in one transaction, and a store written by a newer AccessProof refused.
 *
 * @example
 * const db = openSqliteStore({ file, ddl: DDL, schemaVersion: 1, name: 'findings' });
 */
export function openSqliteStore(options: OpenStoreOptions): import('node:sqlite').DatabaseSync {
  if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
  const { DatabaseSync } = loadNodeSqlite();
  const db = new DatabaseSync(options.file);
  // Only takes effect while the file is still empty (before WAL mode and the first table).
  if (options.pageSize !== undefined) db.exec(`PRAGMA page_size = ${Math.trunc(options.pageSize)}`);
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 10_000))}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  // 64 MB of page cache: a run that commits 200k findings in one transaction would otherwise
  // spill pages to the WAL over and over.
  db.exec('PRAGMA cache_size = -65536');
  if (options.foreignKeys) db.exec('PRAGMA foreign_keys = ON');
  const migrate = () => {
    db.exec(options.ddl);
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as
      | { value: string }
      | undefined;
    if (!row) {
      db.prepare(`INSERT INTO meta (key, value) VALUES ('schema_version', ?)`).run(
        String(options.schemaVersion),
      );
    } else if (Number(row.value) > options.schemaVersion) {
      throw new InputError(
        `${options.name} store schema version ${row.value} is newer than this AccessProof understands (${options.schemaVersion})`,
        { file: options.file },
      );
    }
  };
  // A deferred transaction: on a store whose schema is in place every statement above only reads,
  // so opening does not wait for a writer. A seal holds the store's write lock while its pack is
  // written (tens of seconds at 200k findings), and `findings` or `exception add` opened meanwhile
  // would otherwise wait the busy timeout and fail. Only when the deferred attempt is refused (a
  // first open racing another, whose read snapshot went stale) is the schema created under the
  // write lock from the start.
  try {
    inTransaction(db, migrate, 'BEGIN');
  } catch (err) {
    if (!isBusy(err)) throw err;
    inTransaction(db, migrate);
  }
  return db;
}

function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  // SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT = 517, …): the low byte is 5.
  return typeof code === 'number' ? (code & 0xff) === 5 : /database is locked/.test(String(err));
}

/** Runs `fn` in one transaction: committed when it returns, rolled back when it throws. */
export function inTransaction<T>(
  db: import('node:sqlite').DatabaseSync,
  fn: () => T,
  begin: 'BEGIN IMMEDIATE' | 'BEGIN' = 'BEGIN IMMEDIATE',
): T {
  db.exec(begin);
  try {
    const out = fn();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    // SQLite rolls back by itself on some failures (disk full, I/O error): a second ROLLBACK then
    // fails with "no transaction is active" and would hide the error that matters.
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
