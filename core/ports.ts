/**
 * Ports: what core needs from the outside world. Adapters live in `stores/`.
 */
import { singleLineBatches } from './lines';
import type { KeptPart, KeptSnapshot } from './snapshot';

/**
 * Where a collection's records accumulate until the snapshot is complete. Local: a temp folder;
 * AWS: an S3 staging prefix. Keys are `<runId>/<sourceId>`.
 */
export interface SnapshotStaging {
  /**
   * Store part `seq` (0-based) of the record lines. Idempotent: the same seq overwrites. The part's
   * text is `lines.join('\n') + '\n'`; an item may hold several lines (the driver joins runs of
   * lines into one string), so count records by newlines, not items.
   */
  writePart(key: string, seq: number, lines: readonly string[]): Promise<void>;
  /**
   * Optional: store part `seq` given as its UTF-8 text (whole lines, each ending with `\n`), as
   * {@link writePart} would have stored the same text. The driver reuses `bytes` once the promise
   * settles: keep a copy, never the view. Without it the driver hands {@link writePart} the text.
   */
  writePartBytes?(key: string, seq: number, bytes: Uint8Array): Promise<void>;
  saveCheckpoint(key: string, body: string): Promise<void>;
  /**
   * Optional, for a staging read back by a scan in the same process: the records of part `seq`,
   * in the order of its lines, each the very object its line was serialized from. The scan then
   * takes them instead of parsing the lines again ({@link SnapshotSource.takeRecords}).
   */
  keepRecords?(key: string, seq: number, part: KeptPart): void;
  loadCheckpoint(key: string): Promise<string | undefined>;
  /**
   * Assemble header line + parts 0…parts-1 into the final gzipped JSONL snapshot and return a
   * reference to it. Must be atomic: a reader never sees a half snapshot.
   */
  finalize(key: string, headerLine: string, parts: number): Promise<SnapshotRef>;
}

/** A sealed snapshot file. */
export interface SnapshotRef {
  /** Where it is: a local path or `s3://…` URL. */
  location: string;
  sha256: string;
  bytes: number;
  /** Lines after the header. */
  records: number;
}

/** Reads a finalized snapshot back, line by line (header first). */
export interface SnapshotSource {
  lines(location: string): AsyncIterable<string>;
  /**
   * The same lines in batches (every line one read completes): one promise per batch, not per
   * line. Optional: `snapshotLineBatches` falls back to `lines`.
   */
  lineBatches?(location: string): AsyncIterable<string[]>;
  /**
   * The kept records of a finalized snapshot (see {@link SnapshotStaging.keepRecords}), handed out
   * once; undefined when they were not kept (another process wrote it, or a part is missing).
   */
  takeRecords?(location: string): KeptSnapshot | undefined;
}

/** Reads a finalized snapshot's stored bytes (gzip), for copying into an evidence pack. */
export interface SnapshotBytes {
  bytes(location: string): AsyncIterable<Uint8Array>;
}

/**
 * Keeps what one step of a run hands the next when it is too big for a Step Functions payload
 * (the scan result). One machine: in memory (the steps share a process); AWS: JSON under an S3
 * staging prefix. Values are plain JSON data.
 */
export interface RunStore {
  put(key: string, value: unknown): Promise<void>;
  /** `undefined` when the key was never written. */
  get<T>(key: string): Promise<T | undefined>;
  /**
   * A list too large for one JSON text (a shard's drafts at 10x: ~110k of them, 150 MB), one JSON
   * document per line, streamed out without ever being one string. Appears whole or not at all.
   */
  putLines(key: string, lines: Iterable<string>): Promise<void>;
  /** The lines `putLines` stored, in order, streamed; `undefined` when the key was never written. */
  getLines(key: string): Promise<AsyncIterable<string> | undefined>;
  /** `getLines` in batches of lines (optional: `runStoreLineBatches` falls back to `getLines`). */
  getLineBatches?(key: string): Promise<AsyncIterable<string[]> | undefined>;
}

/** A snapshot's lines in batches, from `lineBatches` when the source has it. */
export function snapshotLineBatches(source: SnapshotSource, location: string): AsyncIterable<string[]> {
  return source.lineBatches ? source.lineBatches(location) : singleLineBatches(source.lines(location));
}

/** A run store list's lines in batches, from `getLineBatches` when the store has it. */
export async function runStoreLineBatches(
  store: RunStore,
  key: string,
): Promise<AsyncIterable<string[]> | undefined> {
  if (store.getLineBatches) return store.getLineBatches(key);
  const lines = await store.getLines(key);
  return lines && singleLineBatches(lines);
}

/** The steps of a run in one process hand each other the objects themselves: nothing to serialize. */
export class MemoryRunStore implements RunStore {
  private readonly values = new Map<string, unknown>();
  private readonly lists = new Map<string, string[]>();
  async put(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
  async get<T>(key: string): Promise<T | undefined> {
    return this.values.get(key) as T | undefined;
  }
  async putLines(key: string, lines: Iterable<string>): Promise<void> {
    this.lists.set(key, [...lines]);
  }
  async getLines(key: string): Promise<AsyncIterable<string> | undefined> {
    const list = this.lists.get(key);
    if (!list) return undefined;
    return (async function* () {
      yield* list;
    })();
  }
  async getLineBatches(key: string): Promise<AsyncIterable<string[]> | undefined> {
    const list = this.lists.get(key);
    if (!list) return undefined;
    return (async function* () {
      yield list;
    })();
  }
}
