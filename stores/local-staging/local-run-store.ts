/**
 * A RunStore in a folder (`<root>/<key>` as JSON): what the steps of a sharded scan hand each other
 * when they run in separate processes on one machine (`scan --shards N`). Writes go to a temporary
 * name first, so a reader never sees half a value.
 */

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { splitLineBatches, splitLines } from '../../core/lines';
import type { RunStore } from '../../core/ports';

export class LocalRunStore implements RunStore {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`run store key ${key} leaves ${this.root}`);
    return path;
  }

  async put(key: string, value: unknown): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, JSON.stringify(value));
    await rename(`${path}.tmp`, path);
  }

  async putLines(key: string, lines: Iterable<string>): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const out = createWriteStream(`${path}.tmp`);
    const failed = once(out, 'error').then(([err]) => {
      throw err;
    });
    failed.catch(() => {});
    // Lines batched to ~1 MB writes; waits for the stream to drain, so memory stays flat.
    let batch = '';
    for (const line of lines) {
      batch += `${line}\n`;
      if (batch.length >= 1 << 20) {
        if (!out.write(batch)) await Promise.race([once(out, 'drain'), failed]);
        batch = '';
      }
    }
    out.end(batch);
    await Promise.race([once(out, 'finish'), failed]);
    await rename(`${path}.tmp`, path);
  }

  async getLines(key: string): Promise<AsyncIterable<string> | undefined> {
    const text = await this.textOf(key);
    return text && splitLines(text);
  }

  async getLineBatches(key: string): Promise<AsyncIterable<string[]> | undefined> {
    const text = await this.textOf(key);
    return text && splitLineBatches(text);
  }

  /** The stored text of `key` in 1 MiB chunks; undefined when nothing is stored there. */
  private async textOf(key: string): Promise<AsyncIterable<string> | undefined> {
    const path = this.pathOf(key);
    try {
      await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>;
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.pathOf(key), 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
}
