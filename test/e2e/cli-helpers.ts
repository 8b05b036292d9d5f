/**
 * Runs the real `accessproof` CLI in a child process: the sources as bundled for this test run by
 * test/support/cli-bundle.ts (vitest globalSetup), with plain node; through tsx from cli/main.ts
 * (as `npm run accessproof` does) when no bundle was provided.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inject } from 'vitest';

export const ROOT = resolve(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const BUNDLE: string | undefined = inject('cliBundle');

/**
 * The command line that starts the CLI (program and leading arguments; append the CLI's own),
 * e.g. `spawn(CLI[0], [...CLI.slice(1), 'scan', '--demo'])`.
 */
export const CLI: readonly [string, ...string[]] = BUNDLE
  ? [process.execPath, join(BUNDLE, 'main.js')]
  : [TSX, join(ROOT, 'cli', 'main.ts')];

/**
 * The same for a TypeScript script of the tests that runs CLI code (test/e2e/support/NAME.ts):
 * bundled with the CLI when a bundle was provided.
 */
export function supportScript(name: string): readonly [string, ...string[]] {
  return BUNDLE
    ? [process.execPath, join(BUNDLE, `${name}.js`)]
    : [TSX, join(ROOT, 'test', 'e2e', 'support', `${name}.ts`)];
}

/** `CLI` as one shell word list, for tests that run it in a pipeline through bash. */
export const CLI_SHELL = CLI.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function accessproof(args: string[], cwd = ROOT, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(CLI[0], [...CLI.slice(1), ...args], {
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
    const child = spawn(CLI[0], [...CLI.slice(1), ...args], {
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

export interface KeptState {
  /** Put the kept copy back at the same path, replacing whatever is there now. */
  restore(): void;
  /** Remove the kept copy. */
  dispose(): void;
}

/**
 * Keep a copy of `dir` as it is now (e.g. a demo copy right after a good scan), so that every test
 * of a file can start from that state without running the scan again: `restore()` puts it back at
 * the same path, so absolute paths the state recorded stay true.
 */
export function keepState(dir: string): KeptState {
  const kept = tempDir('accessproof-kept-');
  cpSync(dir, kept, { recursive: true, verbatimSymlinks: true });
  return {
    restore() {
      rmSync(dir, { recursive: true, force: true });
      cpSync(kept, dir, { recursive: true, verbatimSymlinks: true });
    },
    dispose() {
      rmSync(kept, { recursive: true, force: true });
    },
  };
}
