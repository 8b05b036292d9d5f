/**
 * Runs the real `accessproof` CLI (through tsx, as `npm run accessproof` does) in a child process.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function accessproof(args: string[], cwd = ROOT, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(TSX, [join(ROOT, 'cli', 'main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NODE_NO_WARNINGS: '1', ...env },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'accessproof-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A private copy of the demo tenant (and the starter ruleset) that a test may break. */
export function copyDemo(): { dir: string; config: string } {
  const dir = tempDir('accessproof-demo-');
  // Same relative layout as the repository, so the config's `../../rules/…` still resolves.
  cpSync(join(ROOT, 'examples', 'demo'), join(dir, 'examples', 'demo'), { recursive: true });
  cpSync(join(ROOT, 'rules'), join(dir, 'rules'), { recursive: true });
  return { dir, config: join(dir, 'examples', 'demo', 'accessproof.yaml') };
}
