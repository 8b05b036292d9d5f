/**
 * RunStore on S3: what one step of a run hands the next when it is too big for a Step Functions
 * payload (the scan result, for seal and notify), as JSON under `<prefix>/<key>`.
 */

import { splitLines } from '../../core/lines';
import type { RunStore } from '../../core/ports';
import { jsonChunks } from './json-chunks';
import { type S3StagingOptions, StagingBucket } from './staging-bucket';

/** Serialized text is cut into buffers of about this many characters on its way to the upload. */
const BATCH_CHARS = 1 << 20;

/**
 * `put` streams the JSON text into S3 (multipart above one part) without building it as one
 * string; `get` reads it back into one string for `JSON.parse`, so a value is limited by the
 * reader's memory and V8's longest string (2^29 − 24 characters, about 512 MiB of JSON).
 *
 * @example
 * const runStore = new S3RunStore({ client: s3, bucket: 'accessproof-staging-…', prefix: 'run-store',
 *   expectedBucketOwner: '111122223333', kmsKeyId: dataKeyArn });
 * await runStore.put(scanResultKey(runId), result);
 * const again = await runStore.get<ScanResult>(scanResultKey(runId));
 */
export class S3RunStore implements RunStore {
  private readonly s3: StagingBucket;

  constructor(options: S3StagingOptions) {
    this.s3 = new StagingBucket(options);
  }

  async put(key: string, value: unknown): Promise<void> {
    const objectKey = this.s3.objectKey(key);
    await this.s3.upload(objectKey, utf8Batches(jsonChunks(value)), 'application/json');
  }

  async putLines(key: string, lines: Iterable<string>): Promise<void> {
    const objectKey = this.s3.objectKey(key);
    await this.s3.upload(objectKey, utf8Batches(withNewlines(lines)), 'application/x-ndjson');
  }

  async getLines(key: string): Promise<AsyncIterable<string> | undefined> {
    const stream = await this.s3.open(this.s3.objectKey(key));
    if (!stream) return undefined;
    stream.setEncoding('utf8');
    return splitLines(stream as AsyncIterable<string>);
  }

  /** The parsed value, or `undefined` when the key was never written. */
  async get<T>(key: string): Promise<T | undefined> {
    const objectKey = this.s3.objectKey(key);
    const stream = await this.s3.open(objectKey);
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
    } catch (err) {
      // Also where a value past V8's longest string fails ("Cannot create a string longer than …").
      throw new Error(`${this.s3.url(objectKey)}: ${(err as Error).message}`, { cause: err });
    }
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

function* withNewlines(lines: Iterable<string>): Generator<string> {
  for (const line of lines) yield `${line}\n`;
}
