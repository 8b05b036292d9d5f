/**
 * `accessproof verify --expect-head SEQUENCE:SHA256` end to end (issue 14): the anchor an auditor
 * kept outside the account is the one thing a deleted or rewritten newest pack cannot change.
 * The evidence folder is copied without the findings store beside it, as an auditor receives it,
 * so only the anchor can tell that the newest pack is gone.
 */
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, tempDir } from './cli-helpers';

/** Every pack folder under an evidence root, oldest first (packs/YYYY/MM/DD/<runId>). */
function packs(evidence: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (!statSync(p).isDirectory()) continue;
      if (depth === 3) out.push(p);
      else walk(p, depth + 1);
    }
  };
  walk(join(evidence, 'packs'), 0);
  return out.sort();
}

/** `SEQUENCE:SHA256` of the chain head `verify` printed. */
function headOf(stdout: string): string {
  const m = /Chain head: \S+ \(sequence (\d+), manifest sha256 ([0-9a-f]{64})\)/.exec(stdout);
  if (!m) throw new Error(`no chain head in:\n${stdout}`);
  return `${m[1]}:${m[2]}`;
}

describe('accessproof verify --expect-head', () => {
  const out = tempDir();
  const received = join(tempDir(), 'evidence');
  let anchors: string[];

  beforeAll(() => {
    // Arrange (shared): two sealed runs; the auditor kept the anchor of each.
    anchors = [];
    for (let run = 0; run < 2; run++) {
      expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);
      anchors.push(headOf(accessproof(['verify', join(out, 'evidence')]).stdout));
    }
    cpSync(join(out, 'evidence'), received, { recursive: true });
  }, 240_000);
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(join(received, '..'), { recursive: true, force: true });
  });

  it('passes when the chain ends exactly at the anchored head', () => {
    // Act
    const r = accessproof(['verify', received, '--expect-head', anchors[1]!]);

    // Assert
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(anchors[1]).toMatch(/^2:[0-9a-f]{64}$/);
    expect(r.stdout).toContain('VERIFIED');
  });

  it('fails when packs were sealed after the anchor, naming the newer pack', () => {
    // Act
    const r = accessproof(['verify', received, '--expect-head', anchors[0]!]);

    // Assert
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR \[head-mismatch\] expected head #1 .*but the chain goes on to #2 /);
  });

  it('fails when the newest pack was deleted: the remaining chain verifies on its own, the anchor does not', () => {
    // Arrange
    const copy = join(tempDir(), 'evidence');
    cpSync(received, copy, { recursive: true });
    rmSync(packs(copy).at(-1)!, { recursive: true });

    // Act
    const plain = accessproof(['verify', copy]);
    const anchored = accessproof(['verify', copy, '--expect-head', anchors[1]!]);
    rmSync(join(copy, '..'), { recursive: true, force: true });

    // Assert
    expect(plain.code).toBe(0);
    expect(anchored.code).toBe(1);
    expect(anchored.stdout).toMatch(
      /ERROR \[head-mismatch\] expected head #2 \(manifest sha256 [0-9a-f]{64}\)/,
    );
    expect(anchored.stdout).toContain('VERIFICATION FAILED');
  });

  it('refuses a malformed anchor with exit 2, naming the option', () => {
    // Act
    const r = accessproof(['verify', received, '--expect-head', '2:not-a-hash']);

    // Assert
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--expect-head');
    expect(r.stdout).not.toContain('VERIFIED');
  });
});
