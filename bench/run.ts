/**
 * `npm run bench [-- --quick | --size 10x [--shards N] | --people N --nhi N --grants N --risks N --seed N]`
 *
 * `--size 10x` is ten times the enterprise (1M people, 500k NHIs, 20M grants over 40 AWS accounts)
 * scanned with `--shards` (default: the count plan-shards chooses for a 2 GB budget, at least 2).
 *
 * Generates a synthetic enterprise, runs the real `scan` pipeline on it in-process (the same
 * `runLocalScan` as `accessproof scan`), verifies the pack it sealed, runs the DuckDB SoD baseline
 * on the same data and checks both found the same conflicts, measures the Lambda bundles, then
 * prints a table per stage and ONE JSON line last.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { type PipelineStage, runLocalScan } from '../cli/scan-pipeline';
import { silentLogger } from '../core/connector';
import type { Inventory } from '../core/inventory';
import { chooseShardCount, TEN_X_RECONCILE_HEAP_MB } from '../core/run/shard-plan';
import { evaluateSod } from '../core/sod';
import { bundleSizes } from './bundle-sizes';
import { crossCheckSod } from './cross-check';
import { duckdbSod } from './duckdb-sod';
import { type EnterpriseSize, FULL, QUICK, TEN_X } from './generate';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    people: { type: 'string' },
    nhi: { type: 'string' },
    grants: { type: 'string' },
    risks: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    // Scan the tenant a previous `--keep` run generated at the same size (A/B of the scan alone).
    reuse: { type: 'boolean', default: false },
    size: { type: 'string' },
    shards: { type: 'string' },
  },
});
if (values.size !== undefined && values.size !== '1x' && values.size !== '10x')
  throw new Error(`--size is 1x or 10x, not ${values.size}`);
const tenX = values.size === '10x';
const base = tenX ? TEN_X : values.quick ? QUICK : FULL;
const size: EnterpriseSize = {
  people: num(values.people, base.people),
  nhi: num(values.nhi, base.nhi),
  grants: num(values.grants, base.grants),
  risks: num(values.risks, base.risks),
  seed: num(values.seed, base.seed),
  ...(base.awsAccounts ? { awsAccounts: base.awsAccounts } : {}),
};
// At 10x, reconcile and seal hold every finding of the run (~1.1M) in this process at once (the
// lifecycle diff and the pack need them all): V8's default heap here (~4 GB) is too small for that,
// so the bench runs itself again with the heap sized for it, as the reconcile Lambda's memory is
// (infra/lib/shard-fit.ts). The shards are child processes with their own, budget-sized heaps.
if (tenX && !process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) {
  const again = spawnSync(
    process.execPath,
    [...process.execArgv, `--max-old-space-size=${TEN_X_RECONCILE_HEAP_MB}`, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(again.status ?? 1);
}
const root = resolve(
  'bench',
  'out',
  `${size.people}-${size.nhi}-${size.grants}-${size.risks}-${size.seed}${size.awsAccounts ? `-${size.awsAccounts}` : ''}`,
);
const generatedFile = join(root, 'generated.json');
let generated: { config: string; seconds: number };
if (values.reuse && existsSync(generatedFile)) {
  generated = JSON.parse(readFileSync(generatedFile, 'utf8')) as typeof generated;
  rmSync(join(root, 'out'), { recursive: true, force: true });
} else {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  // The generator runs in its own process so its memory never counts against the scan's peak RSS.
  const gen = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve('bench', 'generate-cli.ts'), JSON.stringify(size), join(root, 'tenant')],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (gen.status !== 0) throw new Error(`generator failed (${gen.status})`);
  generated = JSON.parse(gen.stdout.trim().split('\n').at(-1)!) as typeof generated;
  writeFileSync(generatedFile, JSON.stringify(generated));
}
console.log(
  `generated ${size.people} people, ${size.nhi} NHIs, ~${size.grants} grants, ${size.risks} risks in ${generated.seconds.toFixed(1)} s`,
);

// --- the real pipeline, stage by stage
interface StageRow {
  stage: string;
  seconds: number;
  /** CPU seconds of this process (user + system, every thread) during the stage. */
  cpuSeconds: number;
  records: number;
  rssMb: number;
}
const rows: StageRow[] = [];
let mark = performance.now();
let cpuMark = process.cpuUsage();
let peakSinceMark = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakSinceMark = Math.max(peakSinceMark, process.memoryUsage.rss());
}, 25);
const stage = (name: PipelineStage | string, records: number) => {
  const now = performance.now();
  peakSinceMark = Math.max(peakSinceMark, process.memoryUsage.rss());
  const cpu = process.cpuUsage(cpuMark);
  rows.push({
    stage: name,
    seconds: (now - mark) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    records,
    rssMb: peakSinceMark / 2 ** 20,
  });
  mark = now;
  cpuMark = process.cpuUsage();
  peakSinceMark = process.memoryUsage.rss();
};

// Shards: as asked, else (10x) what plan-shards would choose for the default 2 GB budget, at least 2.
const shards = values.shards
  ? num(values.shards, 1)
  : tenX
    ? Math.max(
        2,
        chooseShardCount({
          principals: size.people + size.nhi,
          entitlements: Math.round(size.people / 20) + 2_000,
          grants: size.grants,
          people: size.people,
        }),
      )
    : 1;
let shardReport:
  | {
      maxShardRssMb: number;
      maxShardSeconds: number;
      maxShardCpuSeconds: number;
      totalShardCpuSeconds: number;
      attempts: number[];
      count: number;
    }
  | undefined;

let inventory: Inventory | undefined;
const loaded = loadConfig(generated.config);
const paths = localPaths(join(root, 'out'), undefined);
const loadBefore = os.loadavg()[0]!.toFixed(1);
const loadAtStart = os.loadavg();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
mark = t0;
cpuMark = cpu0;
const result = await runLocalScan({
  loaded,
  paths,
  asOf: new Date('2026-10-01T00:00:00Z'),
  logger: silentLogger,
  hooks: {
    stage: (s, n, source) => stage(source ? `${s} ${source}` : s, n),
    inventory: (inv) => {
      inventory = inv;
    },
  },
  ...(shards > 1
    ? {
        shards,
        onShards: (r: {
          maxShardRssMb: number;
          maxShardSeconds: number;
          maxShardCpuSeconds: number;
          totalShardCpuSeconds: number;
          attempts: number[];
          count: number;
        }) => {
          shardReport = r;
        },
      }
    : {}),
});
const scanSeconds = (performance.now() - t0) / 1000;
const scanCpu = process.cpuUsage(cpu0);
const scanCpuSeconds = (scanCpu.user + scanCpu.system) / 1e6;
clearInterval(sampler);
const peakRssMb = process.resourceUsage().maxRSS / 1024;

// The 10x figures the synth-time Lambda fit check reads, written as soon as the scan is done (verify
// and the bundles take long at 10x) (infra/lib/shard-fit.ts): the largest shard's
// peak RSS, wall and CPU time, and this process's peak RSS, wall and CPU time in plan-shards and in
// reconcile (an upper bound for those steps: the process also holds what collect left behind). The
// fit check reads the CPU seconds: on a shared machine at nice 19 wall time measures the others'
// load; a Lambda has its vCPUs to itself.
// Only the full 10x size writes them: a reduced run (`--people …`) prints its figures instead.
const fullTenX =
  tenX && (['people', 'nhi', 'grants', 'risks', 'seed'] as const).every((k) => size[k] === TEN_X[k]);
if (tenX && shardReport) {
  const row = (name: string) => rows.find((r) => r.stage === name);
  const figures = {
    shards,
    maxShardRssMb: Math.round(shardReport.maxShardRssMb),
    shardSeconds: round(shardReport.maxShardSeconds),
    shardCpuSeconds: round(shardReport.maxShardCpuSeconds),
    allShardsCpuSeconds: round(shardReport.totalShardCpuSeconds),
    planShardsRssMb: Math.round(row('plan-shards')?.rssMb ?? peakRssMb),
    planShardsSeconds: round(row('plan-shards')?.seconds ?? 0),
    planShardsCpuSeconds: round(row('plan-shards')?.cpuSeconds ?? 0),
    reconcileRssMb: Math.round(row('reconcile')?.rssMb ?? peakRssMb),
    reconcileSeconds: round(row('reconcile')?.seconds ?? 0),
    reconcileCpuSeconds: round(row('reconcile')?.cpuSeconds ?? 0),
    sealRssMb: Math.round(row('seal')?.rssMb ?? peakRssMb),
    sealCpuSeconds: round(row('seal')?.cpuSeconds ?? 0),
    findings: result.summary.findings,
    scanSeconds: round(scanSeconds),
    scanCpuSeconds: round(scanCpuSeconds + shardReport.totalShardCpuSeconds),
    measuredAt: new Date().toISOString(),
    loadAverage: {
      start: loadAtStart.map((x) => Math.round(x * 10) / 10),
      end: os.loadavg().map((x) => Math.round(x * 10) / 10),
    },
    command: `npm run bench -- --size 10x${values.shards ? ` --shards ${values.shards}` : ''}`,
  };
  if (fullTenX) {
    mkdirSync(resolve('bench', 'results'), { recursive: true });
    writeFileSync(
      resolve('bench', 'results', 'shard-figures-10x.json'),
      // Number lists on one line, as the repository's formatter (Biome) writes them.
      `${JSON.stringify(figures, null, 2).replace(/\[\s+([-\d.,\s]+?)\s+\]/g, (_, list: string) => `[${list.split(/,\s*/).join(', ')}]`)}\n`,
    );
    console.log(`wrote bench/results/shard-figures-10x.json: ${JSON.stringify(figures)}`);
  } else console.log(`shard figures (reduced size, not written): ${JSON.stringify(figures)}`);
}
// --- verify the sealed pack, in a process of its own as an auditor would
// Best of three, like the SoD figures: one 0.1-second run is at the mercy of the scheduler.
const verifyRuns: number[] = [];
const verifyCpuRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  const verified = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve('bench', 'verify-child.ts'), paths.evidence],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const verifyResult = JSON.parse(verified.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ok?: boolean;
    seconds: number;
    cpuSeconds: number;
    problem?: string;
  };
  if (!verifyResult.ok)
    throw new Error(`verify failed on the bench pack: ${verifyResult.problem ?? verified.status}`);
  verifyRuns.push(verifyResult.seconds);
  verifyCpuRuns.push(verifyResult.cpuSeconds);
}
const verifySeconds = Math.min(...verifyRuns);
const verifyCpuSeconds = Math.min(...verifyCpuRuns);

// --- DuckDB baseline on the same inventory and compiled ruleset, and the cross-check. A sharded
// scan's inventory lives in its shard processes: the baseline runs on the single scan only.
const sod = shards > 1 ? undefined : await sodAgainstDuckdb();
async function sodAgainstDuckdb() {
  if (!inventory) throw new Error('the pipeline did not hand over its inventory');
  const { loadRulesets } = await import('../cli/scan-pipeline');
  const { compiled } = await loadRulesets(loaded.rulesetFiles);
  if (!compiled) throw new Error('bench config has no ruleset');
  const { ours, duck, missing, extra, evidenceDiffers } = await crossCheckSod(
    result.plan.runId,
    result.scan.findings,
    inventory,
    compiled,
  );
  if (missing.length || extra.length || evidenceDiffers.length) {
    console.error(
      `SoD mismatch: DuckDB found ${missing.length} conflicts we did not, we found ${extra.length} it did not, ${evidenceDiffers.length} differ in their proving grants`,
    );
    console.error(missing.slice(0, 5), extra.slice(0, 5), evidenceDiffers.slice(0, 5));
    process.exit(1);
  }

  // Best of three for both sides: three runs of the whole `evaluateSod` (conflict planning and
  // the drafts with their proving grants) on the same inventory, against three DuckDB runs (load
  // and query). The scan's own `sod` row is not one of them: the scan plans the conflicts before
  // its rules (the findings limit counts them), so that row holds the drafts only. One run of
  // either is at the mercy of a garbage collection or another process; the best of three is what
  // each can do.
  const sodRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    evaluateSod(inventory, compiled);
    sodRuns.push((performance.now() - t) / 1000);
  }
  const duckRuns = [duck.seconds];
  for (let i = 0; i < 2; i++) duckRuns.push((await duckdbSod(inventory, compiled)).seconds);
  const sodSeconds = Math.min(...sodRuns);
  const duckSeconds = Math.min(...duckRuns);

  return { ours, sodRuns, duckRuns, sodSeconds, duckSeconds, risks: compiled.risks.length };
}
const bundles = await bundleSizes();
const packBytes = result.sealed.bytes;
const counts = result.sources.reduce(
  (a, s) => ({ principals: a.principals + s.counts.principals, grants: a.grants + s.counts.grants }),
  { principals: 0, grants: 0 },
);

// --- physical floors on this machine (docs/benchmarks.md): JSON.parse of snapshot-like lines, and
// SHA-256 (node's, which is OpenSSL's; `openssl speed` too when installed).
const floors = measureFloors();

// --- report
const collectSeconds = rows.filter((r) => r.stage.startsWith('collect')).reduce((n, r) => n + r.seconds, 0);
const reconcileRow = rows.find((r) => r.stage === 'reconcile');
/** Seconds the stage would take at the machine's floor rate, when one applies. */
const floorOf = (r: StageRow): number | undefined => {
  if (r.stage === 'parse') return r.records / floors.jsonParseLinesPerSec;
  if (r.stage === 'seal') return packBytes / 2 ** 20 / floors.sha256MBps;
  return undefined;
};
console.log('');
// Wall seconds measure the machine as much as the code when others share it: the CPU seconds of
// this process (every thread) beside them are what the code spent, and the floors compare with those.
console.log(
  'stage                         seconds   cpu s  share   records    records/s   floor s  x floor   peak RSS MB',
);
for (const r of rows) {
  const rate = r.cpuSeconds > 0 ? Math.round(r.records / r.cpuSeconds) : 0;
  const floor = floorOf(r);
  console.log(
    `${r.stage.padEnd(28)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpuSeconds.toFixed(2).padStart(7)} ${`${((100 * r.cpuSeconds) / scanCpuSeconds).toFixed(0)}%`.padStart(6)} ${String(r.records).padStart(9)} ${String(rate).padStart(12)} ${(floor === undefined ? '' : floor.toFixed(2)).padStart(9)} ${(floor === undefined ? '' : (r.cpuSeconds / floor).toFixed(1)).padStart(8)} ${r.rssMb.toFixed(0).padStart(13)}`,
  );
}
console.log(
  `${'scan total'.padEnd(28)} ${scanSeconds.toFixed(2).padStart(8)} ${scanCpuSeconds.toFixed(2).padStart(7)}   100%   (load average ${loadBefore} before, ${os.loadavg()[0]!.toFixed(1)} after)`,
);
console.log(
  `floors here: JSON.parse ${Math.round(floors.jsonParseLinesPerSec)} lines/s (one core); SHA-256 ${floors.sha256MBps.toFixed(0)} MB/s (node)${floors.opensslMBps ? `, ${floors.opensslMBps.toFixed(0)} MB/s (openssl speed sha256, 16 KiB blocks)` : ''}`,
);
if (shardReport)
  console.log(
    `shards: ${shardReport.count}, largest peak RSS ${shardReport.maxShardRssMb.toFixed(0)} MB, attempts [${shardReport.attempts.join(', ')}]`,
  );
console.log('');
console.log(
  `verify (best of 3): ${(packBytes / 2 ** 20).toFixed(1)} MB in ${verifySeconds.toFixed(2)} s = ${(packBytes / 2 ** 20 / verifySeconds).toFixed(0)} MB/s [${verifyRuns.map((x) => x.toFixed(2)).join(', ')} s]; CPU ${verifyCpuSeconds.toFixed(2)} s = ${(packBytes / 2 ** 20 / verifyCpuSeconds).toFixed(0)} MB/s of CPU`,
);
if (sod)
  console.log(
    `SoD (best of 3): ours ${sod.sodSeconds.toFixed(2)} s [${sod.sodRuns.map((x) => x.toFixed(2)).join(', ')}], DuckDB ${sod.duckSeconds.toFixed(2)} s [${sod.duckRuns.map((x) => x.toFixed(2)).join(', ')}]; same ${sod.ours.size} conflicts with the same proving grants`,
  );
else console.log('SoD: inside the shards (the DuckDB baseline runs on the single scan only)');
console.log('Lambda bundles (esbuild, minified):');
for (const b of bundles)
  console.log(
    `  ${b.name.padEnd(10)} ${b.bytes === undefined ? `not built: ${b.error}` : `${(b.bytes / 1024).toFixed(0)} KB`}`,
  );
console.log('');
console.log(
  JSON.stringify({
    size: tenX ? '10x' : '1x',
    people: size.people,
    nhi: size.nhi,
    grants: counts.grants,
    principals: counts.principals,
    risks: sod ? sod.risks : size.risks,
    findings: result.summary.findings,
    sodConflicts: sod ? sod.ours.size : null,
    scanSeconds: round(scanSeconds),
    scanCpuSeconds: round(scanCpuSeconds),
    collectSeconds: round(collectSeconds),
    sodSeconds: sod ? round(sod.sodSeconds) : null,
    peakRssMb: Math.round(peakRssMb),
    shards,
    maxShardRssMb: shardReport ? Math.round(shardReport.maxShardRssMb) : null,
    reconcileSeconds: reconcileRow ? round(reconcileRow.seconds) : null,
    packBytes,
    verifySeconds: round(verifySeconds),
    verifyMBps: Math.round(packBytes / 2 ** 20 / verifySeconds),
    verifyCpuSeconds: round(verifyCpuSeconds),
    duckdbSodSeconds: sod ? round(sod.duckSeconds) : null,
    sodRatio: sod ? round(sod.sodSeconds / sod.duckSeconds) : null,
    jsonParseLinesPerSec: Math.round(floors.jsonParseLinesPerSec),
    sha256MBps: Math.round(floors.sha256MBps),
    bundleBytes: Object.fromEntries(bundles.map((b) => [b.name, b.bytes ?? null])),
    loadAverage: [Number(loadBefore), Number(os.loadavg()[0]!.toFixed(1))],
  }),
);
if (!values.keep) rmSync(root, { recursive: true, force: true });

function num(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${v}`);
  return n;
}

/** CPU seconds of this process so far (the floors are single-threaded: CPU time is their time). */
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** JSON.parse lines/s on snapshot-like grant and principal lines; SHA-256 MB/s (node, openssl). */
function measureFloors(): { jsonParseLinesPerSec: number; sha256MBps: number; opensslMBps?: number } {
  const lines: string[] = [];
  for (let i = 0; i < 300_000; i++) {
    lines.push(
      i % 15 === 0
        ? JSON.stringify({
            principal: {
              uid: `erp:erp:U${i}`,
              system: 'erp',
              tenant: 'erp',
              sourceId: 'erp',
              nativeId: `U${i}`,
              name: `Person ${i}, AP`,
              kind: 'human',
              type: 'user',
              status: 'active',
              owners: [],
              credentials: [],
              tags: {},
              kindReason: 'user_type:human',
              email: `person${i}@bench.example`,
              lastActivity: { at: '2026-09-20T11:00:00Z', source: 'last_login_at' },
            },
          })
        : JSON.stringify({
            grant: {
              principal: `erp:erp:U${i >> 4}`,
              entitlement: `erp:erp:R${i % 5000}`,
              path: [],
              grantedAt: '2024-01-05T00:00:00Z',
            },
          }),
    );
  }
  let best = 0;
  for (let k = 0; k < 3; k++) {
    const t = cpuNow();
    let sink = 0;
    for (const l of lines) sink += (JSON.parse(l) as object) ? 1 : 0;
    best = Math.max(best, sink / (cpuNow() - t));
  }
  const buf = Buffer.alloc(128 * 2 ** 20, 7);
  let sha = 0;
  for (let k = 0; k < 3; k++) {
    const t = cpuNow();
    createHash('sha256').update(buf).digest();
    sha = Math.max(sha, 128 / (cpuNow() - t));
  }
  const out: { jsonParseLinesPerSec: number; sha256MBps: number; opensslMBps?: number } = {
    jsonParseLinesPerSec: best,
    sha256MBps: sha,
  };
  const speed = spawnSync('openssl', ['speed', '-seconds', '1', '-bytes', '16384', 'sha256'], {
    encoding: 'utf8',
  });
  // Last line: "sha256  <n>k" (thousands of bytes per second).
  const m = /^sha256\s+([\d.]+)k\s*$/m.exec(speed.stdout ?? '');
  if (m) out.opensslMBps = (Number(m[1]) * 1000) / 2 ** 20;
  return out;
}
