/**
 * Runs the real `accessproof` CLI (through tsx, as `npm run accessproof` does) in a child process.
 */
import { spawn, spawnSync } from 'node:child_process';
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

/**
 * The same, without blocking this process: for tests whose servers (dynalite, s3rver) run in the
 * test process itself and must keep answering while the CLI talks to them.
 */
export function accessproofAsync(
  args: string[],
  cwd = ROOT,
  env: Record<string, string> = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(TSX, [join(ROOT, 'cli', 'main.ts'), ...args], {
      cwd,
      env: { ...process.env, CI: 'true', NODE_NO_WARNINGS: '1', ...env },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
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
