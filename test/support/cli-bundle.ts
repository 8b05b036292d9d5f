/**
 * vitest globalSetup: builds the CLI from source once per test run, so end-to-end tests start it
 * with plain `node` instead of `tsx` (tsx starts a second Node process and transforms and resolves
 * every TypeScript file on every start: about 1 s per CLI run, 2 s per demo scan).
 *
 * Same code: esbuild (the transformer tsx itself uses) bundles the sources as they are now, every
 * run, never committed; npm packages stay external, loaded from node_modules as under tsx. The
 * folder sits directly under the repository root, at the same depth as cli/main.ts, so paths the
 * CLI resolves from import.meta.url (../package.json, ../examples/demo) reach the same files; the
 * shard worker is built beside main.js where cli/shard-runner.ts looks for it.
 *
 * Each run builds its own folder (runs in one worktree may overlap) and removes it at the end.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding main.js (the CLI), shard-worker.js and the tests' scripts (NAME.js), built from source. */
    cliBundle: string;
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
/** Folders `.cli-bundle-*` under the root (gitignored); one per test run. */
export const BUNDLE_PREFIX = '.cli-bundle-';

export default async function setup(project: TestProject): Promise<() => void> {
  removeStale();
  const dir = join(ROOT, `${BUNDLE_PREFIX}${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir);
  await build({
    absWorkingDir: ROOT,
    entryPoints: {
      main: 'cli/main.ts',
      'shard-worker': 'cli/shard-worker.ts',
      // The seal's OCSF thread, beside the code that starts it (stores/local-vault/ocsf-thread.ts).
      'ocsf-thread-worker': 'stores/local-vault/ocsf-thread-worker.ts',
      // The worker thread that collects files-mode sources beside the main one (cli/collect-thread.ts).
      'collect-thread-worker': 'cli/collect-thread-worker.ts',
      // The crash-recovery test's scan that kills itself at a step boundary (test/e2e/support).
      'crash-scan': 'test/e2e/support/crash-scan.ts',
      // The scan lock's racing and stalling processes (test/integration/cli/state-lock.test.ts).
      'lock-contender': 'test/integration/cli/lock-contender.ts',
      'lock-stalled-creator': 'test/integration/cli/lock-stalled-creator.ts',
    },
    outdir: dir,
    bundle: true,
    splitting: true, // commands stay lazily loaded chunks, as cli/main.ts loads them
    format: 'esm',
    platform: 'node',
    target: 'node22',
    packages: 'external',
    tsconfig: join(ROOT, 'tsconfig.json'),
    logLevel: 'warning',
  });
  project.provide('cliBundle', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}

/** Folders left by runs that were killed before their teardown (older than a day). */
function removeStale(): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(ROOT)) {
    if (!name.startsWith(BUNDLE_PREFIX)) continue;
    const path = join(ROOT, name);
    if (statSync(path).mtimeMs < dayAgo) rmSync(path, { recursive: true, force: true });
  }
}
