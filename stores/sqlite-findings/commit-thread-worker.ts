/**
 * The worker thread of `commit-thread.ts`: one run's write transaction on a connection of its own.
 * It only runs SQL; what the rows and heads mean is checked by the store on the seal's thread
 * (`SqliteFindingsRepository.openCommit`), so this thread loads nothing but `node:sqlite` (a
 * thread that loaded the store and its schemas cost ~1 s of CPU to start under tsx).
 *
 * Messages in: `{ rows }` (a batch, flat: id, status, rule, severity, lastSeenRun, json per row),
 * `{ commit: head, expected }` (`expected` null: write no head), `{ abort: true }`.
 * Messages out: `{ opened: { done, reservation } }` or `{ error }` first; `{ applied: 1 }` per
 * batch; `{ error }` once when a batch fails (later ones are dropped); `{ moved: current }` when
 * the chain's head is no longer `expected` at commit (rolled back); `{ ended: true }` last, with
 * the transaction committed or rolled back and the connection closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadNodeSqlite } from './node-sqlite';

const ROW_FIELDS = 6;

interface HeadRow {
  sequence: number;
  run_id: string;
  manifest_sha256: string;
  location: string;
  sealed_at: string;
}
interface Head {
  sequence: number;
  runId: string;
  manifestSha256: string;
  location: string;
  sealedAt: string;
}
type Message = { rows: (string | null)[] } | { commit: Head; expected: Head | null } | { abort: true };

const port = parentPort;
if (!port)
  throw new Error('commit-thread-worker runs as a worker thread (stores/sqlite-findings/commit-thread.ts)');
const { file, busyTimeoutMs, runId } = workerData as { file: string; busyTimeoutMs: number; runId: string };
const errorOf = (err: unknown) => ({
  name: err instanceof Error ? err.name : 'Error',
  message: err instanceof Error ? err.message : String(err),
});

const { DatabaseSync } = loadNodeSqlite();
let db: import('node:sqlite').DatabaseSync | undefined;
let upsert: import('node:sqlite').StatementSync | undefined;
let failed = false;

function end(): void {
  try {
    if (db?.isTransaction) db.exec('ROLLBACK');
    db?.close();
  } catch (err) {
    port?.postMessage({ error: errorOf(err) });
  }
  port?.postMessage({ ended: true });
  port?.close();
}

try {
  db = new DatabaseSync(file);
  // As the store's own connection (node-sqlite.ts openSqliteStore); WAL is the file's already.
  db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`);
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA cache_size = -65536');
  db.exec('BEGIN IMMEDIATE');
  const done = db.prepare('SELECT 1 FROM chain WHERE run_id = ?').get(runId) !== undefined;
  const reservation =
    db.prepare('SELECT run_id, expected, reserved_at FROM reservation WHERE singleton = 1').get() ?? null;
  upsert = db.prepare(
    `INSERT INTO findings (id, status, rule, severity, last_seen_run, data) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, rule = excluded.rule,
       severity = excluded.severity, last_seen_run = excluded.last_seen_run, data = excluded.data`,
  );
  port.postMessage({ opened: { done, reservation } });
} catch (err) {
  failed = true;
  port.postMessage({ error: errorOf(err) });
  end();
}

port.on('message', (m: Message) => {
  if (!db) return;
  if ('rows' in m) {
    if (failed) return;
    const rows = m.rows;
    try {
      for (let i = 0; i < rows.length; i += ROW_FIELDS) {
        upsert!.run(rows[i]!, rows[i + 1]!, rows[i + 2]!, rows[i + 3]!, rows[i + 4]!, rows[i + 5]!);
      }
      port.postMessage({ applied: 1 });
    } catch (err) {
      failed = true;
      port.postMessage({ error: errorOf(err) });
    }
    return;
  }
  try {
    if ('commit' in m && !failed) {
      const { commit: head, expected } = m;
      const row = db.prepare('SELECT * FROM chain ORDER BY sequence DESC LIMIT 1').get() as
        | HeadRow
        | undefined;
      const current: Head | null = row
        ? {
            sequence: row.sequence,
            runId: row.run_id,
            manifestSha256: row.manifest_sha256,
            location: row.location,
            sealedAt: row.sealed_at,
          }
        : null;
      // The same pack at the head: sequence, run id and manifest hash (repository.ts sameHead).
      const same =
        current === null || expected === null
          ? current === expected
          : current.sequence === expected.sequence &&
            current.runId === expected.runId &&
            current.manifestSha256 === expected.manifestSha256;
      if (!same) {
        port.postMessage({ moved: current });
      } else {
        db.prepare(
          'INSERT INTO chain (sequence, run_id, manifest_sha256, location, sealed_at) VALUES (?, ?, ?, ?, ?)',
        ).run(head.sequence, head.runId, head.manifestSha256, head.location, head.sealedAt);
        db.prepare('DELETE FROM reservation WHERE singleton = 1').run();
        db.exec('COMMIT');
      }
    }
  } catch (err) {
    port.postMessage({ error: errorOf(err) });
  }
  end();
});
