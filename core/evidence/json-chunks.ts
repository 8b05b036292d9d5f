/**
 * Streams JSON documents as UTF-8 chunks: the pack's `findings.jsonl` (one document per line) and
 * `findings.ocsf.json` (one array, one element per line), written in the seal's thread or in a
 * worker thread (`ocsf-lines.ts`), with the same framing either way.
 */

/**
 * Bytes per streamed chunk. Each document's JSON is written straight into a buffer (no joined
 * strings, no encoder copies): a 200k-finding pack holds ~1.6 GB of JSON. The strings stay small
 * (one finding) and in V8's young generation; buffers live outside the heap and are never reused,
 * since a writer may keep a chunk after asking for the next (issue 11: large joined strings went
 * to the old generation and forced full garbage collections of the whole heap).
 */
export const CHUNK_BYTES = 256 * 1024;

/** Writes strings as UTF-8 into fresh fixed-size buffers; `take` returns a full one when there is. */
export class ChunkWriter {
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private full: Uint8Array[] = [];

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.used + text.length * 3 > CHUNK_BYTES) {
      this.flush();
      if (text.length * 3 > CHUNK_BYTES) {
        this.full.push(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** Whether a chunk is complete. */
  get ready(): boolean {
    return this.full.length > 0;
  }

  /** The chunks completed so far (and, with `all`, the partial one too). */
  take(all = false): Uint8Array[] {
    if (all) this.flush();
    const out = this.full;
    this.full = [];
    return out;
  }

  private flush(): void {
    if (this.used === 0) return;
    this.full.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
  }
}

/**
 * One JSON array, one element per line: `[`, `\n<a>`, `,\n<b>`, …, `]\n` (`[]\n` when empty).
 * Elements are appended one at a time, so the writer can be fed from a stream.
 */
export class JsonArrayWriter {
  readonly out = new ChunkWriter();
  private count = 0;

  constructor() {
    this.out.write('[');
  }

  /** Appends one element's JSON. */
  element(json: string): void {
    this.out.write(this.count === 0 ? '\n' : ',\n');
    this.out.write(json);
    this.count++;
  }

  /** Closes the array; `take(true)` then returns the last chunks. */
  end(): void {
    this.out.write(']\n');
  }
}

/** One JSON array of `items` (see `JsonArrayWriter`), streamed in chunks. */
export async function* jsonArray<T>(
  items: readonly T[],
  json: (item: T) => string,
): AsyncGenerator<Uint8Array> {
  const array = new JsonArrayWriter();
  for (const item of items) {
    array.element(json(item));
    if (array.out.ready) yield* array.out.take();
  }
  array.end();
  yield* array.out.take(true);
}

/**
 * One JSON document per line, streamed in chunks so a large list never becomes one string.
 * `each` sees every item with its JSON (the line without its newline); `chunk` is called before
 * each chunk is yielded, once every line in it was seen by `each` (and is awaited: it may hold
 * the stream back).
 */
export async function* jsonLines<T>(
  items: readonly T[],
  each?: (item: T, json: string) => void,
  chunk?: (bytes: Uint8Array) => Promise<void> | void,
): AsyncGenerator<Uint8Array> {
  const out = new ChunkWriter();
  for (const item of items) {
    const json = JSON.stringify(item);
    each?.(item, json);
    out.write(json);
    out.write('\n');
    if (out.ready) {
      for (const c of out.take()) {
        if (chunk) await chunk(c);
        yield c;
      }
    }
  }
  for (const c of out.take(true)) {
    if (chunk) await chunk(c);
    yield c;
  }
}
