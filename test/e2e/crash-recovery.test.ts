/**
 * A scan killed at any step boundary never wedges the state: the next scan succeeds, `verify`
 * passes, and the dead run's debris (snapshots, unsealed staging) is gone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo, supportScript, tempDir } from './cli-helpers';

const CRASH_SCAN = supportScript('crash-scan');
const AS_OF = '2026-10-01T00:00:00Z';

/** true when the process died of SIGKILL (run through tsx, node runs as its child: it reports 128 + 9). */
function crashAt(config: string, out: string, point: string): boolean {
  const r = spawnSync(CRASH_SCAN[0], [...CRASH_SCAN.slice(1), config, out, point, AS_OF], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NODE_NO_WARNINGS: '1' },
    timeout: 120_000,
  });
  return r.signal === 'SIGKILL' || r.status === 137;
}

function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('a scan killed at a step boundary', { timeout: 300_000 }, () => {
  const { dir, config } = copyDemo();
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The first run has no evidence folder yet: the case that used to wedge the state. After a good
  // run, `staged` is the one that leaves debris beside a sealed pack.
  const cases: Array<[string, boolean]> = [
    ['reserved', true],
    ['staged', true],
    ['sealed', true],
    ['committed', true],
    ['staged', false],
  ];
  for (const [point, first] of cases) {
    it(`${point}, ${first ? 'during the first run' : 'after a good run'}: the next run succeeds and verify passes`, () => {
      const out = tempDir('accessproof-crash-');
      try {
        if (!first)
          expect(accessproof(['scan', '--config', config, '--out', out, '--as-of', AS_OF]).code).toBe(0);
        expect(crashAt(config, out, point)).toBe(true);

        const next = accessproof(['scan', '--config', config, '--out', out, '--as-of', AS_OF]);
        expect(next.stderr).toBe('');
        expect(next.code).toBe(0);
        const verify = accessproof(['verify', join(out, 'evidence')]);
        expect(verify.stdout).not.toMatch(/unsealed|warning/i);
        expect(verify.code).toBe(0);
        expect(entries(join(out, 'state', 'runs'))).toEqual([]);
        expect(entries(join(out, 'evidence', '.staging'))).toEqual([]);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });
  }
});
