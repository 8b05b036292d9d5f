/**
 * `npx tsx bench/reconcile-micro.ts --tenant bench/out/<size> [--shards 3] [--runs 2]`
 *
 * The reconcile step of a sharded scan alone, on a tenant a `npm run bench -- … --keep` run left
 * (`bench/out/<size>/generated.json`). The first call scans it sharded once (fixed clock and
 * nonce) and keeps the shards' outputs as they were when reconcile began, with a hash of what the
 * run stored for seal; every call then runs `readShardOutputs` + `reconcileShardsStep` on the kept
 * outputs `--runs` times (what the bench's `reconcile` row times), printing the CPU seconds of each
 * and whether the hash of its result is the kept one (same findings, same order, same bytes).
 * `--central` drops the shards' lifecycles: reconcile runs the lifecycle over every draft.
 * Profile with `node --cpu-prof --import tsx bench/reconcile-micro.ts …`.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { runLocalScan } from '../cli/scan-pipeline';
import { forkShardWithHeap, type ShardJob, shardHeapMb } from '../cli/shard-runner';
import { silentLogger } from '../core/connector';
import { MemoryRunStore, type RunStore } from '../core/ports';
import { effectivePolicy } from '../core/run/policy-doc';
import { readShardOutputs, reconcileShardsStep } from '../core/run/reconcile-shards';
import { type ScanResult, scanResultKey } from '../core/run/scan';
import { DEFAULT_SHARD_MEMORY_MB } from '../core/run/shard-plan';
import { LocalRunStore } from '../stores/local-staging/local-run-store';
import { SqliteFindingsRepository } from '../stores/sqlite-findings/sqlite-findings-repository';

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    shards: { type: 'string', default: '3' },
    runs: { type: 'string', default: '2' },
    // The lifecycle in reconcile over every draft, as when a shard's part does not stand alone.
    central: { type: 'boolean', default: false },
  },
});
if (!values.tenant) throw new Error('--tenant bench/out/<size> (a `npm run bench -- … --keep` tenant)');
const root = resolve(values.tenant);
const generated = JSON.parse(readFileSync(join(root, 'generated.json'), 'utf8')) as { config: string };
const shards = Number(values.shards);
const kept = join(root, `reconcile-micro-${shards}`);
const now = () => new Date('2026-10-02T00:00:00Z');
const loaded = loadConfig(generated.config);

/** What the run hands seal, hashed: findings, changes and summary, in their order. */
function resultHash(r: Pick<ScanResult, 'findings' | 'changed' | 'changes' | 'summary'>): string {
  const h = createHash('sha256');
  for (const f of r.findings) h.update(JSON.stringify(f)).update('\n');
  h.update(JSON.stringify([r.changed, r.changes, r.summary]));
  return h.digest('hex');
}

if (!existsSync(join(kept, 'ref.json'))) {
  rmSync(kept, { recursive: true, force: true });
  const out = join(kept, 'scan');
  const fork = forkShardWithHeap(shardHeapMb(DEFAULT_SHARD_MEMORY_MB));
  let done = 0;
  const result = await runLocalScan({
    loaded,
    paths: localPaths(out, undefined),
    asOf: new Date('2026-10-01T00:00:00Z'),
    now,
    runNonce: 'abcdef',
    logger: silentLogger,
    shards,
    // The run folder as reconcile finds it: copied once the last shard has finished.
    shardProcess: async (jobFile, shard) => {
      const attempt = await fork(jobFile, shard);
      if (attempt.ok && ++done === shards) {
        const runDir = dirname(dirname(jobFile));
        cpSync(join(runDir, 'store'), join(kept, 'store'), { recursive: true });
        cpSync(join(runDir, 'shards'), join(kept, 'shards'), { recursive: true });
      }
      return attempt;
    },
  });
  const rulesetHashes = Object.fromEntries(
    effectivePolicy(
      loaded.config,
      loaded.rulesetFiles.map((path) => ({ path, text: readFileSync(path, 'utf8') })),
    ).document.rulesets.map((r) => [r.id, r.sha256]),
  );
  rmSync(out, { recursive: true, force: true });
  writeFileSync(
    join(kept, 'ref.json'),
    JSON.stringify({ hash: resultHash(result.scan), findings: result.summary.findings, rulesetHashes }),
  );
  console.log(`kept the shards' outputs of a ${shards}-shard scan in ${kept}`);
}

const ref = JSON.parse(readFileSync(join(kept, 'ref.json'), 'utf8')) as {
  hash: string;
  findings: number;
  rulesetHashes: Record<string, string>;
};
const job = JSON.parse(readFileSync(join(kept, 'shards', 'job.json'), 'utf8')) as ShardJob;
for (let run = 0; run < Number(values.runs); run++) {
  const repo = SqliteFindingsRepository.open({ file: ':memory:' });
  const store = new LocalRunStore(join(kept, 'store'));
  const key = scanResultKey(job.plan.runId);
  const memory = new MemoryRunStore();
  const runStore: RunStore = {
    put: (k, v) => (k === key ? memory.put(k, v) : store.put(k, v)),
    get: <T>(k: string) => (k === key ? memory.get<T>(k) : store.get<T>(k)),
    putLines: (k, lines) => store.putLines(k, lines),
    getLines: (k) => store.getLines(k),
    getLineBatches: (k) => store.getLineBatches(k),
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outputs = await readShardOutputs(runStore, job.plan.runId, job.count);
  if (values.central) for (const out of outputs) delete out.lifecycle;
  await reconcileShardsStep({
    plan: job.plan,
    sources: structuredClone(job.sources),
    policy: job.policy,
    count: job.count,
    repo,
    now,
    logger: silentLogger,
    reservationLeaseMs: 0,
    rulesetHashes: ref.rulesetHashes,
    extraDrafts: [],
    outputs,
    runStore,
  });
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const result = (await memory.get<ScanResult>(key))!;
  const same = resultHash(result) === ref.hash;
  console.log(
    JSON.stringify({
      run,
      findings: result.findings.length,
      seconds: Math.round(seconds * 100) / 100,
      cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
      sameAsKept: same,
    }),
  );
  await repo.close();
  if (!same) process.exitCode = 1;
}
