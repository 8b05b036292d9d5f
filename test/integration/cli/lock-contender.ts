/**
 * One of several processes racing for the scan lock, round after round. Round r starts when
 * `<dir>/go-<r>` appears; the process then tries to lock `<dir>/state-<r>` (where a dead
 * process's lock waits) and writes `<dir>/res-<r>-<id>`: a JSON {@link ContenderResult}. Locks
 * won are held until the end, so a second winner in a round can only come from a race.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockStateFolder, type StateLock } from '../../../cli/state-lock';

export interface ContenderResult {
  outcome: 'won' | 'lost';
  /** Why it lost: the lock's own message (another holder, a lease not yet passed, a busy takeover). */
  message?: string;
  /** Milliseconds from seeing `go-<r>` to the outcome: a loser that waited out its deadline shows here. */
  ms: number;
  pid: number;
}

const [dir, id, rounds] = process.argv.slice(2) as [string, string, string];
const held: StateLock[] = [];
for (let r = 0; r < Number(rounds); r++) {
  while (!existsSync(join(dir, `go-${r}`))) await sleep(2);
  const started = Date.now();
  let result: Omit<ContenderResult, 'ms' | 'pid'>;
  try {
    held.push(await lockStateFolder(join(dir, `state-${r}`)));
    result = { outcome: 'won' };
  } catch (err) {
    result = { outcome: 'lost', message: (err as Error).message };
  }
  const line: ContenderResult = { ...result, ms: Date.now() - started, pid: process.pid };
  // Written whole under a temporary name, then renamed: the parent never reads half a result.
  writeFileSync(join(dir, `tmp-${r}-${id}`), JSON.stringify(line));
  renameSync(join(dir, `tmp-${r}-${id}`), join(dir, `res-${r}-${id}`));
}
while (!existsSync(join(dir, 'end'))) await sleep(5);
for (const lock of held) lock.release();
