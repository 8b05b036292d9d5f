/**
 * RunStore on S3: what one step of a run hands the next when it is too big for a Step Functions
 * payload (the scan result, for seal and notify), as JSON under `<prefix>/<key>`.
 */

import { constants } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { RunStore } from '../../core/ports';
import { jsonLines, parseJsonLines } from './json-lines';
import { type S3StagingOptions, StagingBucket } from './staging-bucket';

export interface S3RunStoreOptions extends S3StagingOptions {
  /**
   * The longest line (in UTF-16 code units) the store will build a string of when reading: V8's
   * longest string by default. Tests set it small to prove no value is read as one string.
   */
  longestString?: number;
}

/** Serialized text is cut into buffers of about this many characters on its way to the upload. */
const BATCH_CHARS = 1 << 20;

/**
 * `put` streams the JSON text into S3 (multipart above one part) laid out in lines
 * (`jsonLines`: every finding of a scan result on a line of its own); `get` parses it back line by
 * line. Neither ever holds the text as one string, so a value is limited by the reader's memory,
 * not by V8's longest string (2^29 − 24 characters, about 512 MiB: a 10x run's scan result, 1.09M
 * findings, is past it). The object stays one JSON text (newlines are whitespace).
 *
 * @example
 * const runStore = new S3RunStore({ client: s3, bucket: 'accessproof-staging-…', prefix: 'run-store',
 *   expectedBucketOwner: '111122223333', kmsKeyId: dataKeyArn });
 * await runStore.put(scanResultKey(runId), result);
 * const again = await runStore.get<ScanResult>(scanResultKey(runId));
 */
export class S3RunStore implements RunStore {
  private readonly s3: StagingBucket;
  private readonly longestString: number;

  constructor(options: S3RunStoreOptions) {
    this.s3 = new StagingBucket(options);
    this.longestString = options.longestString ?? constants.MAX_STRING_LENGTH;
  }

  async put(key: string, value: unknown): Promise<void> {
    const objectKey = this.s3.objectKey(key);
    await this.s3.upload(objectKey, utf8Batches(withNewlines(jsonLines(value))), 'application/json');
  }

  async putLines(key: string, lines: Iterable<string>): Promise<void> {
    const objectKey = this.s3.objectKey(key);
    await this.s3.upload(objectKey, utf8Batches(withNewlines(lines)), 'application/x-ndjson');
  }

  async getLines(key: string): Promise<AsyncIterable<string> | undefined> {
    const objectKey = this.s3.objectKey(key);
    const stream = await this.s3.open(objectKey);
    if (!stream) return undefined;
    return boundedLines(stream, this.longestString, this.s3.url(objectKey));
  }

  /** The parsed value, or `undefined` when the key was never written. */
  async get<T>(key: string): Promise<T | undefined> {
    const objectKey = this.s3.objectKey(key);
    const stream = await this.s3.open(objectKey);
    if (!stream) return undefined;
    const where = this.s3.url(objectKey);
    return (await parseJsonLines(boundedLines(stream, this.longestString, where), where)) as T;
  }
}

function* utf8Batches(pieces: Iterable<string>): Generator<Buffer> {
  let batch: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    batch.push(piece);
    size += piece.length;
    if (size >= BATCH_CHARS) {
      yield Buffer.from(batch.join(''));
      batch = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.from(batch.join(''));
}

/**
 * The non-empty lines of a UTF-8 stream. A line longer than `longest` is refused, naming the
 * object, before it is ever one string (an object written as one JSON text past V8's limit would
 * otherwise fail inside V8 with "Cannot create a string longer than …").
 */
async function* boundedLines(stream: Readable, longest: number, where: string): AsyncGenerator<string> {
  stream.setEncoding('utf8');
  let pieces: string[] = [];
  let pending = 0;
  const tooLong = (): never => {
    stream.destroy();
    throw new Error(
      `${where}: a line longer than ${longest} characters, the longest string this reader builds (written as one JSON text?)`,
    );
  };
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      if (pending + nl - start > longest) tooLong();
      const line = pending ? pieces.join('') + chunk.slice(start, nl) : chunk.slice(start, nl);
      pieces = [];
      pending = 0;
      if (line) yield line;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pending += chunk.length - start;
      if (pending > longest) tooLong();
      pieces.push(chunk.slice(start));
    }
  }
  if (pending) yield pieces.join('');
}

function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) yield `${line}\n`;
}
