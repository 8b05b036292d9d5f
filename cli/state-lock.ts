/**
 * One scan at a time per state folder. With the lock held, a reservation left in the findings
 * store can only belong to a run that died, so the next scan may settle it at once.
 *
 * The lock is `scan.lock`, published whole with the holder's pid, host, process start and a random
 * token (written to a private temporary file, then hard-linked to `scan.lock`, which fails if it
 * exists); the holder touches it every second. Never created empty and then written: a rival that
 * read the empty file would take it for a dead holder's and, once the writer stalled past the lease
 * (a loaded machine), delete it, and both would hold the lock. A lock is stale only when its process is
 * gone (same host, pid dead or reused) AND its last touch is older than the lease. Removing a
 * stale lock is itself guarded by `scan.lock.break` (also `wx`): only the process holding it may
 * delete `scan.lock`, after reading it again and finding the very lock it judged stale. So two
 * processes that both see a dead holder cannot both end up holding the lock. (One window is left:
 * a breaker killed inside those few synchronous lines leaves `scan.lock.break`, removed 30 s later
 * by whoever finds it; two processes removing that dead break lock at the same moment could remove
 * a live breaker's one as well. It needs a kill inside microseconds of code, then two takers.)
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError } from '../core/errors';

export interface StateLock {
  release(): void;
}

export interface LockOptions {
  /** How long after its last touch a dead holder's lock is kept (default 3 s). */
  leaseMs?: number;
  /** How often the holder touches its lock (default 1 s). */
  heartbeatMs?: number;
  /** How long to wait for a dead holder's lease to pass (default: the lease and 2 s more). */
  waitMs?: number;
  /**
   * Tests only: called while the lock is being created, after its record is written and before it
   * is published as `scan.lock` (a stall there must not let a rival take the lock as well).
   */
  whileCreating?: () => void;
}

interface LockRecord {
  pid: number;
  host: string;
  /** `/proc/<pid>/stat` start tick on Linux: tells a reused pid from the holder. */
  procStart?: string;
  startedAt: string;
  token: string;
}

export const LOCK_FILE = 'scan.lock';
const BREAK_FILE = 'scan.lock.break';

export async function lockStateFolder(stateDir: string, options: LockOptions = {}): Promise<StateLock> {
  const leaseMs = options.leaseMs ?? 3000;
  const heartbeatMs = options.heartbeatMs ?? 1000;
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_FILE);
  const mine: LockRecord = {
    pid: process.pid,
    host: hostname(),
    ...procStartField(process.pid),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  // A dead holder's lock becomes stale once its lease has passed: wait that long, not forever.
  const deadline = Date.now() + (options.waitMs ?? leaseMs + 2000);
  for (;;) {
    if (tryCreate(file, mine, options.whileCreating)) return held(file, mine, heartbeatMs);
    const current = readLock(file);
    if (!current) continue; // released between our create and our read: try again
    if (holderAlive(current.record)) {
      throw new InputError(
        `another scan (process ${current.record.pid} on ${current.record.host}, since ${current.record.startedAt}) is using this state folder`,
        { file },
      );
    }
    const age = Date.now() - current.touchedMs;
    if (age >= leaseMs) {
      const broke = breakStale(stateDir, file, current.record.token);
      if (broke === 'busy' && Date.now() > deadline)
        throw new InputError('another process is taking over the stale scan lock', { file });
      if (broke !== 'busy') continue;
    } else if (Date.now() > deadline) {
      throw new InputError('the scan lock of a stopped scan is still within its lease', { file });
    }
    await sleep(Math.min(200, Math.max(10, leaseMs - age)));
  }
}

/**
 * Publish `record` as `file` unless `file` exists: written whole to a temporary file first, then
 * hard-linked (atomic, EEXIST when taken), so `file` is never seen empty or half-written.
 */
function tryCreate(file: string, record: LockRecord, whileCreating?: () => void): boolean {
  const text = `${JSON.stringify(record)}\n`;
  const temp = `${file}.${record.token}.tmp`;
  writeFileSync(temp, text, { flag: 'w', mode: 0o600 });
  try {
    whileCreating?.();
    linkSync(temp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: exclusive create, the record in one write.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS')
      return createExclusive(file, text);
    throw err;
  } finally {
    rmSync(temp, { force: true });
  }
}

function createExclusive(file: string, text: string): boolean {
  try {
    writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  }
}

function held(file: string, mine: LockRecord, heartbeatMs: number): StateLock {
  const timer = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // The folder may be gone (a test's temp dir): the lock then protects nothing anyway.
    }
  }, heartbeatMs);
  timer.unref();
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    clearInterval(timer);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    // Remove only our own lock: never one another process took after judging ours stale.
    if (readLock(file)?.record.token === mine.token) rmSync(file, { force: true });
  };
  // Stopped (SIGTERM, Ctrl-C) mid-run: give the lock back and exit at once, 143 or 130. Nothing is
  // half-written: a pack becomes visible only by an atomic rename, the findings store commits in one
  // transaction, and the next scan settles a reserved chain and removes the dead run's debris.
  function onSignal(signal: NodeJS.Signals): void {
    release();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  }
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { release };
}

/**
 * Delete `file` if it still holds the lock with `token`, holding the break lock meanwhile.
 * 'busy' when another process holds the break lock.
 */
function breakStale(stateDir: string, file: string, token: string): 'removed' | 'changed' | 'busy' {
  const breakFile = join(stateDir, BREAK_FILE);
  const me: LockRecord = {
    pid: process.pid,
    host: hostname(),
    ...procStartField(process.pid),
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  if (!tryCreate(breakFile, me)) {
    // A breaker that died inside these few lines leaves the break lock: stale after a long lease.
    const other = readLock(breakFile);
    if (other && !holderAlive(other.record) && Date.now() - other.touchedMs > 30_000)
      rmSync(breakFile, { force: true });
    return 'busy';
  }
  try {
    const again = readLock(file);
    if (!again || again.record.token !== token) return 'changed';
    rmSync(file, { force: true });
    return 'removed';
  } finally {
    rmSync(breakFile, { force: true });
  }
}

function readLock(file: string): { record: LockRecord; touchedMs: number } | undefined {
  let text: string;
  let touchedMs: number;
  try {
    touchedMs = statSync(file).mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { record: parseRecord(text), touchedMs };
}

/** An older lock holds just a pid; an unreadable one counts as a holder we cannot see. */
function parseRecord(text: string): LockRecord {
  try {
    const v = JSON.parse(text) as Partial<LockRecord>;
    if (typeof v.pid === 'number')
      return {
        pid: v.pid,
        host: String(v.host ?? hostname()),
        ...(v.procStart ? { procStart: String(v.procStart) } : {}),
        startedAt: String(v.startedAt ?? '?'),
        token: String(v.token ?? text),
      };
  } catch {
    // fall through
  }
  const pid = Number(text.trim());
  return { pid: Number.isInteger(pid) ? pid : -1, host: hostname(), startedAt: '?', token: text };
}

function holderAlive(r: LockRecord): boolean {
  // Another host's process cannot be checked from here: its lock is never taken over.
  if (r.host !== hostname()) return true;
  if (!Number.isInteger(r.pid) || r.pid <= 0) return false;
  if (!pidAlive(r.pid)) return false;
  if (r.procStart === undefined) return true;
  const now = procStartField(r.pid).procStart;
  return now === undefined || now === r.procStart;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of `/proc/<pid>/stat` (start time in clock ticks after boot), on Linux only. */
function procStartField(pid: number): { procStart?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = fields[19];
    return start ? { procStart: start } : {};
  } catch {
    return {};
  }
}
