import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockStateFolder } from '../../../cli/state-lock';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

function plantStaleLock(stateDir: string, pid: number): void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_FILE);
  writeFileSync(file, `${pid}\n`);
  const old = new Date(Date.now() - 3600_000);
  utimesSync(file, old, old);
}

describe('scan lock', () => {
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'accessproof-lock-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('records pid, host, process start and a token; a live holder is refused; release frees it', async () => {
    const state = temp();
    const lock = await lockStateFolder(state);
    const record = JSON.parse(readFileSync(join(state, LOCK_FILE), 'utf8'));
    expect(record).toMatchObject({ pid: process.pid, host: expect.any(String), token: expect.any(String) });
    expect(Date.parse(record.startedAt)).not.toBeNaN();
    await expect(lockStateFolder(state)).rejects.toThrow(/another scan \(process \d+/);
    lock.release();
    (await lockStateFolder(state)).release();
  });

  it('a dead holder is taken over only after its lease has passed', async () => {
    const state = temp();
    const file = join(state, LOCK_FILE);
    mkdirSync(state, { recursive: true });
    writeFileSync(file, `${deadPid()}\n`); // touched just now: within the lease
    await expect(lockStateFolder(state, { leaseMs: 60_000, waitMs: 0 })).rejects.toThrow(/within its lease/);
    const lock = await lockStateFolder(state, { leaseMs: 300 });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it("50 rounds of three processes racing for a dead process's lock: exactly one wins each round", async () => {
    const dir = temp();
    const rounds = 50;
    const contenders = 3;
    const pid = deadPid();
    for (let r = 0; r < rounds; r++) plantStaleLock(join(dir, `state-${r}`), pid);
    const children = Array.from({ length: contenders }, (_, i) =>
      spawn(TSX, [join(import.meta.dirname, 'lock-contender.ts'), dir, String(i), String(rounds)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      }),
    );
    const exited = children.map((c) => new Promise((done) => c.on('exit', done)));
    const winners: number[] = [];
    for (let r = 0; r < rounds; r++) {
      writeFileSync(join(dir, `go-${r}`), '');
      const files = Array.from({ length: contenders }, (_, i) => join(dir, `res-${r}-${i}`));
      while (!files.every((f) => existsSync(f))) await sleep(5);
      winners.push(files.filter((f) => readFileSync(f, 'utf8') === 'won').length);
    }
    writeFileSync(join(dir, 'end'), '');
    await Promise.all(exited);
    const lostWhy = winners.flatMap((n, r) =>
      n === 1
        ? []
        : Array.from(
            { length: contenders },
            (_, i) => `${r}: ${readFileSync(join(dir, `res-${r}-${i}`), 'utf8')}`,
          ),
    );
    expect(lostWhy).toEqual([]);
    expect(winners).toEqual(Array(rounds).fill(1));
  });
});
