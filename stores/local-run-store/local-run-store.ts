/**
 * RunStore on a local folder: each key a file, written to a temporary name and renamed.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { RunStore } from '../../core/ports';

export class LocalRunStore implements RunStore {
  constructor(private readonly root: string) {}

  private pathOf(key: string): string {
    const rel = normalize(key);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new Error(`run store key escapes its folder: ${key}`);
    return join(this.root, rel);
  }

  async put(key: string, body: string): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, body);
    await rename(`${path}.tmp`, path);
  }

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
