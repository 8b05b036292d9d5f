/**
 * The evidence chain under crashes and concurrency, with the real steps, the SQLite findings store
 * and the local vault: no fork, no pack sealed without the chain, re-delivery completes the run.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/connector';
import type { ArtefactContent } from '../../../core/evidence/ports';
import { verifyChain } from '../../../core/evidence/verify';
import { ChainConflictError, type FindingsRepository } from '../../../core/findings/repository';
import { MemoryRunStore } from '../../../core/ports';
import { scanStep } from '../../../core/run/scan';
import { sealStep } from '../../../core/run/seal';
import { LocalSigner } from '../../../stores/local-signer/local-signer';
import { LocalPackReader } from '../../../stores/local-vault/local-pack-reader';
import { LocalVault } from '../../../stores/local-vault/local-vault';
import { loadNodeSqlite } from '../../../stores/sqlite-findings/node-sqlite';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../../stores/sqlite-findings/sqlite-findings-repository';
import { collectedDemoRun } from '../../support/demo-run';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A run of the demo's ERP source up to "collected", with the stores a run uses. */
async function collectedRun(root: string, nonce: string, at: string) {
  const run = await collectedDemoRun(root, { nonce, at, keep: (s) => s.system === 'erp' });
  return { ...run, runStore: new MemoryRunStore() };
}

function stores(root: string) {
  const repo = SqliteFindingsRepository.open({ file: findingsDbFile(join(root, 'state')) });
  return {
    repo,
    packs: new LocalPackReader(join(root, 'evidence')),
    writer: new LocalVault(join(root, 'evidence')),
  };
}

function scan(run: Run, s: Stores, repo: FindingsRepository = s.repo) {
  return scanStep({ ...run, snapshots: run.staging, repo, packs: s.packs, logger: silentLogger });
}

async function seal(
  run: Run,
  s: Stores,
  resultKey: string,
  options: { repo?: FindingsRepository; packs?: boolean } = {},
) {
  return sealStep({
    plan: run.plan,
    sources: run.sources,
    resultKey,
    runStore: run.runStore,
    snapshots: run.staging,
    writer: s.writer,
    signer: await LocalSigner.open(join(s.packs.location, '..', 'state')),
    repo: options.repo ?? s.repo,
    ...(options.packs ? { packs: s.packs } : {}),
    finishedAt: run.now(),
    logger: silentLogger,
  });
}

type Run = Awaited<ReturnType<typeof collectedRun>>;
type Stores = ReturnType<typeof stores>;

function tempRoot() {
  const d = mkdtempSync(join(tmpdir(), 'accessproof-chain-'));
  dirs.push(d);
  return d;
}

describe('the evidence chain under concurrency and crashes', () => {
  it('a second run cannot take the chain from a live run: it fails, and the first seals', async () => {
    // Arrange: run A has scanned (holds the reservation); run B starts while A is alive.
    const root = tempRoot();
    const s = stores(root);
    const a = await collectedRun(root, 'aaaa01', '2026-10-01T00:00:00Z');
    const b = await collectedRun(root, 'bbbb02', '2026-10-01T00:05:00Z');
    const aSummary = await scan(a, s);

    // Act
    const second = scan(b, s);

    // Assert
    await expect(second).rejects.toBeInstanceOf(ChainConflictError);
    const sealed = await seal(a, s, aSummary.resultKey);
    expect(sealed.sequence).toBe(1);
    expect((await verifyChain(s.packs)).ok).toBe(true);
    await s.repo.close();
  });

  it('publishes nothing when the run no longer holds the chain', async () => {
    // Arrange: run A scanned, then its reservation was taken away (an operator cleared it).
    const root = tempRoot();
    const s = stores(root);
    const a = await collectedRun(root, 'aaaa03', '2026-10-01T00:00:00Z');
    const summary = await scan(a, s);
    await s.repo.clearReservation(a.plan.runId);

    // Act
    const sealing = seal(a, s, summary.resultKey);

    // Assert
    await expect(sealing).rejects.toThrow(/no longer holds the evidence chain/);
    expect(existsSync(join(root, 'evidence', 'packs'))).toBe(false);
    await s.repo.close();
  });

  it('a re-delivered seal commits the pack its first attempt published', async () => {
    // Arrange: the first attempt seals the pack, then dies before committing.
    const root = tempRoot();
    const s = stores(root);
    const a = await collectedRun(root, 'aaaa04', '2026-10-01T00:00:00Z');
    const timedOut = () => Promise.reject(new Error('Lambda timed out'));
    const dying: FindingsRepository = new Proxy(s.repo, {
      get: (target, prop) =>
        prop === 'commitRun'
          ? timedOut
          : prop === 'openCommit'
            ? async (runId: string) => {
                const open = await target.openCommit(runId);
                return { ...open, commit: () => open.abort().then(timedOut) };
              }
            : Reflect.get(target, prop).bind(target),
    });
    const first = await scan(a, s, dying);
    await expect(seal(a, s, first.resultKey, { repo: dying, packs: true })).rejects.toThrow(
      'Lambda timed out',
    );
    expect(await s.repo.getChainHead()).toBeNull();

    // Act: the state machine retries the seal step.
    const summary = await scan(a, s);
    const retried = await seal(a, s, summary.resultKey, { packs: true });

    // Assert
    expect(retried.runId).toBe(a.plan.runId);
    expect((await s.repo.getChainHead())?.runId).toBe(a.plan.runId);
    expect((await s.repo.loadAll()).length).toBeGreaterThan(5);
    expect((await verifyChain(s.packs)).ok).toBe(true);
    await s.repo.close();
  });

  it('stores each changed finding as the very line findings.jsonl holds, and nothing when the pack fails', async () => {
    // Arrange: run A's pack fails after findings.jsonl was written (report.html cannot be added).
    const root = tempRoot();
    const s = stores(root);
    const a = await collectedRun(root, 'aaaa06', '2026-10-01T00:00:00Z');
    const summary = await scan(a, s);
    const failing = {
      location: s.writer.location,
      begin: async (runId: string, startedAt: Date) => {
        const pack = await s.writer.begin(runId, startedAt);
        return {
          ...pack,
          add: (path: string, content: ArtefactContent, records: number) =>
            path === 'report.html'
              ? Promise.reject(new Error('disk gone'))
              : pack.add(path, content, records),
          seal: pack.seal.bind(pack),
          abort: pack.abort.bind(pack),
        };
      },
    };
    await expect(
      seal(a, { ...s, writer: failing as unknown as LocalVault }, summary.resultKey),
    ).rejects.toThrow('disk gone');
    expect(await s.repo.loadAll()).toEqual([]);
    expect((await s.repo.pendingReservation())?.runId).toBe(a.plan.runId);

    // Act: the same run seals for real.
    const sealed = await seal(a, s, summary.resultKey);

    // Assert
    const lines = readFileSync(join(sealed.location, 'findings.jsonl'), 'utf8').split('\n').filter(Boolean);
    const { DatabaseSync } = loadNodeSqlite();
    const db = new DatabaseSync(findingsDbFile(join(root, 'state')), { readOnly: true });
    const rows = db.prepare('SELECT data FROM findings ORDER BY id').all() as { data: string }[];
    db.close();
    expect(lines.length).toBeGreaterThan(5);
    expect(rows.map((r) => r.data)).toEqual(lines);
    expect((await s.repo.getChainHead())?.runId).toBe(a.plan.runId);
    await s.repo.close();
  });

  it('refuses to seal a snapshot that changed in staging after the scan read it', async () => {
    // Arrange
    const root = tempRoot();
    const s = stores(root);
    const a = await collectedRun(root, 'aaaa05', '2026-10-01T00:00:00Z');
    const summary = await scan(a, s);
    const erp = a.sources[0]!;
    writeFileSync(erp.snapshot!.location, gzipSync('{"type":"snapshot"}\n'));

    // Act
    const sealing = seal(a, s, summary.resultKey);

    // Assert
    await expect(sealing).rejects.toThrow(/changed in staging/);
    expect(existsSync(join(root, 'evidence', 'packs'))).toBe(false);
    await s.repo.close();
  });
});
