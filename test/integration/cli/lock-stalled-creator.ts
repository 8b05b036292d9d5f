/**
 * A process that stalls while creating the scan lock (as a loaded machine may deschedule it):
 * `lockStateFolder(<state>)` with a `whileCreating` hook that writes `<marker>` and then blocks the
 * whole process for `<stallMs>`. Prints `won` or `lost: <message>` and exits, leaving a won lock.
 */
import { writeFileSync } from 'node:fs';
import { lockStateFolder } from '../../../cli/state-lock';

const [state, marker, stallMs, leaseMs] = process.argv.slice(2) as [string, string, string, string];
try {
  await lockStateFolder(state, {
    leaseMs: Number(leaseMs),
    whileCreating: () => {
      writeFileSync(marker, '');
      // Blocks this process outright: no timer or I/O callback of the lock runs meanwhile.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(stallMs));
    },
  });
  process.stdout.write('won');
} catch (err) {
  process.stdout.write(`lost: ${(err as Error).message}`);
}
