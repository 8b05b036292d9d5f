import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { LOCK_FILE, lockStateFolder } from '../../../cli/state-lock';
import type { ContenderResult } from './lock-contender';

const ROOT = resolve(import.meta.dirname, '../../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const BUNDLE: string | undefined = inject('cliBundle');

/**
 * A script of this folder (NAME.ts) as a command line: bundled from source for this test run by
 * test/support/cli-bundle.ts and run with plain node, or through tsx without that bundle.
 */
function script(name: string): [string, ...string[]] {
  return BUNDLE
    ? [process.execPath, join(BUNDLE, `${name}.js`)]
    : [TSX, join(import.meta.dirname, `${name}.ts`)];
}

/**
 * A process that has exited: its pid and its start tick (`/proc/<pid>/stat` field 22). The pid
 * alone is not enough on a busy machine (pid_max is often 32768 and every thread takes one): it
 * may already belong to another process, which the lock rightly takes for a live holder.
 */
function deadProcess(): { pid: number; procStart?: string } {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `const s = require('node:fs').readFileSync('/proc/self/stat', 'utf8');
       const start = s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
       process.stdout.write(JSON.stringify({ pid: process.pid, procStart: start }));`,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(r.stdout) as { pid: number; procStart?: string };
}

/** The lock a scan that died an hour ago left: its full record, touched an hour ago. */
function plantStaleLock(stateDir: string, dead: { pid: number; procStart?: string }): void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, LOCK_FILE);
  const record = { ...dead, host: hostname(), startedAt: new Date(Date.now() - 3600_000).toISOString() };
  writeFileSync(file, `${JSON.stringify({ ...record, token: `dead-${dead.pid}` })}\n`);
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
    writeFileSync(file, `${deadProcess().pid}\n`); // an older lock (pid only), touched just now: within the lease
    await expect(lockStateFolder(state, { leaseMs: 60_000, waitMs: 0 })).rejects.toThrow(/within its lease/);
    const lock = await lockStateFolder(state, { leaseMs: 300 });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it("50 rounds of three processes racing for a dead process's lock: exactly one wins each round", async () => {
    const dir = temp();
    const rounds = 50;
    const contenders = 3;
    const dead = deadProcess();
    for (let r = 0; r < rounds; r++) plantStaleLock(join(dir, `state-${r}`), dead);
    const [command, ...args] = script('lock-contender');
    const children = Array.from({ length: contenders }, (_, i) =>
      spawn(command, [...args, dir, String(i), String(rounds)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      }),
    );
    const exited = children.map((c) => new Promise((done) => c.on('exit', done)));
    const results: ContenderResult[][] = [];
    for (let r = 0; r < rounds; r++) {
      writeFileSync(join(dir, `go-${r}`), '');
      const files = Array.from({ length: contenders }, (_, i) => join(dir, `res-${r}-${i}`));
      while (!files.every((f) => existsSync(f))) await sleep(5);
      results.push(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as ContenderResult));
    }
    writeFileSync(join(dir, 'end'), '');
    await Promise.all(exited);
    // Every round that did not end with one winner, with each contender's outcome, message and time:
    // two winners is a race in the takeover (safety); none is contenders giving up (liveness).
    const describeRound = (r: number) =>
      `round ${r}: ${results[r]!.filter((c) => c.outcome === 'won').length} winners: ${results[r]!.map(
        (c, i) => `#${i} (pid ${c.pid}) ${c.outcome} after ${c.ms} ms${c.message ? `: ${c.message}` : ''}`,
      ).join('; ')}`;
    const winners = results.map((round) => round.filter((c) => c.outcome === 'won').length);
    const raced = winners.flatMap((n, r) => (n > 1 ? [describeRound(r)] : []));
    const nobody = winners.flatMap((n, r) => (n === 0 ? [describeRound(r)] : []));
    expect(raced, 'two processes held the lock at once').toEqual([]);
    expect(nobody, "no contender took the dead process's lock").toEqual([]);
    expect(winners).toEqual(Array(rounds).fill(1));
  });

  it('a process stalled while creating its lock (past the lease) does not lose it to a rival: one winner', async () => {
    const state = join(temp(), 'state');
    const marker = join(state, '..', 'creating');
    const leaseMs = 100;
    const stallMs = 1500;
    const [command, ...args] = script('lock-stalled-creator');
    // The stalled creator: blocks itself inside lockStateFolder once its record is written.
    const creator = spawn(command, [...args, state, marker, String(stallMs), String(leaseMs)], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let creatorSays = '';
    creator.stdout.setEncoding('utf8').on('data', (d: string) => {
      creatorSays += d;
    });
    const creatorDone = new Promise((done) => creator.on('exit', done));
    while (!existsSync(marker)) await sleep(5);
    // The rival, meanwhile: waits (up to twice the stall) for whatever it finds to go stale.
    let rival = 'won';
    let rivalLock: { release(): void } | undefined;
    try {
      rivalLock = await lockStateFolder(state, { leaseMs, waitMs: stallMs * 2 });
    } catch (err) {
      rival = `lost: ${(err as Error).message}`;
    }
    await creatorDone;
    rivalLock?.release();
    const outcomes = { creator: creatorSays, rival };
    expect(
      [creatorSays, rival].filter((o) => o === 'won'),
      JSON.stringify(outcomes),
    ).toEqual(['won']);
    // The rival took the free folder; the creator, once awake, found a live holder.
    expect(outcomes).toEqual({
      creator: expect.stringMatching(/^lost: .*another scan \(process \d+/),
      rival: 'won',
    });
  });
});
