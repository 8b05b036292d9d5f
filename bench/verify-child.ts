/**
 * Child process of `bench/run.ts`: verify the evidence folder the way an auditor's
 * `accessproof verify` would, in a process of its own, and print `{ok, seconds, bytes}`.
 */
import { verifyChain } from '../core/evidence/verify';
import { LocalPackReader } from '../stores/local-vault/local-pack-reader';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('usage: verify-child.ts <evidence dir>');
const t = performance.now();
const cpu = process.cpuUsage();
const report = await verifyChain(new LocalPackReader(dir));
const seconds = (performance.now() - t) / 1000;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    ok: report.ok,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    bytes: report.bytesChecked,
    problem: report.problems[0]?.message,
  }),
);
