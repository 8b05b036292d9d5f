/**
 * `PackReader` over a local evidence folder (`<dir>/packs/YYYY/MM/DD/<runId>/`), for `verify`.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
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
    let fh: FileHandle;
    try {
      fh = await openRegular(this.pathOf(pack, path));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array> {
    const file = this.pathOf(pack, path);
    return (async function* () {
      const fh = await openRegular(file);
      try {
        yield* fh.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false });
      } finally {
        await fh.close();
      }
    })();
  }

  /**
   * Two reused buffers, the next read in flight while `consume` hashes the current one: no buffer
   * is allocated per chunk, so hashing a 500 MB pack makes no garbage (with `openFile`'s fresh
   * 4 MiB chunks verify spent a third of its time in garbage collection and page faults).
   */
  async readChunks(pack: PackRef, path: string, consume: (chunk: Uint8Array) => void): Promise<void> {
    const fh = await openRegular(this.pathOf(pack, path));
    try {
      const buffers = [Buffer.allocUnsafeSlow(READ_CHUNK), Buffer.allocUnsafeSlow(READ_CHUNK)];
      let position = 0;
      let current = 0;
      let pending = fh.read(buffers[0]!, 0, READ_CHUNK, 0);
      for (;;) {
        const { bytesRead } = await pending;
        if (bytesRead === 0) return;
        position += bytesRead;
        const chunk = buffers[current]!.subarray(0, bytesRead);
        current ^= 1;
        pending = fh.read(buffers[current]!, 0, READ_CHUNK, position);
        try {
          consume(chunk);
        } catch (err) {
          // Never close the handle under a read in flight.
          await pending.catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await fh.close();
    }
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

/**
 * A pack file, opened only if it is a regular file: not a symlink (to `/dev/zero`, say), not a
 * FIFO (whose open or read would wait forever), not a device. `verify` must end on any folder.
 */
async function openRegular(file: string): Promise<FileHandle> {
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error(`${file} is a symbolic link, not a regular file: refused`);
    throw err;
  }
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new Error(`${file} is not a regular file (FIFO, device or folder): refused`);
  }
  return fh;
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
