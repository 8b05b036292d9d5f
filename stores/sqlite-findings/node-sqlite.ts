/**
 * Loads Node's built-in `node:sqlite` without printing its one-time ExperimentalWarning.
 *
 * Why this way: the warning is emitted through `process.emitWarning` while the module loads, so
 * for that one synchronous load we wrap `emitWarning` and drop exactly that warning (type
 * `ExperimentalWarning`, message starting `SQLite is an experimental feature`), then restore it.
 * Every other warning still prints, no listener is removed, and no flag (`--no-warnings`) hides
 * warnings process-wide.
 */
import { createRequire } from 'node:module';

type SqliteModule = typeof import('node:sqlite');

let loaded: SqliteModule | undefined;

/**
 * @example
 * const { DatabaseSync } = loadNodeSqlite();
 */
export function loadNodeSqlite(): SqliteModule {
  if (loaded) return loaded;
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const message = typeof warning === 'string' ? warning : warning.message;
    const type =
      typeof rest[0] === 'string'
        ? rest[0]
        : ((rest[0] as { type?: string } | undefined)?.type ??
          (typeof warning === 'string' ? undefined : warning.name));
    if (type === 'ExperimentalWarning' && message.startsWith('SQLite is an experimental feature')) return;
    return (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } catch (cause) {
    throw new Error(
      `node:sqlite is not available in Node ${process.versions.node}: the local findings store needs Node 22.13 or newer`,
      { cause },
    );
  } finally {
    process.emitWarning = original;
  }
  return loaded;
}
