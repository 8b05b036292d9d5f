/**
 * SnapshotStaging and SnapshotSource on a local folder: parts and checkpoints under
 * `<root>/<key>/`, the final snapshot as `<root>/<key>.jsonl.gz`, written to a temporary name
 * and renamed so a reader never sees half a snapshot.
 *
 * With `keepRecords`, the records the collection serialized stay in memory beside the file, and
 * a scan in the same process takes them instead of parsing every line again (`accessproof scan`).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { splitLineBatches, splitLines } from '../../core/lines';
import type { SnapshotRef, SnapshotSource, SnapshotStaging } from '../../core/ports';
import type { KeptPart, KeptSnapshot, SnapshotHeader } from '../../core/snapshot';

/** Fastest gzip level: snapshots are large and written once; level 1 keeps sealing I/O-bound. */
const GZIP_LEVEL = constants.Z_BEST_SPEED;

export interface LocalStagingOptions {
  /** Keep each snapshot's records in memory for one {@link LocalSnapshotStaging.takeRecords}. */
  keepRecords?: boolean;
}

export class LocalSnapshotStaging implements SnapshotStaging, SnapshotSource {
  /** Key → kept parts by seq, while the collection runs. */
  private readonly keeping = new Map<string, KeptPart[]>();
  /** Finalized location → its kept snapshot, until taken. */
  private readonly kept = new Map<string, KeptSnapshot>();
  readonly keepRecords?: (key: string, seq: number, part: KeptPart) => void;

  constructor(
    private readonly root: string,
    options: LocalStagingOptions = {},
  ) {
    if (options.keepRecords) {
      this.keepRecords = (key, seq, part) => {
        let parts = this.keeping.get(key);
        if (!parts) {
          parts = [];
          this.keeping.set(key, parts);
        }
        parts[seq] = part;
      };
    }
  }

  takeRecords(location: string): KeptSnapshot | undefined {
    const snapshot = this.kept.get(location);
    this.kept.delete(location);
    return snapshot;
  }

  private dirOf(key: string): string {
    return join(this.root, key);
  }

  async writePart(key: string, seq: number, lines: readonly string[]): Promise<void> {
    const dir = this.dirOf(key);
    await mkdir(dir, { recursive: true });
    const path = join(dir, partName(seq));
    await writeFile(`${path}.tmp`, lines.length ? `${lines.join('\n')}\n` : '');
    await rename(`${path}.tmp`, path);
  }

  async writePartBytes(key: string, seq: number, bytes: Uint8Array): Promise<void> {
    const dir = this.dirOf(key);
    await mkdir(dir, { recursive: true });
    const path = join(dir, partName(seq));
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
  }

  async saveCheckpoint(key: string, body: string): Promise<void> {
    const dir = this.dirOf(key);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'checkpoint.json.tmp'), body);
    await rename(join(dir, 'checkpoint.json.tmp'), join(dir, 'checkpoint.json'));
  }

  async loadCheckpoint(key: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.dirOf(key), 'checkpoint.json'), 'utf8');
    } catch {
      return undefined;
    }
  }

  async finalize(key: string, headerLine: string, parts: number): Promise<SnapshotRef> {
    const target = `${this.dirOf(key)}.jsonl.gz`;
    await mkdir(dirname(target), { recursive: true });
    const hash = createHash('sha256');
    let bytes = 0;
    let records = 0;
    const dir = this.dirOf(key);
    async function* body() {
      yield Buffer.from(`${headerLine}\n`);
      for (let i = 0; i < parts; i++) {
        const chunk = await readFile(join(dir, partName(i)));
        for (let j = chunk.indexOf(10); j !== -1; j = chunk.indexOf(10, j + 1)) records++;
        yield chunk;
      }
    }
    const gzip = createGzip({ level: GZIP_LEVEL });
    gzip.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    await pipeline(body, gzip, createWriteStream(`${target}.tmp`));
    await rename(`${target}.tmp`, target);
    await rm(dir, { recursive: true, force: true });
    const keptParts = this.keeping.get(key) ?? (this.keepRecords && parts === 0 ? [] : undefined);
    this.keeping.delete(key);
    // Only a snapshot whose every part was kept here (a collection resumed in a new process was not).
    let whole = keptParts !== undefined && keptParts.length === parts;
    for (let i = 0; whole && i < parts; i++) whole = keptParts?.[i] !== undefined;
    if (whole && keptParts) {
      this.kept.set(target, { header: JSON.parse(headerLine) as SnapshotHeader, parts: keptParts });
    } else this.kept.delete(target);
    return { location: target, sha256: hash.digest('hex'), bytes, records };
  }

  lines(location: string): AsyncIterable<string> {
    return readGzipLines(location);
  }

  /** `lines` in batches, one per decompressed chunk (issue 18: no promise per line). */
  lineBatches(location: string): AsyncIterable<string[]> {
    return {
      [Symbol.asyncIterator]: () => splitLineBatches(gunzipText(location))[Symbol.asyncIterator](),
    };
  }

  /** The stored (gzip) bytes of a finalized snapshot, in large chunks. */
  async *bytes(location: string): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(location, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  }

  async size(location: string): Promise<number> {
    return (await stat(location)).size;
  }
}

function partName(seq: number): string {
  return `part-${String(seq).padStart(6, '0')}.jsonl`;
}

/**
 * Lines of a gzipped text file, split by `splitLines` (no readline). The file is opened when
 * iteration starts, not when this is called, and the lines come straight from `splitLines`'s
 * generator (no second generator in between on this hot path).
 */
export function readGzipLines(path: string): AsyncIterable<string> {
  return {
    [Symbol.asyncIterator]: () => splitLines(gunzipText(path))[Symbol.asyncIterator](),
  };
}

/** A gzipped file's text, decoded as a stream so a multi-byte character split across chunks stays whole. */
function gunzipText(path: string): AsyncIterable<string> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
    createGunzip({ chunkSize: 1 << 20 }),
  );
  stream.setEncoding('utf8');
  return stream as AsyncIterable<string>;
}
