/**
 * Issue 18: a sharded scan (`scan --shards N`: plan-shards, N scan shards in child processes,
 * reconcile) seals the same findings.jsonl, byte for byte (same run id), as the single scan: on
 * the demo tenant (people with accounts in up to six systems, SoD conflicts across systems), on a
 * second run that resolves findings (the stored findings' facts judged by the shards), and on a
 * generated tenant. A shard that fails is tried again; one that keeps failing fails the run before
 * anything is reconciled: no pack, the findings store as it was.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEnterprise, TINY } from '../../bench/generate';
import { loadConfig } from '../../cli/config-loader';
import { type LocalScanResult, runLocalScan } from '../../cli/scan-pipeline';
import { forkShard, ShardFailedError, type ShardProcess } from '../../cli/shard-runner';
import { reconcileHeapMb } from '../../cli/sharded-scan';
import { type Logger, silentLogger } from '../../core/connector';
import type { Finding } from '../../core/findings/model';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

const AS_OF = new Date('2026-10-01T00:00:00Z');
const NOW = () => new Date('2026-10-02T08:00:00Z');

interface Sealed {
  findings: string;
  manifestFindings: unknown;
  inventory: { path: string; sha256: string }[];
  summary: unknown;
}

/**
 * What must be equal between two runs: the pack's findings, counts and inventory, the summary.
 * Compared unmasked: the runs compared share a run id (`runNonce`; the CLI always draws a random one).
 */
function sealedOf(r: LocalScanResult): Sealed {
  const manifest = JSON.parse(readFileSync(join(r.sealed.location, 'manifest.json'), 'utf8')) as {
    findings: unknown;
    files: { path: string; sha256: string }[];
  };
  const { head: _head, ...summary } = r.summary;
  return {
    findings: readFileSync(join(r.sealed.location, 'findings.jsonl'), 'utf8'),
    manifestFindings: manifest.findings,
    inventory: manifest.files
      .filter((f) => f.path.startsWith('inventory/'))
      .map((f) => ({ path: f.path, sha256: f.sha256 })),
    summary,
  };
}

/** Where each sharded run's lifecycle ran, as reconcile logs it ('shards' or 'reconcile'). */
const lifecycleIn: unknown[] = [];
const logger: Logger = {
  ...silentLogger,
  info: (message, fields) => {
    if (message === 'scan finished' && fields?.shards !== undefined) lifecycleIn.push(fields.lifecycle);
  },
};

/**
 * Shards given the job without the run's ruleset hashes: they leave the whole lifecycle to
 * reconcile (its path when a shard's part does not stand alone).
 */
const lifecycleInReconcile: ShardProcess = (job, shard) => {
  const file = `${job}.reconcile.json`;
  if (!existsSync(file)) {
    const { rulesetHashes: _hashes, ...rest } = JSON.parse(readFileSync(job, 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(file, JSON.stringify(rest));
  }
  return forkShard(file, shard);
};

async function scan(
  config: string,
  out: string,
  shards = 1,
  shardProcess?: ShardProcess,
  asOf = AS_OF,
  runNonce = 'a0a0a1',
  now = NOW,
): Promise<LocalScanResult> {
  return runLocalScan({
    loaded: loadConfig(config),
    paths: { out, state: join(out, 'state'), evidence: join(out, 'evidence') },
    asOf,
    logger,
    now,
    runNonce,
    ...(shards > 1 ? { shards } : {}),
    ...(shardProcess ? { shardProcess } : {}),
  });
}

/** Fails shard `which` the first `times` attempts, then runs it for real. */
function flaky(which: number, times: number): { run: ShardProcess; attempts: () => number } {
  let n = 0;
  return {
    attempts: () => n,
    run: async (job, shard) => {
      if (shard !== which) return forkShard(job, shard);
      n++;
      return n <= times ? { ok: false, error: 'injected failure' } : forkShard(job, shard);
    },
  };
}

/** The demo tenant after some change: assignments dropped, accounts disabled (findings resolve). */
function changeDemo(config: string): void {
  const erp = join(config, '..', 'erp');
  const assignments = readFileSync(join(erp, 'assignments.csv'), 'utf8').split('\n');
  writeFileSync(
    join(erp, 'assignments.csv'),
    assignments.filter((_line, i) => i === 0 || i % 3 !== 0).join('\n'),
  );
  const users = readFileSync(join(erp, 'users.csv'), 'utf8').split('\n');
  writeFileSync(
    join(erp, 'users.csv'),
    users.map((line, i) => (i > 0 && i % 5 === 0 ? line.replace(',active,', ',disabled,') : line)).join('\n'),
  );
}

function loadFindings(out: string): Promise<Finding[]> {
  const repo = SqliteFindingsRepository.open({ file: findingsDbFile(join(out, 'state')) });
  return repo.loadAll().finally(() => repo.close());
}

describe('sharded scan = single scan', () => {
  const demo = copyDemo();
  let single: Sealed;
  let singleOut: string;
  let singleResult: LocalScanResult;
  let firstOut: string;

  beforeAll(async () => {
    singleOut = tempDir();
    singleResult = await scan(demo.config, singleOut);
    single = sealedOf(singleResult);
    // The state after one run, for the failure test (the resolve test scans singleOut again).
    firstOut = tempDir();
    cpSync(singleOut, firstOut, { recursive: true });
  }, 300_000);

  it('the demo covers cross-shard conflicts: one person, principals in several systems, a conflict across them', () => {
    const findings = singleResult.scan.findings;
    const systems = (f: Finding) => new Set(f.subject.principals.map((uid) => uid.split(':')[0]));
    expect(findings.filter((f) => f.rule === 'SOD-CONFLICT' && systems(f).size >= 2).length).toBeGreaterThan(
      0,
    );
    expect(singleResult.summary.identities).toBeLessThan(singleResult.summary.principals);
  });

  it('N=2 (a shard failing once, retried) and N=7 seal byte-identical findings, counts and inventory', async () => {
    const retried = flaky(1, 1);
    const two = await scan(demo.config, tempDir(), 2, retried.run);
    expect(retried.attempts()).toBe(2);
    expect(sealedOf(two)).toEqual(single);
    expect(lifecycleIn.at(-1)).toBe('shards');
    // The lifecycle in reconcile over every draft (when a shard's part does not stand alone).
    const seven = await scan(demo.config, tempDir(), 7, lifecycleInReconcile);
    expect(sealedOf(seven)).toEqual(single);
    expect(lifecycleIn.at(-1)).toBe('reconcile');
  }, 600_000);

  it('a second run that resolves findings and checks review revocations gives the same answer with N=3', async () => {
    // An access review revokes every privileged ERP grant; the change below removes some of them
    // (done) and leaves others (past the SLA: REVIEW-REVOKE-NOT-DONE). The shards report the
    // revoked principals' grants; the revocation check must read the same as in the single scan.
    const start = accessproof([
      ...['review', 'start', '--out', singleOut, '--name', 'Privileged ERP', '--due', '2099-12-31'],
      ...[
        '--reviewer',
        'controller@halvorsen-industrial.example',
        '--source',
        'netsuite',
        '--privileged-only',
      ],
    ]);
    expect(start.code, start.stderr).toBe(0);
    const campaign = /campaign (\S+) started/.exec(start.stdout)![1]!;
    const decided = accessproof([
      ...['review', 'decide', campaign, '--all-remaining', '--revoke', '--note', 'least privilege'],
      ...['--by', 'controller@halvorsen-industrial.example', '--out', singleOut],
    ]);
    expect(decided.code, decided.stderr).toBe(0);
    // Same stored findings and reviews for both: a copy of the single scan's output folder.
    const shardedOut = tempDir();
    cpSync(singleOut, shardedOut, { recursive: true });
    const changed = copyDemo();
    changeDemo(changed.config);
    // Collected after the decisions (made now), as of past their SLA.
    const runAt = new Date(Date.now() + 121 * 86_400_000);
    const later = new Date(runAt.getTime() - 86_400_000);
    const a = await scan(changed.config, singleOut, 1, undefined, later, 'a0a0a2', () => runAt);
    const b = await scan(changed.config, shardedOut, 3, undefined, later, 'a0a0a2', () => runAt);
    expect(a.digest.resolved).toBeGreaterThan(0);
    expect(a.scan.findings.filter((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE').length).toBeGreaterThan(0);
    expect(sealedOf(b)).toEqual(sealedOf(a));
    // The shards' parts of the lifecycle stood alone; the review findings' part ran in reconcile.
    expect(lifecycleIn.at(-1)).toBe('shards');
    // The campaign as sealed (its revocations: done, still present, overdue) is the same too.
    const review = (r: LocalScanResult) =>
      readFileSync(join(r.sealed.location, 'reviews', `${campaign}.jsonl`), 'utf8');
    expect(review(a)).toMatch(/"revocations":\{[^}]*"revoked":[1-9]/);
    expect(review(b)).toBe(review(a));
  }, 600_000);

  it('a shard that keeps failing fails the run: nothing reconciled, no pack, the findings store unchanged', async () => {
    const out = tempDir();
    cpSync(firstOut, out, { recursive: true });
    const before = await loadFindings(out);
    const packsBefore = readdirSync(join(out, 'evidence', 'packs'), { recursive: true }).length;
    let tried = 0;
    const broken: ShardProcess = async () => {
      tried++;
      return { ok: false, error: 'injected failure' };
    };
    await expect(scan(demo.config, out, 2, broken, AS_OF, 'a0a0a3')).rejects.toBeInstanceOf(ShardFailedError);
    expect(tried).toBeGreaterThanOrEqual(3); // retried before giving up
    expect(await loadFindings(out)).toEqual(before);
    expect(readdirSync(join(out, 'evidence', 'packs'), { recursive: true }).length).toBe(packsBefore);
    // The chain is free again: the run again (sharded) seals, as a rerun of the single scan would.
    const rerun = await scan(demo.config, out, 2, undefined, AS_OF, 'a0a0a4');
    expect(rerun.summary.findings).toBeGreaterThan(0);
    expect(readdirSync(join(out, 'evidence', 'packs'), { recursive: true }).length).toBeGreaterThan(
      packsBefore,
    );
  }, 600_000);
});

describe('sharded scan = single scan on a generated tenant', () => {
  it('N=3 seals byte-identical findings', async () => {
    const dir = tempDir('accessproof-gen-');
    const g = await generateEnterprise({ ...TINY, people: 300, nhi: 150, grants: 4_000, risks: 60 }, dir);
    const a = await scan(g.config, tempDir());
    const b = await scan(g.config, tempDir(), 3);
    expect(a.summary.findings).toBeGreaterThan(0);
    expect(sealedOf(b)).toEqual(sealedOf(a));
    expect(lifecycleIn.at(-1)).toBe('shards');
  }, 600_000);
});

describe('accessproof scan --shards N', () => {
  it('starts itself again with the heap reconcile and seal need, without NODE_OPTIONS', () => {
    // Arrange: the heap this machine gets (the CLI runs with plain node's default limit).
    const MB = 1024 * 1024;
    const wanted = reconcileHeapMb({
      limitMb: Math.floor(getHeapStatistics().heap_size_limit / MB),
      totalMb: Math.floor(totalmem() / MB),
      env: {},
    });

    // Act: an as-of that is no date, which the started process refuses (before any work).
    const r = accessproof(['scan', '--demo', '--shards', '2', '--as-of', '2026-02-30'], undefined, {
      NODE_OPTIONS: '',
    });

    // Assert
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.match(/2026-02-30/g), r.stderr).toHaveLength(1);
    if (wanted === undefined) {
      expect(r.stderr).not.toMatch(/V8 heap/);
      return;
    }
    const [, heap, was] = /running with a V8 heap of (\d+) MB \(was (\d+) MB\)/.exec(r.stderr) ?? [];
    expect(Number(heap), r.stderr).toBeGreaterThan(Number(was));
  }, 60_000);
});
