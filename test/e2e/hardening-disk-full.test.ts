/**
 * A disk that fills up while a pack is written (issue 11, "ENOSPC says the disk is full and leaves
 * no half pack"). The evidence folder is a small tmpfs filled to a few KiB of free space, so the
 * pack writer meets a real ENOSPC from the kernel; mounting it needs root (CI runs as root), so
 * elsewhere the test is skipped and says why.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo } from './cli-helpers';

const AS_OF = '2026-10-01T00:00:00Z';

/** Mount a tmpfs of `size` at `dir`; the reason it cannot be done, or undefined when mounted. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs the suite as root)';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount -t tmpfs failed: ${r.stderr.trim() || r.error?.message}`;
}

const probe = join(
  process.env.TMPDIR ?? '/tmp',
  `accessproof-enospc-probe-${process.pid}-${Date.now().toString(36)}`,
);
mkdirSync(probe, { recursive: true });
const cannotMount = mountTmpfs(probe, '64k');
if (!cannotMount) spawnSync('umount', [probe]);
rmSync(probe, { recursive: true, force: true });

/** Every entry under `dir`, relative. */
function tree(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : [];
}

describe.skipIf(cannotMount !== undefined)(
  `a full disk while a pack is written${cannotMount ? ` (skipped: ${cannotMount})` : ''}`,
  () => {
    const { dir, config } = copyDemo();
    const out = join(dir, 'out');
    const evidence = join(out, 'evidence');
    const filler = join(evidence, 'filler.bin');
    const args = ['scan', '--config', config, '--as-of', AS_OF, '--out', out, '--quiet'];
    let mounted = false;

    beforeAll(() => {
      mkdirSync(evidence, { recursive: true });
      expect(mountTmpfs(evidence, '16m')).toBeUndefined();
      mounted = true;
    });
    afterAll(() => {
      if (mounted) spawnSync('umount', ['-l', evidence]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('is one line saying the disk is full, exit 1, no half pack, chain not advanced; the next run seals and verifies', () => {
      // Arrange: a first pack, then the disk filled to 16 KiB of free space
      const first = accessproof(args);
      expect(first.code, first.stderr).toBe(0);
      const packsBefore = tree(join(evidence, 'packs'));
      const stateBefore = accessproof(['runs', 'list', '--out', out, '--format', 'json']);
      const { bavail, bsize } = statfsSync(evidence);
      writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - 16 * 1024)));

      // Act
      const full = accessproof(args);
      const stateAfter = accessproof(['runs', 'list', '--out', out, '--format', 'json']);

      // Assert: one line, exit 1 (not input), nothing half-written, nothing reserved
      expect(full.code, full.stderr).toBe(1);
      expect(full.stderr.trim().split('\n')).toHaveLength(1);
      expect(full.stderr).toMatch(
        /^accessproof: the disk is full \(ENOSPC\).*nothing was sealed; free space and run again$/m,
      );
      expect(full.stderr).not.toMatch(/\n\s+at /);
      expect(tree(join(evidence, 'packs'))).toEqual(packsBefore);
      expect(tree(join(evidence, '.staging'))).toEqual([]);
      expect(stateAfter.stdout).toBe(stateBefore.stdout);

      // Act: space again
      rmSync(filler);
      const next = accessproof(args);
      const verify = accessproof(['verify', evidence]);

      // Assert: the next pack continues the chain right after the first (sequence 2)
      expect(next.code, next.stderr).toBe(0);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      const manifests = tree(join(evidence, 'packs')).filter((p) => p.endsWith('manifest.json'));
      expect(manifests).toHaveLength(2);
      const sequences = manifests
        .map(
          (m) =>
            (JSON.parse(readFileSync(join(evidence, 'packs', m), 'utf8')) as { sequence: number }).sequence,
        )
        .sort();
      expect(sequences).toEqual([1, 2]);
    }, 300_000);
  },
);
