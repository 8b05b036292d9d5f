/**
 * `npm run bench:conflicts [-- --users N]`: the conflict-heavy tenant of issue 11. The demo tenant
 * with its ERP replaced by N users (default 10,000) who each hold every one of the demo's ERP roles,
 * so the demo's SoD rules raise about 20 conflicts per user (about 200k at the default). Scans it
 * with the real pipeline (`runLocalScan`, as `accessproof scan` does), verifies nothing about the
 * figures itself and prints one JSON line: seconds, findings, peak RSS. The target is under 60 s
 * and under 2 GB (docs/benchmarks.md).
 *
 * The test at a smaller size is test/integration/bench/conflict-tenant.test.ts.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { runLocalScan } from '../cli/scan-pipeline';
import { silentLogger } from '../core/connector';

const ROOT = resolve(import.meta.dirname, '..');

/** Write the tenant under `dir`; returns its config path. */
export function writeConflictTenant(dir: string, users: number): string {
  cpSync(join(ROOT, 'examples', 'demo'), join(dir, 'examples', 'demo'), { recursive: true });
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  const erp = join(dir, 'examples', 'demo', 'erp');
  const roles = readFileSync(join(erp, 'roles.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',')[0]!);
  const userLines = ['user_id,user_name,email,user_type,status,last_login_at,owner_email,created_at'];
  const grantLines = ['user_id,role_id,granted_at'];
  for (let i = 0; i < users; i++) {
    const id = `C${String(i).padStart(7, '0')}`;
    userLines.push(
      `${id},User ${i},user${i}@conflicts.example,human,active,2026-09-20T10:00:00Z,,2020-01-01`,
    );
    for (const role of roles) grantLines.push(`${id},${role},2020-01-01`);
  }
  writeFileSync(join(erp, 'users.csv'), `${userLines.join('\n')}\n`);
  writeFileSync(join(erp, 'assignments.csv'), `${grantLines.join('\n')}\n`);
  return join(dir, 'examples', 'demo', 'accessproof.yaml');
}

export async function scanConflictTenant(
  users: number,
  trace = false,
): Promise<{
  seconds: number;
  stagesMs: Record<string, number>;
  stagesCpuMs: Record<string, number>;
  cpuSeconds: number;
  findings: number;
  open: number;
  peakRssMb: number;
  loadAverage: [number, number];
}> {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-conflicts-'));
  try {
    const config = writeConflictTenant(dir, users);
    const loadBefore = loadavg();
    const started = performance.now();
    const stages: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    let last = started;
    let lastCpu = process.cpuUsage();
    const result = await runLocalScan({
      hooks: {
        stage: (stage, _records, source) => {
          const t = performance.now();
          // `--trace`: each stage as it ends, to find where a large tenant runs out of memory.
          if (trace) {
            const heap = process.memoryUsage();
            console.error(
              `${new Date().toISOString()} ${stage}${source ? ` ${source}` : ''} done: ${Math.round(t - started)} ms, rss ${Math.round(heap.rss / 2 ** 20)} MB, heap ${Math.round(heap.heapUsed / 2 ** 20)} MB`,
            );
          }
          stages[stage] = Math.round((stages[stage] ?? 0) + t - last);
          const c = process.cpuUsage(lastCpu);
          cpu[stage] = Math.round((cpu[stage] ?? 0) + (c.user + c.system) / 1000);
          lastCpu = process.cpuUsage();
          last = t;
        },
      },
      loaded: loadConfig(config),
      paths: localPaths(join(dir, 'out'), undefined),
      asOf: new Date('2026-10-01T00:00:00Z'),
      logger: silentLogger,
    });
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      stagesMs: stages,
      // CPU time per stage: on a busy machine, wall time says little and CPU time still does.
      stagesCpuMs: cpu,
      cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
      findings: result.summary.findings,
      open: result.summary.open,
      // The kernel's high-water mark (getrusage ru_maxrss, KiB): exact, where sampling every 50 ms
      // missed short peaks and cost CPU of its own.
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      // Other work on the machine (it is shared): 1-minute load average before and after.
      loadAverage: [round1(loadBefore[0]), round1(loadavg()[0])],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function round1(n: number | undefined): number {
  return Math.round((n ?? 0) * 10) / 10;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: { users: { type: 'string', default: '10000' }, trace: { type: 'boolean', default: false } },
  });
  const users = Number(values.users);
  const r = await scanConflictTenant(users, values.trace);
  console.log(JSON.stringify({ bench: 'conflicts', users, ...r }));
}
