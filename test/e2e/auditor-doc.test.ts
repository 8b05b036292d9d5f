/**
 * docs/auditor.md, run as an auditor would (issue 10, defect 9): every shell step marked
 * `<!-- auditor-doc-test: pack|root -->` is extracted from the guide and executed with bash,
 * sha256sum, openssl and jq against a fresh demo chain. The steps must succeed, say what the guide
 * says they say, write only into the scratch folder, and leave the packs so that `verify` passes.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, ROOT, tempDir } from './cli-helpers';

interface Step {
  where: 'pack' | 'root';
  script: string;
}

/** The marked ```sh blocks of the guide, in order. */
function documentedSteps(): Step[] {
  const text = readFileSync(join(ROOT, 'docs', 'auditor.md'), 'utf8');
  const steps: Step[] = [];
  const re = /<!-- auditor-doc-test: (pack|root) -->[\s\S]*?```sh\n([\s\S]*?)```/g;
  for (const m of text.matchAll(re)) steps.push({ where: m[1] as Step['where'], script: m[2]! });
  return steps;
}

/** path → sha256 of every file under `dir`. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const p = join(dir, f);
    if (statSync(p).isFile()) out[f] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

function packDirs(evidence: string): string[] {
  return readdirSync(join(evidence, 'packs'), { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('manifest.json'))
    .map((p) => join(evidence, 'packs', p.replace(/\/?manifest\.json$/, '')))
    .sort();
}

describe('docs/auditor.md, step by step, in a scratch folder', () => {
  const out = tempDir('accessproof-auditor-');
  const work = tempDir('accessproof-auditor-work-');
  const evidence = join(out, 'evidence');
  let pack = '';
  let before: Record<string, string> = {};
  const results: { step: Step; code: number; stdout: string; stderr: string }[] = [];

  beforeAll(() => {
    expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);
    expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);
    pack = packDirs(evidence).at(-1)!;
    before = snapshot(evidence);
    for (const step of documentedSteps()) {
      const r = spawnSync('bash', ['-c', `set -euo pipefail\n${step.script}`], {
        cwd: evidence,
        encoding: 'utf8',
        env: { ...process.env, PACK: pack, WORK: work, LC_ALL: 'C' },
        timeout: 60_000,
      });
      results.push({ step, code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    }
  }, 300_000);
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const run = (fragment: string) => {
    const r = results.find((x) => x.step.script.includes(fragment));
    if (!r) throw new Error(`docs/auditor.md has no marked step containing ${fragment}`);
    expect(r.code, `${r.step.script}\n${r.stderr}`).toBe(0);
    return r.stdout.trim().split('\n');
  };

  it('marks the by-hand steps of one pack and of the chain, and every one of them succeeds', () => {
    expect(results.filter((r) => r.step.where === 'pack').length).toBeGreaterThanOrEqual(6);
    expect(results.filter((r) => r.step.where === 'root').length).toBeGreaterThanOrEqual(2);
    for (const r of results) expect(r.code, `${r.step.script}\n${r.stderr}`).toBe(0);
  });

  it('checks every listed file, finds none unlisted, and recomputes configSha256 from policy.json', () => {
    const manifest = JSON.parse(readFileSync(join(pack, 'manifest.json'), 'utf8'));
    const checked = run('sha256sum -c -');
    expect(checked).toHaveLength(manifest.files.length);
    expect(checked.every((l) => l.endsWith(': OK'))).toBe(true);
    expect(run('find . -type f')).toEqual(['']);
    const [computed, sealed] = run('policy.json');
    expect(computed).toMatch(/^[0-9a-f]{64}$/);
    expect(computed).toBe(sealed);
  });

  it('verifies the signature with the key the manifest names', () => {
    expect(run('> "$WORK/pub.pem"')).toEqual(['Ed25519']);
    const [fingerprint, inSig, inManifest] = run('-outform DER | sha256sum');
    expect(fingerprint).toMatch(/^[0-9a-f]{64} {2}-$/);
    expect(inSig).toBe(fingerprint!.slice(0, 64));
    expect(inManifest).toBe(inSig);
    expect(run('pkeyutl -verify')).toEqual(['Signature Verified Successfully']);
  });

  it('follows the chain with no broken link or gap, all signed by one key', () => {
    const chain = run('BROKEN LINK');
    expect(chain.join('\n')).not.toMatch(/BROKEN LINK|SEQUENCE GAP|not here/);
    expect(chain.at(-1)).toMatch(/^2 packs; head \S+ \(sequence 2\) manifest sha256 [0-9a-f]{64}$/);
    expect(run('uniq -c')).toEqual([expect.stringMatching(/^\s*2 [0-9a-f]{64}$/)]);
  });

  it('leaves every pack byte for byte as sealed (all output in the scratch folder), and verify passes', () => {
    expect(snapshot(evidence)).toEqual(before);
    expect(Object.keys(snapshot(work)).sort()).toEqual(['pub.pem', 'sig.bin']);
    const verify = accessproof(['verify', evidence]);
    expect(verify.stdout).not.toMatch(/file-unlisted/);
    expect(verify.code, verify.stdout).toBe(0);
    expect(relative(evidence, pack)).toMatch(/^packs\/\d{4}\/\d{2}\/\d{2}\//);
  });
});
