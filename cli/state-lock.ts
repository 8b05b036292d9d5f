/**
 * One scan at a time per state folder. With the lock held, a reservation left in the findings
 * store can only belong to a run that died, so the next scan may settle it at once.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors';

export interface StateLock {
  release(): void;
}

export function lockStateFolder(stateDir: string): StateLock {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, 'scan.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => rmSync(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new InputError(`another scan (process ${pid}) is using this state folder`, { file });
      }
      rmSync(file, { force: true }); // left by a scan that died
    }
  }
  throw new InputError('cannot take the scan lock', { file });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
