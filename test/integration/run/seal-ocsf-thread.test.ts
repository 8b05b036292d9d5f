/**
 * Seal with its OCSF events made on a worker thread (`sealStep({ ocsf })`, what the CLI does from
 * 20,000 findings): the same pack, byte for byte, as the events made in the seal's thread; a write
 * that fails on either file aborts the pack with nothing published, committed or left running.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/connector';
import type { EvidenceWriter, OcsfOffload } from '../../../core/evidence/ports';
import { verifyChain } from '../../../core/evidence/verify';
import { MemoryRunStore } from '../../../core/ports';
import { scanStep } from '../../../core/run/scan';
import { sealStep } from '../../../core/run/seal';
import { LocalSigner } from '../../../stores/local-signer/local-signer';
import { LocalPackReader } from '../../../stores/local-vault/local-pack-reader';
import { LocalVault } from '../../../stores/local-vault/local-vault';
import { OcsfThread } from '../../../stores/local-vault/ocsf-thread';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../../stores/sqlite-findings/sqlite-findings-repository';
import { collectedDemoRun } from '../../support/demo-run';

const AT = '2026-10-01T00:00:00Z';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'accessproof-ocsf-thread-'));
  dirs.push(d);
  return d;
}

/** The demo (every source) collected and scanned under `root`, up to the seal. */
async function scannedRun(root: string) {
  const { plan, sources, staging, policy, sod, now } = await collectedDemoRun(root, {
    nonce: 'abcd01',
    at: AT,
  });
  const repo = SqliteFindingsRepository.open({ file: findingsDbFile(join(root, 'state')) });
  const packs = new LocalPackReader(join(root, 'evidence'));
  const runStore = new MemoryRunStore();
  const summary = await scanStep({
    plan,
    sources,
    policy,
    sod,
    snapshots: staging,
    repo,
    runStore,
    now,
    packs,
    logger: silentLogger,
  });
  return { plan, sources, staging, repo, packs, runStore, summary, now };
}

async function sealRun(
  root: string,
  keys: string,
  options: { ocsf?: OcsfOffload; writer?: (vault: LocalVault) => EvidenceWriter },
) {
  const run = await scannedRun(root);
  const vault = new LocalVault(join(root, 'evidence'));
  const sealing = sealStep({
    plan: run.plan,
    sources: run.sources,
    resultKey: run.summary.resultKey,
    runStore: run.runStore,
    snapshots: run.staging,
    writer: options.writer ? options.writer(vault) : vault,
    signer: await LocalSigner.open(keys),
    repo: run.repo,
    packs: run.packs,
    finishedAt: run.now(),
    ...(options.ocsf ? { ocsf: options.ocsf } : {}),
    logger: silentLogger,
  });
  return { run, sealing };
}

/** Every file under `dir`, relative path → bytes. */
function filesOf(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

describe('seal with the OCSF thread', () => {
  const keys = join(tempRoot(), 'state');

  it('seals the same pack, byte for byte, as the events made in the seal thread', async () => {
    const inThread = tempRoot();
    const a = await sealRun(inThread, keys, {});
    const sealedA = await a.sealing;
    await a.run.repo.close();
    const offloaded = tempRoot();
    const b = await sealRun(offloaded, keys, { ocsf: new OcsfThread({ minFindings: 0 }) });
    const sealedB = await b.sealing;
    await b.run.repo.close();

    expect(sealedB.manifestSha256).toBe(sealedA.manifestSha256);
    const filesA = filesOf(sealedA.location);
    const filesB = filesOf(sealedB.location);
    expect([...filesB.keys()].sort()).toEqual([...filesA.keys()].sort());
    for (const [path, bytes] of filesA) expect(filesB.get(path)?.equals(bytes), path).toBe(true);
    expect(filesA.get('findings.ocsf.json')!.length).toBeGreaterThan(10_000);
    expect((await verifyChain(new LocalPackReader(join(offloaded, 'evidence')))).ok).toBe(true);
  });

  it.each(['findings.jsonl', 'findings.ocsf.json'])(
    'a failed write of %s aborts the pack: nothing published or committed',
    async (failing) => {
      const root = tempRoot();
      const full = new Error('ENOSPC: no space left on device, write');
      const { run, sealing } = await sealRun(root, keys, {
        ocsf: new OcsfThread({ minFindings: 0 }),
        writer: (vault) => ({
          location: vault.location,
          async begin(runId, startedAt) {
            const pack = await vault.begin(runId, startedAt);
            return {
              runId,
              add: (path, content, records) => {
                if (path !== failing || content instanceof Uint8Array)
                  return pack.add(path, content, records);
                // The first chunk is written, then the disk is full.
                async function* failAfterOne() {
                  for await (const chunk of content as AsyncIterable<Uint8Array>) {
                    yield chunk;
                    throw full;
                  }
                }
                return pack.add(path, failAfterOne(), records);
              },
              seal: (draft, signer) => pack.seal(draft, signer),
              abort: () => pack.abort(),
            };
          },
        }),
      });

      await expect(sealing).rejects.toBe(full);
      expect(await run.repo.getChainHead()).toBeNull();
      expect((await run.repo.pendingReservation())?.runId).toBe(run.plan.runId);
      expect(await new LocalPackReader(join(root, 'evidence')).listPacks()).toEqual([]);
      expect(readdirSync(join(root, 'evidence', '.staging'))).toEqual([]);
      await run.repo.close();
    },
  );
});
