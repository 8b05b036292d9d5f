/**
 * `npm run bench [-- --quick | --people N --nhi N --grants N --risks N --seed N]`
 *
 * Generates a synthetic enterprise, runs the real `scan` pipeline on it in-process (the same
 * `runLocalScan` as `accessproof scan`), verifies the pack it sealed, runs the DuckDB SoD baseline
 * on the same data and checks both found the same conflicts, measures the Lambda bundles, then
 * prints a table per stage and ONE JSON line last.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { type PipelineStage, runLocalScan } from '../cli/scan-pipeline';
import { silentLogger } from '../core/connector';
import type { Inventory } from '../core/inventory';
import { evaluateSod } from '../core/sod';
import { bundleSizes } from './bundle-sizes';
import { crossCheckSod } from './cross-check';
import { duckdbSod } from './duckdb-sod';
import { type EnterpriseSize, FULL, QUICK } from './generate';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    people: { type: 'string' },
    nhi: { type: 'string' },
    grants: { type: 'string' },
    risks: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const base = values.quick ? QUICK : FULL;
const size: EnterpriseSize = {
  people: num(values.people, base.people),
  nhi: num(values.nhi, base.nhi),
  grants: num(values.grants, base.grants),
  risks: num(values.risks, base.risks),
  seed: num(values.seed, base.seed),
};
const root = resolve('bench', 'out', `${size.people}-${size.nhi}-${size.grants}-${size.risks}-${size.seed}`);
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });

// The generator runs in its own process so its memory never counts against the scan's peak RSS.
const gen = spawnSync(
  process.execPath,
  ['--import', 'tsx', resolve('bench', 'generate-cli.ts'), JSON.stringify(size), join(root, 'tenant')],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
if (gen.status !== 0) throw new Error(`generator failed (${gen.status})`);
const generated = JSON.parse(gen.stdout.trim().split('\n').at(-1)!) as { config: string; seconds: number };
console.log(
  `generated ${size.people} people, ${size.nhi} NHIs, ~${size.grants} grants, ${size.risks} risks in ${generated.seconds.toFixed(1)} s`,
);

// --- the real pipeline, stage by stage
interface StageRow {
  stage: string;
  seconds: number;
  records: number;
  rssMb: number;
}
const rows: StageRow[] = [];
let mark = performance.now();
let peakSinceMark = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakSinceMark = Math.max(peakSinceMark, process.memoryUsage.rss());
}, 25);
const stage = (name: PipelineStage | string, records: number) => {
  const now = performance.now();
  peakSinceMark = Math.max(peakSinceMark, process.memoryUsage.rss());
  rows.push({ stage: name, seconds: (now - mark) / 1000, records, rssMb: peakSinceMark / 2 ** 20 });
  mark = now;
  peakSinceMark = process.memoryUsage.rss();
};

let inventory: Inventory | undefined;
const loaded = loadConfig(generated.config);
const paths = localPaths(join(root, 'out'), undefined);
const t0 = performance.now();
mark = t0;
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
});
const scanSeconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
const peakRssMb = process.resourceUsage().maxRSS / 1024;

// --- verify the sealed pack, in a process of its own as an auditor would
// Best of three, like the SoD figures: one 0.1-second run is at the mercy of the scheduler.
const verifyRuns: number[] = [];
for (let i = 0; i < 3; i++) {
  const verified = spawnSync(
    process.execPath,
    ['--import', 'tsx', resolve('bench', 'verify-child.ts'), paths.evidence],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const verifyResult = JSON.parse(verified.stdout.trim().split('\n').at(-1) ?? '{}') as {
    ok?: boolean;
    seconds: number;
    problem?: string;
  };
  if (!verifyResult.ok)
    throw new Error(`verify failed on the bench pack: ${verifyResult.problem ?? verified.status}`);
  verifyRuns.push(verifyResult.seconds);
}
const verifySeconds = Math.min(...verifyRuns);

// --- DuckDB baseline on the same inventory and compiled ruleset, and the cross-check
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

// Best of three for both sides: the scan's own SoD stage plus two more runs of the same
// `evaluateSod` on the same inventory, against three DuckDB runs. One run of either is at the
// mercy of a garbage collection or another process; the best of three is what each can do.
const sodRuns = [rows.find((r) => r.stage === 'sod')?.seconds ?? Number.NaN];
for (let i = 0; i < 2; i++) {
  const t = performance.now();
  evaluateSod(inventory, compiled);
  sodRuns.push((performance.now() - t) / 1000);
}
const duckRuns = [duck.seconds];
for (let i = 0; i < 2; i++) duckRuns.push((await duckdbSod(inventory, compiled)).seconds);
const sodSeconds = Math.min(...sodRuns);
const duckSeconds = Math.min(...duckRuns);
const bundles = await bundleSizes();
const packBytes = result.sealed.bytes;
const counts = result.sources.reduce(
  (a, s) => ({ principals: a.principals + s.counts.principals, grants: a.grants + s.counts.grants }),
  { principals: 0, grants: 0 },
);

// --- report
console.log('');
console.log('stage                         seconds   records    records/s   peak RSS MB');
for (const r of rows) {
  const rate = r.seconds > 0 ? Math.round(r.records / r.seconds) : 0;
  console.log(
    `${r.stage.padEnd(28)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.records).padStart(9)} ${String(rate).padStart(12)} ${r.rssMb.toFixed(0).padStart(12)}`,
  );
}
console.log(`${'scan total'.padEnd(28)} ${scanSeconds.toFixed(2).padStart(8)}`);
console.log('');
console.log(
  `verify (best of 3): ${(packBytes / 2 ** 20).toFixed(1)} MB in ${verifySeconds.toFixed(2)} s = ${(packBytes / 2 ** 20 / verifySeconds).toFixed(0)} MB/s [${verifyRuns.map((x) => x.toFixed(2)).join(', ')} s]`,
);
console.log(
  `SoD (best of 3): ours ${sodSeconds.toFixed(2)} s [${sodRuns.map((x) => x.toFixed(2)).join(', ')}], DuckDB ${duckSeconds.toFixed(2)} s [${duckRuns.map((x) => x.toFixed(2)).join(', ')}]; same ${ours.size} conflicts with the same proving grants`,
);
console.log('Lambda bundles (esbuild, minified):');
for (const b of bundles)
  console.log(
    `  ${b.name.padEnd(10)} ${b.bytes === undefined ? `not built: ${b.error}` : `${(b.bytes / 1024).toFixed(0)} KB`}`,
  );
console.log('');
console.log(
  JSON.stringify({
    people: size.people,
    nhi: size.nhi,
    grants: counts.grants,
    principals: counts.principals,
    risks: compiled.risks.length,
    findings: result.summary.findings,
    sodConflicts: ours.size,
    scanSeconds: round(scanSeconds),
    sodSeconds: round(sodSeconds),
    peakRssMb: Math.round(peakRssMb),
    packBytes,
    verifySeconds: round(verifySeconds),
    verifyMBps: Math.round(packBytes / 2 ** 20 / verifySeconds),
    duckdbSodSeconds: round(duckSeconds),
    sodRatio: round(sodSeconds / duckSeconds),
    bundleBytes: Object.fromEntries(bundles.map((b) => [b.name, b.bytes ?? null])),
  }),
);
if (!values.keep) rmSync(root, { recursive: true, force: true });

function num(v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`not a positive integer: ${v}`);
  return n;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
