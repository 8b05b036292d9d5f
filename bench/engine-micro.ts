/**
 * `npx tsx bench/engine-micro.ts [--quick | --people N --nhi N --grants N] [--conflicts N] [--sod N]`
 *
 * The engine's stages (rules, sod, diff) on one generated tenant, in this process, with a hash of
 * what they produce: a change that claims "same output" is checked by comparing the hashes before and
 * after it. Scans once with the real pipeline (fixed clock and nonce, so two runs hash alike), then
 * runs `evaluateSod` again `--sod` times on the same inventory (best CPU time printed).
 * `--conflicts N` scans the conflict tenant of bench/conflict-tenant.ts instead. `--repeat N` also
 * runs `correlate`, the rules and the lifecycle (reconcile against an empty store, as a first run)
 * N times on the scan's inventory: best CPU seconds and a hash of what each produced.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../cli/config-loader';
import { localPaths } from '../cli/paths';
import { loadRulesets, runLocalScan } from '../cli/scan-pipeline';
import { silentLogger } from '../core/connector';
import { correlate } from '../core/correlate';
import { reconcile } from '../core/findings/lifecycle';
import type { Finding } from '../core/findings/model';
import type { Inventory } from '../core/inventory';
import { createRuleContext, evaluateRules, PRINCIPAL_RULES } from '../core/rules';
import { markOverdue, nameSeen } from '../core/run/scan';
import { evaluateSod } from '../core/sod';
import { computeIdentityFunctions, findConflicts } from '../core/sod/engine';
import { BoundsIndex } from '../core/sod/principal-iam';
import { buildRoleReach } from '../core/sod/role-reach';
import { FULL, generateEnterprise, QUICK } from './generate';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    people: { type: 'string' },
    nhi: { type: 'string' },
    grants: { type: 'string' },
    conflicts: { type: 'string' },
    sod: { type: 'string', default: '3' },
    repeat: { type: 'string', default: '0' },
    /** Stop the scan once the inventory is built: only the SoD runs are measured. */
    'sod-only': { type: 'boolean', default: false },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'accessproof-engine-micro-'));
try {
  let config: string;
  if (values.conflicts) {
    // Imported only here: its own command-line entry must not run when this file is bundled.
    const { writeConflictTenant } = await import('./conflict-tenant');
    config = writeConflictTenant(dir, Number(values.conflicts));
  } else {
    const base = values.quick ? QUICK : FULL;
    const size = {
      ...base,
      people: Number(values.people ?? base.people),
      nhi: Number(values.nhi ?? base.nhi),
      grants: Number(values.grants ?? base.grants),
    };
    mkdirSync(join(dir, 'tenant'));
    config = (await generateEnterprise(size, join(dir, 'tenant'))).config;
  }
  const loaded = loadConfig(config);
  let inventory: Inventory | undefined;
  const cpu: Record<string, number> = {};
  // GC time per stage: each stage's end on the performance clock, GC entries placed between them
  // afterwards (the observer reports them late, in batches).
  const stageEnds: { name: string; at: number }[] = [];
  const scanGc: { at: number; ms: number; kind: number }[] = [];
  const scanGcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      scanGc.push({ at: e.startTime, ms: e.duration, kind });
    }
  });
  scanGcObserver.observe({ entryTypes: ['gc'] });
  let mark = process.cpuUsage();
  const stop = new Error('stopped after the inventory (--sod-only)');
  const result = await runLocalScan({
    loaded,
    paths: localPaths(join(dir, 'out'), undefined),
    asOf: new Date('2026-10-01T00:00:00Z'),
    now: () => new Date('2026-10-01T06:00:00Z'),
    runNonce: 'abcdef',
    logger: silentLogger,
    hooks: {
      stage: (s, _n, source) => {
        const c = process.cpuUsage(mark);
        const name = source ? `${s} ${source}` : s;
        cpu[name] = round((cpu[name] ?? 0) + (c.user + c.system) / 1e6);
        stageEnds.push({ name, at: performance.now() });
        mark = process.cpuUsage();
      },
      inventory: (inv) => {
        inventory = inv;
        if (values['sod-only']) throw stop;
      },
    },
  }).catch((e: unknown) => {
    if (e !== stop) throw e;
    return undefined;
  });
  if (!inventory) throw new Error('no inventory handed over');
  await new Promise((r) => setTimeout(r, 50));
  scanGcObserver.disconnect();
  const stagesGcMs: Record<string, number> = {};
  const stagesGcKinds: Record<string, number> = {};
  for (const g of scanGc) {
    const stage = stageEnds.find((s) => s.at >= g.at)?.name ?? 'after';
    stagesGcMs[stage] = Math.round((stagesGcMs[stage] ?? 0) + g.ms);
    // 1 scavenge, 4 mark-compact, 8 incremental marking steps
    const k = `${stage} ${g.kind}`;
    stagesGcKinds[k] = Math.round((stagesGcKinds[k] ?? 0) + g.ms);
  }
  const { compiled } = await loadRulesets(loaded.rulesetFiles);
  const runs: number[] = [];
  const gcRuns: string[] = [];
  let gcMs = 0;
  let gcCount = 0;
  let gcKinds: Record<string, number> = {};
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
      // 1 scavenge, 2 minor mark-sweep, 4 mark-sweep-compact, 8 incremental marking, 16 weak callbacks
      const kind = String((e as unknown as { detail?: { kind?: number } }).detail?.kind);
      gcKinds[kind] = Math.round((gcKinds[kind] ?? 0) + e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let sodHash = '';
  let sodCount = 0;
  let sodFunctionBlocks: { asked: number; distinct: number } | undefined;
  for (let i = 0; i < Number(values.sod); i++) {
    await new Promise((r) => setTimeout(r, 50));
    gcMs = 0;
    gcCount = 0;
    gcKinds = {};
    const c0 = process.cpuUsage();
    const drafts = compiled ? evaluateSod(inventory, compiled) : [];
    const c = process.cpuUsage(c0);
    runs.push(round((c.user + c.system) / 1e6));
    await new Promise((r) => setTimeout(r, 50));
    gcRuns.push(`${gcCount} gc ${Math.round(gcMs)} ms ${JSON.stringify(gcKinds)}`);
    if (i === 0) {
      sodCount = drafts.length;
      // How often an identity's function evidence is asked for again by another of its conflicts.
      const pairs = new Set<string>();
      let asked = 0;
      for (const d of drafts) {
        for (const fn of d.detail.functions as { id: string }[]) {
          pairs.add(`${d.subject.identity}|${fn.id}`);
          asked++;
        }
      }
      sodFunctionBlocks = { asked, distinct: pairs.size };
      const h = createHash('sha256');
      for (const d of drafts) h.update(`${JSON.stringify(d)}\n`);
      sodHash = h.digest('hex').slice(0, 16);
    }
  }
  const phases: Record<string, number[]> = { reach: [], held: [], conflicts: [] };
  for (let i = 0; compiled && i < Number(values.sod); i++) {
    let c0 = process.cpuUsage();
    buildRoleReach(inventory, new BoundsIndex(inventory));
    phases.reach!.push(cpuSince(c0));
    c0 = process.cpuUsage();
    const held = computeIdentityFunctions(inventory, compiled);
    phases.held!.push(cpuSince(c0));
    c0 = process.cpuUsage();
    findConflicts(inventory, compiled, held);
    phases.conflicts!.push(cpuSince(c0));
  }
  const repeated = repeatStages(inventory, loaded.config.policy, compiled, Number(values.repeat));
  const fh = createHash('sha256');
  for (const f of result?.scan.findings ?? []) fh.update(`${JSON.stringify(f)}\n`);
  console.log(
    JSON.stringify({
      stagesCpu: cpu,
      stagesGcMs,
      stagesGcKinds,
      sodCpuRuns: runs,
      sodBest: Math.min(...runs),
      sodGc: gcRuns,
      phases,
      ...(repeated ? { repeated } : {}),
      heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
      sodDrafts: sodCount,
      sodFunctionBlocks,
      sodHash,
      findings: result?.scan.findings.length,
      findingsHash: fh.digest('hex').slice(0, 16),
      changedHash: createHash('sha256')
        .update(JSON.stringify(result?.scan.changed ?? []))
        .digest('hex')
        .slice(0, 16),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * correlate, rules, lifecycle N times on one inventory: best CPU seconds of each and a hash of the
 * last run's output (same hash before and after a change = same output).
 */
function repeatStages(
  inv: Inventory,
  policy: ReturnType<typeof loadConfig>['config']['policy'],
  compiled: Awaited<ReturnType<typeof loadRulesets>>['compiled'],
  n: number,
) {
  if (n <= 0) return undefined;
  const asOf = new Date('2026-10-01T00:00:00Z');
  const best: Record<string, number> = {};
  const hashes: Record<string, string> = {};
  const time = <T>(name: string, f: () => T): T => {
    const c0 = process.cpuUsage();
    const out = f();
    const t = cpuSince(c0);
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, t);
    return out;
  };
  const jsonHash = (items: Iterable<unknown>) => {
    const h = createHash('sha256');
    for (const x of items) h.update(`${JSON.stringify(x)}\n`);
    return h.digest('hex').slice(0, 16);
  };
  const sources = new Set(inv.sources.keys());
  for (let i = 0; i < n; i++) {
    const corr = time('correlate', () => correlate(inv.principals.values()));
    const rules = time('rules', () =>
      evaluateRules(inv, { asOf, policy, sod: undefined, financiallySignificant: () => true }),
    );
    const sod = compiled ? evaluateSod(inv, compiled) : [];
    // The lifecycle as the scan runs it: reconcile, then naming and overdue marks.
    const lifecycle = (previous: Finding[], runId: string, at: Date) => {
      const r = reconcile({
        previous,
        drafts: [...rules, ...sod],
        runId,
        asOf: at,
        completeSources: sources,
        failedOrIncompleteSources: new Set(),
        slaDays: policy.slaDays,
      });
      nameSeen(r.findings, runId, inv);
      markOverdue(r, at);
      return r;
    };
    const result = time('lifecycle', () => lifecycle([], 'run-1', asOf));
    // A second run over the first one's findings (seen again, none new): the steady state.
    const rerun = time('lifecycle rerun', () =>
      lifecycle(result.findings, 'run-2', new Date('2026-10-02T00:00:00Z')),
    );
    // Each principal rule alone over the active principals (the rules stage's split).
    const ctx = createRuleContext(inv, { asOf, policy, sod: undefined, financiallySignificant: () => true });
    for (const rule of PRINCIPAL_RULES) {
      time(`rule ${rule.id}`, () => {
        let k = 0;
        for (const p of inv.principals.values()) if (p.status === 'active') k += rule.evaluate(p, ctx).length;
        return k;
      });
    }
    if (i === n - 1) {
      hashes.correlate = jsonHash(corr.identities);
      hashes.rules = jsonHash(rules);
      hashes.lifecycle = jsonHash(result.findings);
      hashes.rerun = jsonHash([...rerun.findings, rerun.changed.map((f) => f.id), rerun.changes]);
    }
  }
  return { best, hashes };
}

function cpuSince(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return round((c.user + c.system) / 1e6);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
