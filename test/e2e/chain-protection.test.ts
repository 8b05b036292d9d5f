/**
 * Losing the state folder or the signing key must not silently fork the chain or change its key:
 * `scan` refuses (exit 2) unless told `--new-chain` / `--rotate-key` with a reason, which the next
 * pack seals and `verify` reports as documented (issue 11, defect 3).
 */
import { cpSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

const AS_OF = '2026-10-01T00:00:00Z';

function packDirs(evidence: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir)) {
      if (depth === 3) out.push(join(dir, name));
      else walk(join(dir, name), depth + 1);
    }
  };
  walk(join(evidence, 'packs'), 0);
  return out;
}

// Several CLI runs per test: slow on a shared machine, so each test gets five minutes.
describe('the chain protects itself', { timeout: 300_000 }, () => {
  const { dir, config } = copyDemo();
  const out = tempDir('accessproof-chain-');
  const evidence = join(out, 'evidence');
  const scan = (...extra: string[]) =>
    accessproof(['scan', '--config', config, '--out', out, '--as-of', AS_OF, ...extra]);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('refuses a second chain after the state is lost, unless --new-chain --reason; verify reports it as documented', () => {
    expect(scan().code).toBe(0);
    rmSync(join(out, 'state'), { recursive: true, force: true });

    const refused = scan();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/evidence: the evidence folder holds a chain .* --new-chain --reason/);
    expect(packDirs(evidence)).toHaveLength(1);
    expect(scan('--new-chain').code).toBe(2); // a reason is required

    const started = scan('--new-chain', '--reason', 'state folder lost with the old laptop');
    expect(started.stderr).toBe('');
    expect(started.code).toBe(0);
    expect(started.stdout).toMatch(/first pack of the chain/);
    const verify = accessproof(['verify', evidence]);
    expect(verify.stdout).toMatch(
      /documented new chain after pack #1 .*state folder lost with the old laptop/,
    );
    expect(verify.stdout).not.toMatch(/chain-fork|forks|more than one chain/);
    expect(verify.code).toBe(0);
  });

  it('refuses a new signing key, unless --rotate-key --reason; verify reports the rotation; --key takes a fingerprint', () => {
    const oldPub = readFileSync(join(out, 'state', 'keys', 'manifest-signing.pub.pem'), 'utf8');
    rmSync(join(out, 'state', 'keys'), { recursive: true, force: true });
    const refused = scan();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/manifest-signing\.pem: the chain's last pack .* --rotate-key --reason/);
    expect(scan('--rotate-key').code).toBe(2);

    const rotated = scan('--rotate-key', '--reason', 'key retired by security policy');
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const fingerprint = /signing key fingerprint ([0-9a-f]{64})/.exec(rotated.stdout)?.[1];
    expect(fingerprint).toBeDefined();
    const verify = accessproof(['verify', evidence]);
    expect(verify.stdout).toMatch(/documented key rotation .* key retired by security policy/);
    expect(verify.code).toBe(0);

    // --key pins every pack: the old key's packs do not match the new key's fingerprint.
    expect(accessproof(['verify', evidence, '--key', fingerprint!]).stdout).toMatch(/\[matches --key\]/);
    expect(oldPub).not.toBe(readFileSync(join(out, 'state', 'keys', 'manifest-signing.pub.pem'), 'utf8'));
    expect(accessproof(['verify', evidence, '--key', 'f'.repeat(64)]).code).toBe(1);
    expect(accessproof(['verify', evidence, '--key', 'not-a-key-or-file']).code).toBe(2);
  });

  it('verify refuses a pack moved to another date folder', () => {
    const copy = tempDir('accessproof-moved-');
    try {
      cpSync(evidence, join(copy, 'evidence'), { recursive: true });
      const [pack] = packDirs(join(copy, 'evidence'));
      const moved = pack!.replace(/\/packs\/(\d{4})\//, (_, y) => `/packs/${Number(y) - 1}/`);
      cpSync(join(pack!, '..', '..', '..'), join(moved, '..', '..', '..'), { recursive: true });
      rmSync(join(pack!, '..', '..', '..'), { recursive: true, force: true });
      renameSync(join(moved, '..', '..', '..'), join(moved, '..', '..', '..'));
      const verify = accessproof(['verify', join(copy, 'evidence')]);
      expect(verify.stdout).toMatch(/is at packs\/\d{4}\/.* files it under packs\//);
      expect(verify.code).toBe(1);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
