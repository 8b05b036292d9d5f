/**
 * Where inputs may be read from: the config file's folder tree and the folders its `inputRoots`
 * names. A path written as `../../etc/x`, or a symlink inside the folder that points elsewhere,
 * would otherwise let a config (or a planted file in an export folder) make a scan read and seal
 * anything the operator can read.
 *
 * The CLI checks the paths the config names when it loads it, and runs the scan inside
 * `withInputRoots`, so every file a connector opens (also the ones found inside an export folder:
 * Entra, Salesforce, SAP) is checked on its open descriptor. Outside such a scope (the Lambda
 * functions, which read staged copies) nothing is checked here.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { InputError } from '../../core/errors';

const scope = new AsyncLocalStorage<readonly string[]>();

/** Run `fn` (and everything it starts) with file reads limited to `roots` (real, absolute paths). */
export function withInputRoots<T>(roots: readonly string[], fn: () => T): T {
  return scope.run(roots, fn);
}

/** The roots in force, or undefined when reads are not limited. */
export function currentInputRoots(): readonly string[] | undefined {
  return scope.getStore();
}

/** Whether a real path is one of `roots` or inside one of them. */
export function isInsideRoots(real: string, roots: readonly string[]): boolean {
  return roots.some((r) => real === r || real.startsWith(r.endsWith(sep) ? r : r + sep));
}

/**
 * The real path of `path`, symlinks resolved. A path that does not exist (yet) resolves through
 * its nearest existing ancestor, so `../../missing` is still seen to leave the folder.
 */
export function realPathOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(realPathOf(parent), basename(path));
  }
}

/** The reason text when a resolved path is outside the roots. */
export function outsideRootsMessage(real: string, written: string): string {
  const resolved = real === written ? '' : ` (it resolves to ${real})`;
  return `is outside the config file's folder and every inputRoots entry${resolved}; move it there or add its folder to inputRoots in the config`;
}

/**
 * Refuse an opened file that is outside the roots in force. The descriptor's own path is used
 * (Linux `/proc/self/fd`), so a symlink swapped after the check cannot redirect the read.
 */
export function checkOpenedInsideRoots(fd: number, path: string, label: string): void {
  const roots = scope.getStore();
  if (!roots) return;
  let real: string;
  try {
    real = readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    real = realPathOf(path);
  }
  if (!isInsideRoots(real, roots)) throw new InputError(outsideRootsMessage(real, label), { file: label });
}
