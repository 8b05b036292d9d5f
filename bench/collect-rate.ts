/**
 * `npx tsx bench/collect-rate.ts <config.yaml> [--reader-only] [--source ID] [--repeat N] [--out DIR]`
 *
 * The collect side of a scan alone, on a generated tenant (bench/generate-cli.ts writes one):
 * 1. CsvFileReader over every ERP source's assignments file, records dropped: rows/s of the reader
 *    (issue 18's target: >= 1.5M rows/s), best of `--repeat` (default 3);
 * 2. each source collected as `accessproof scan` does (collectStep into a LocalSnapshotStaging that
 *    keeps the records), with wall, CPU (this process, every thread) and peak RSS per source.
 * Cheaper than the whole bench for A/B work on the readers, page builders and the staging write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { connectorFor } from '../connectors/registry';
import { CsvFileReader } from '../connectors/shared/csv';
import { silentLogger } from '../core/connector';
import { collectStep } from '../core/run/collect';
import { LocalSnapshotStaging } from '../stores/local-staging/local-snapshot-staging';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'reader-only': { type: 'boolean', default: false },
    source: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    out: { type: 'string' },
  },
});
const configFile = positionals[0];
if (!configFile) throw new Error('usage: collect-rate.ts <config.yaml> [--reader-only] [--source ID]');
const { config } = loadConfig(configFile);
const repeat = Number(values.repeat);

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};

for (const source of config.sources) {
  if (repeat < 1 || source.system !== 'erp' || (values.source && source.id !== values.source)) continue;
  const file = source.files.assignments;
  const runs: { seconds: number; cpu: number; rows: number }[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const csv = await CsvFileReader.open(file, { encoding: source.encoding });
    let rows = 0;
    for (let b = await csv.read(5000); b.records.length > 0; b = await csv.read(5000))
      rows += b.records.length;
    await csv.close();
    runs.push({ seconds: (performance.now() - t) / 1000, cpu: cpuSeconds(cpu), rows });
  }
  const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  console.log(
    `CsvFileReader ${source.id} assignments: ${best.rows} rows, best of ${repeat} ${best.seconds.toFixed(2)} s = ${Math.round(best.rows / best.seconds)} rows/s (CPU ${best.cpu.toFixed(2)} s) [${runs.map((r) => r.seconds.toFixed(2)).join(', ')}]`,
  );
}
if (values['reader-only']) process.exit(0);

const dir = values.out ?? mkdtempSync(join(tmpdir(), 'collect-rate-'));
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 25);
const staging = new LocalSnapshotStaging(join(dir, 'snapshots'), { keepRecords: true });
try {
  for (const source of config.sources) {
    if (values.source && source.id !== values.source) continue;
    const t = performance.now();
    const cpu = process.cpuUsage();
    peak = process.memoryUsage.rss();
    const out = await collectStep({
      connector: await connectorFor(source.system),
      source,
      key: source.id,
      staging,
      now: () => new Date('2026-10-01T00:00:00Z'),
      logger: silentLogger,
    });
    if (!out.done || out.result.status !== 'complete') throw new Error(`${source.id}: not complete`);
    const c = out.result.counts;
    const records = c.principals + c.entitlements + c.grants + (c.people ?? 0);
    peak = Math.max(peak, process.memoryUsage.rss());
    console.log(
      `collect ${source.id}: ${records} records, ${((performance.now() - t) / 1000).toFixed(2)} s wall, ${cpuSeconds(cpu).toFixed(2)} s CPU, peak RSS ${Math.round(peak / 2 ** 20)} MB, snapshot ${out.result.snapshot?.bytes} bytes sha256 ${out.result.snapshot?.sha256.slice(0, 16)}`,
    );
  }
} finally {
  clearInterval(sampler);
  if (!values.out) rmSync(dir, { recursive: true, force: true });
}
console.log(`process peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
