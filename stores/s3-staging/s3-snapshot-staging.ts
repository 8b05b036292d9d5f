/**
 * SnapshotStaging, SnapshotSource and SnapshotBytes on S3 (docs/staging.md): the AWS twin of
 * `LocalSnapshotStaging`, for the collect, scan and seal Lambdas, which share no disk.
 *
 *   <prefix>/<runId>/<sourceId>/part-000000.jsonl   record lines, one object per part (seq from 0)
 *   <prefix>/<runId>/<sourceId>/checkpoint.json     the collect driver's checkpoint
 *   <prefix>/<runId>/<sourceId>.jsonl.gz            the finalized snapshot (header + parts, gzip)
 *
 * The snapshot's bytes are the same as the local one's for the same lines (gzip level 1).
 */

import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlib } from 'node:zlib';
import { InputError } from '../../core/errors';
import type { SnapshotBytes, SnapshotRef, SnapshotSource, SnapshotStaging } from '../../core/ports';
import { gzipLines } from './gzip-lines';
import { type S3StagingOptions, StagingBucket, type UploadResult } from './staging-bucket';

/** Fastest gzip level, as on one machine: snapshots are large, written once, and sealing stays I/O-bound. */
const GZIP_LEVEL = zlib.Z_BEST_SPEED;
const NEWLINE = 0x0a;

/**
 * Parts and checkpoints are left for the staging bucket's lifecycle rule rather than deleted: a
 * collect step re-delivered after `finalize` can then resume from its cursor again, and the writer
 * needs no `s3:DeleteObject`.
 *
 * @example
 * const staging = new S3SnapshotStaging({ client: s3, bucket: 'accessproof-staging-…', prefix: 'snapshots',
 *   expectedBucketOwner: '111122223333', kmsKeyId: dataKeyArn });
 * const outcome = await collectSource({ connector, source, key: `${runId}/${source.id}`, staging, now, logger });
 * for await (const line of staging.lines(outcome.snapshot.location)) …
 */
export class S3SnapshotStaging implements SnapshotStaging, SnapshotSource, SnapshotBytes {
  private readonly s3: StagingBucket;

  constructor(options: S3StagingOptions) {
    this.s3 = new StagingBucket(options);
  }

  async writePart(key: string, seq: number, lines: readonly string[]): Promise<void> {
    if (!Number.isInteger(seq) || seq < 0)
      throw new InputError(`${seq} is not a part number`, { field: 'seq' });
    const body = Buffer.from(lines.length ? `${lines.join('\n')}\n` : '');
    await this.s3.put(this.partKey(key, seq), body, 'application/x-ndjson');
  }

  async saveCheckpoint(key: string, body: string): Promise<void> {
    await this.s3.put(this.s3.objectKey(`${key}/checkpoint.json`), Buffer.from(body), 'application/json');
  }

  async loadCheckpoint(key: string): Promise<string | undefined> {
    const stream = await this.s3.open(this.s3.objectKey(`${key}/checkpoint.json`));
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * Streams header + parts through gzip into `<key>.jsonl.gz`, one part in memory at a time. S3
   * shows an object only once its PutObject or CompleteMultipartUpload succeeds, so a reader never
   * sees half a snapshot; a failure aborts the multipart upload.
   */
  async finalize(key: string, headerLine: string, parts: number): Promise<SnapshotRef> {
    if (!Number.isInteger(parts) || parts < 0)
      throw new InputError(`${parts} is not a number of parts`, { field: 'parts' });
    if (headerLine.includes('\n'))
      throw new InputError('the header must be one line', { field: 'headerLine' });
    const target = this.s3.objectKey(`${key}.jsonl.gz`);
    const s3 = this.s3;
    const partKeys = Array.from({ length: parts }, (_, i) => this.partKey(key, i));
    let records = 0;
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(`${headerLine}\n`);
      for (const partKey of partKeys) {
        for await (const chunk of await s3.openExisting(partKey)) {
          const buf = chunk as Buffer;
          for (let j = buf.indexOf(NEWLINE); j !== -1; j = buf.indexOf(NEWLINE, j + 1)) records++;
          yield buf;
        }
      }
    }
    let stored: UploadResult | undefined;
    await pipeline(body, createGzip({ level: GZIP_LEVEL, chunkSize: 1 << 18 }), async (gzipped) => {
      stored = await s3.upload(target, gzipped, 'application/gzip');
    });
    if (!stored) throw new Error(`finalize ${s3.url(target)}: the upload did not finish`);
    return { location: s3.url(target), sha256: stored.sha256, bytes: stored.bytes, records };
  }

  /** Every line of a finalized snapshot, header first, decoded as UTF-8 while it streams. */
  async *lines(location: string): AsyncGenerator<string> {
    yield* gzipLines(await this.s3.openExisting(this.s3.keyOfUrl(location)));
  }

  /** The stored (gzip) bytes of a finalized snapshot, as they stream from S3. */
  async *bytes(location: string): AsyncGenerator<Uint8Array> {
    for await (const chunk of await this.s3.openExisting(this.s3.keyOfUrl(location))) yield chunk as Buffer;
  }

  private partKey(key: string, seq: number): string {
    return this.s3.objectKey(`${key}/part-${String(seq).padStart(6, '0')}.jsonl`);
  }
}
