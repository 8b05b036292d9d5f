/**
 * `npx tsx bench/seal-micro.ts <tenant accessproof.yaml> [--profile DIR] [--micro]`
 *
 * The seal step alone, on a tenant a `npm run bench -- --keep` run generated: runs the real local
 * scan (`runLocalScan`) and reports the seal's wall and CPU seconds (every thread), optionally with
 * a CPU profile of the main thread from the chain's reservation to the end of the seal. `--micro`
 * also times the pieces of the seal on the live findings before the seal sees them (serialization
 * of engine-built findings is slower than of re-parsed ones), and prints the SHA-256 of the pack's
 * findings files so two builds can be compared byte for byte.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { runLocalScan } from '../cli/scan-pipeline';
import { silentLogger } from '../core/connector';
import { toOcsf } from '../core/evidence/ocsf';
import type { Finding } from '../core/findings/model';
import { MemoryRunStore } from '../core/ports';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { profile: { type: 'string' }, micro: { type: 'boolean', default: false } },
});
const config = positionals[0];
if (!config) throw new Error('usage: seal-micro.ts <accessproof.yaml> [--profile DIR] [--micro]');

// The scan hands its result to the seal through a MemoryRunStore: keep a reference to it.
let captured: { findings: Finding[] } | undefined;
const put = MemoryRunStore.prototype.put;
MemoryRunStore.prototype.put = async function (key: string, value: unknown) {
  if (value && typeof value === 'object' && 'findings' in value) captured = value as { findings: Finding[] };
  return put.call(this, key, value);
};

const out = resolve('bench', 'out', 'seal-micro');
rmSync(out, { recursive: true, force: true });
const paths = localPaths(out, undefined);
const session = values.profile ? new Session() : undefined;
let cpu0 = process.cpuUsage();
let t0 = 0;
let seal: { seconds: number; cpuSeconds: number } | undefined;

const cpuSeconds = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
function time(name: string, f: () => void): void {
  const c = process.cpuUsage();
  const t = performance.now();
  f();
  console.log(
    `${name.padEnd(40)} ${((performance.now() - t) / 1000).toFixed(2)} s wall ${cpuSeconds(c).toFixed(2)} s cpu`,
  );
}

await runLocalScan({
  loaded: loadConfig(config),
  paths,
  asOf: new Date('2026-10-01T00:00:00Z'),
  logger: silentLogger,
  hooks: {
    checkpoint: async (point) => {
      if (point !== 'reserved') return;
      if (values.micro && captured) micro(captured.findings);
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    },
    stage: (s) => {
      if (s === 'seal') seal = { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(cpu0) };
    },
  },
});
if (session) {
  const { profile } = await session.post('Profiler.stop');
  const file = join(resolve(values.profile!), `seal-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`profile: ${file}`);
}
console.log(`seal ${seal?.seconds.toFixed(2)} s wall, ${seal?.cpuSeconds.toFixed(2)} s cpu (every thread)`);
for (const name of ['findings.jsonl', 'findings.ocsf.json', 'report.html']) {
  const { execSync } = await import('node:child_process');
  const file = execSync(`find ${paths.evidence} -name ${name}`, { encoding: 'utf8' }).trim();
  console.log(`${name} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`);
}

function micro(findings: Finding[]): void {
  const ctx = { runId: 'r', asOf: '2026-10-01T00:00:00Z', organization: 'o', toolVersion: 'v' };
  console.log(`${findings.length} findings`);
  let lines: string[] = [];
  if (process.execArgv.includes('--allow-natives-syntax')) {
    const migrate = new Function('o', 'return %TryMigrateInstance(o)') as (o: object) => unknown;
    const fast = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
    const seen = new Map<string, number>();
    const note = (k: string) => seen.set(k, (seen.get(k) ?? 0) + 1);
    const walk = (v: unknown, path: string): void => {
      if (!v || typeof v !== 'object') return;
      if (!Array.isArray(v)) {
        if (migrate(v) !== 0) note(`deprecated ${path}`);
        if (!fast(v)) note(`dictionary ${path}`);
      }
      if (Array.isArray(v)) for (const x of v) walk(x, `${path}[]`);
      else for (const [k, x] of Object.entries(v)) walk(x, path === '' ? k : `${path}.${k}`);
    };
    for (const f of findings) walk(f, '');
    console.log([...seen].sort((a, b) => b[1] - a[1]).slice(0, 30));
  }
  const copy = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(copy)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]))
        : v;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    time('gc', () => gc());
    time('gc again', () => gc());
  }
  if (process.env.PARTS) {
    for (const part of ['evidence', 'detail', 'subject', 'history', 'policyBasis', 'title', 'id']) {
      for (const round of [1, 2]) {
        time(`stringify live .${part} ${round}`, () => {
          for (const f of findings) JSON.stringify((f as unknown as Record<string, unknown>)[part]);
        });
      }
    }
  }
  const sameStrings = findings.map((f) => copy(f) as Finding);
  time('stringify same strings, new objects', () => {
    lines = sameStrings.map((f) => JSON.stringify(f));
  });
  time('stringify live (first)', () => {
    lines = findings.map((f) => JSON.stringify(f));
  });
  time('stringify live (again)', () => {
    lines = findings.map((f) => JSON.stringify(f));
  });
  time('stringify same strings, new objects 2', () => {
    lines = sameStrings.map((f) => JSON.stringify(f));
  });
  const parsed = lines.map((l) => JSON.parse(l) as Finding);
  time('stringify re-parsed', () => {
    lines = parsed.map((f) => JSON.stringify(f));
  });
  time('stringify live (3)', () => {
    lines = findings.map((f) => JSON.stringify(f));
  });
  time('stringify re-parsed 2', () => {
    lines = parsed.map((f) => JSON.stringify(f));
  });
  time('parse lines', () => {
    for (const l of lines) JSON.parse(l);
  });
  time('ocsf from lines (parse+toOcsf+stringify)', () => {
    for (const l of lines) JSON.stringify(toOcsf(JSON.parse(l) as Finding, ctx));
  });
  time('ocsf from live', () => {
    for (const f of findings) JSON.stringify(toOcsf(f, ctx));
  });
  time('toOcsf live (no stringify)', () => {
    for (const f of findings) toOcsf(f, ctx);
  });
  time('toOcsf re-parsed (no stringify)', () => {
    for (const f of parsed) toOcsf(f, ctx);
  });
}
