import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's test command also guards the engineering rules: strict types and Biome's lint,
// including core/'s ban on SDK imports, I/O and process.env.
const ROOT = resolve(import.meta.dirname, '../..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

describe('static checks', () => {
  it('type-checks with strict and noUncheckedIndexedAccess', () => {
    // A hang guard, not a speed check: tsc alone takes ~60 s quiet and passed 180 s in two full
    // suites run beside heavy benches (load 15-25), failing a type-clean tree.
    const r = spawnSync(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 600_000);

  it('passes Biome lint and format', () => {
    const r = spawnSync(bin('biome'), ['check', '--max-diagnostics=20', '.'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 60_000);
});
