/**
 * `accessproof scan` collects the files-mode sources besides the largest on a worker thread
 * (cli/collect-thread.ts): the sealed pack must be the one a single thread seals, byte for byte,
 * and bad input in a worker's source must stop the run exactly as on the main thread.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { threadedSources } from '../../../cli/collect-thread';
import { loadConfig } from '../../../cli/config-loader';
import { type LocalScanResult, runLocalScan } from '../../../cli/scan-pipeline';
import { silentLogger } from '../../../core/connector';
import { InputError } from '../../../core/errors';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEMO = join(ROOT, 'examples', 'demo', 'accessproof.yaml');
const AS_OF = new Date('2026-10-01T00:00:00Z');
const NOW = () => new Date('2026-10-02T08:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'accessproof-collect-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A scan of `config` into `out`: every files-mode source but the largest on a worker, or none. */
function scan(config: string, out: string, threads: boolean): Promise<LocalScanResult> {
  return runLocalScan({
    loaded: loadConfig(config),
    paths: { out, state: join(out, 'state'), evidence: join(out, 'evidence') },
    asOf: AS_OF,
    logger: silentLogger,
    now: NOW,
    runNonce: 'c0c0c1',
    collectThreadMinBytes: threads ? 0 : Number.POSITIVE_INFINITY,
  });
}

/**
 * The SHA-256 of every file of the sealed pack, by path, and the manifest without its signing
 * block and signature: each run's folder has its own signing key.
 */
function packFiles(r: LocalScanResult): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else
        out[`${prefix}${e.name}`] = createHash('sha256')
          .update(readFileSync(join(d, e.name)))
          .digest('hex');
    }
  };
  walk(r.sealed.location, '');
  delete out['manifest.sig'];
  const { signing: _key, ...manifest } = JSON.parse(out['manifest.json'] ? readManifest(r) : '{}');
  out['manifest.json'] = JSON.stringify(manifest);
  return out;
}

function readManifest(r: LocalScanResult): string {
  return readFileSync(join(r.sealed.location, 'manifest.json'), 'utf8');
}

describe('collecting sources on a worker thread', () => {
  it('seals the very pack a single thread seals (demo tenant, four sources on the worker)', async () => {
    const loaded = loadConfig(DEMO);
    const onWorker = threadedSources(loaded.config.sources, 0);
    expect(onWorker.size).toBe(loaded.config.sources.length - 1);

    const threaded = await scan(DEMO, join(dir, 'threaded'), true);
    const single = await scan(DEMO, join(dir, 'single'), false);

    expect(threaded.sources).toStrictEqual(
      single.sources.map((s) =>
        s.snapshot ? { ...s, snapshot: { ...s.snapshot, location: expect.any(String) } } : s,
      ),
    );
    expect(packFiles(threaded)).toStrictEqual(packFiles(single));
  });

  it('stops on bad input in a worker source with the same error, leaving no run behind', async () => {
    const copy = join(dir, 'bad');
    cpSync(join(ROOT, 'examples', 'demo'), join(copy, 'examples', 'demo'), { recursive: true });
    cpSync(join(ROOT, 'rules'), join(copy, 'rules'), { recursive: true });
    const config = join(copy, 'examples', 'demo', 'accessproof.yaml');
    const authz = join(copy, 'examples', 'demo', 'aws', 'authorization-details.json');
    const text = readFileSync(authz, 'utf8');
    writeFileSync(authz, text.slice(0, Math.floor(text.length / 2)));
    expect(threadedSources(loadConfig(config).config.sources, 0).has('aws-finance-prod')).toBe(true);

    const failures: unknown[] = [];
    for (const threads of [true, false]) {
      const out = join(copy, threads ? 'threaded' : 'single');
      failures.push(
        await scan(config, out, threads).then(
          () => undefined,
          (err: unknown) => err,
        ),
      );
      expect(existsSync(join(out, 'evidence', 'packs'))).toBe(false);
      const runs = join(out, 'state', 'runs');
      expect(existsSync(runs) ? readdirSync(runs) : []).toEqual([]);
    }
    const [threaded, single] = failures as [Error, Error];
    expect(threaded).toBeInstanceOf(InputError);
    expect(threaded.message).toBe(single.message);
    expect(threaded.message).toMatch(/authorization-details\.json/);
    expect((threaded as InputError).location).toStrictEqual((single as InputError).location);
  });

  it('keeps the largest files-mode source on the main thread and small others on it too', () => {
    const sources = loadConfig(DEMO).config.sources;
    // Default threshold: the demo's exports are far too small for a second thread.
    expect(threadedSources(sources).size).toBe(0);
    const forced = threadedSources(sources, 0);
    const main = sources.filter((s) => !forced.has(s.id));
    expect(main).toHaveLength(1);
  });
});
