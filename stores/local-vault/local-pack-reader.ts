/**
 * `PackReader` over a local evidence folder (`<dir>/packs/YYYY/MM/DD/<runId>/`), for `verify`.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors';
import type { PackReader, PackRef, StoredFile } from '../../core/evidence/ports';

export const STAGING_DIR = '.staging';

/** Large reads keep hashing, not syscalls, the bottleneck. */
const READ_CHUNK = 4 * 1024 * 1024;

/**
 * @example
 * const report = await verifyChain(new LocalPackReader('./out/evidence'));
 */
export class LocalPackReader implements PackReader {
  readonly objectStore = false;

  /**
   * @param options.mustExist - `verify` wants a missing folder to be an error (exit 2); the vault
   *   itself, before its first pack, sees an empty vault.
   */
  constructor(
    readonly dir: string,
    private readonly options: { mustExist?: boolean } = {},
  ) {}

  get location(): string {
    return this.dir;
  }

  async listPacks(): Promise<PackRef[]> {
    await this.assertRoot();
    const packs: PackRef[] = [];
    // packs/<YYYY>/<MM>/<DD>/<runId>: exactly four levels of folders.
    const walk = async (rel: string[], depth: number): Promise<void> => {
      const entries = await readDirs(join(this.dir, 'packs', ...rel));
      for (const name of entries) {
        if (depth === 3) {
          const dir = ['packs', ...rel, name].join('/');
          packs.push({ runId: name, dir, location: join(this.dir, ...dir.split('/')) });
        } else await walk([...rel, name], depth + 1);
      }
    };
    await walk([], 0);
    return packs.sort((a, b) => a.dir.localeCompare(b.dir));
  }

  async listUnsealed(): Promise<string[]> {
    await this.assertRoot();
    const names = await readDirs(join(this.dir, STAGING_DIR));
    return names.map((n) => join(this.dir, STAGING_DIR, n));
  }

  async listFiles(pack: PackRef): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    const walk = async (rel: string[]): Promise<void> => {
      const entries = await readdir(join(this.dir, ...pack.dir.split('/'), ...rel), { withFileTypes: true });
      for (const e of entries) {
        if (e.isDirectory()) await walk([...rel, e.name]);
        else {
          const path = [...rel, e.name].join('/');
          const s = await stat(this.pathOf(pack, path));
          files.push({ path, bytes: s.size });
        }
      }
    };
    await walk([]);
    return files;
  }

  async readFile(pack: PackRef, path: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.pathOf(pack, path));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array> {
    return createReadStream(this.pathOf(pack, path), { highWaterMark: READ_CHUNK });
  }

  private pathOf(pack: PackRef, path: string): string {
    return join(this.dir, ...pack.dir.split('/'), ...path.split('/'));
  }

  private async assertRoot(): Promise<void> {
    if (this.options.mustExist === false) return;
    try {
      const s = await stat(this.dir);
      if (!s.isDirectory()) throw new InputError('not a directory', { file: this.dir });
    } catch (err) {
      if (isNotFound(err)) throw new InputError('no such evidence directory', { file: this.dir });
      throw err;
    }
  }
}

/** Sub-folder names of `dir`, or none when it does not exist. */
async function readDirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
