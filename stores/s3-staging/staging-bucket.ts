/**
 * The staging bucket as the run's steps use it: working data under one key prefix, every call
 * carrying `ExpectedBucketOwner`, every write a SHA-256 checksum and (when configured) SSE-KMS.
 * No Object Lock: staging is scratch that a lifecycle rule expires (docs/staging.md).
 */

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors';
import {
  describeS3Error,
  httpStatusOf,
  normalizePrefix,
  s3Url,
  toS3Client,
} from '../s3-evidence/s3-location';

const MIB = 1024 * 1024;
/** S3's smallest part (all but the last). */
const MIN_PART_SIZE = 5 * MIB;
/** S3's most parts in one upload: 8 MiB parts cap an object at 78 GiB. */
const MAX_PARTS = 10_000;
/** Parts uploading while the next one fills: overlaps compression with the network, bounds memory. */
const PARTS_IN_FLIGHT = 2;

export const DEFAULT_PART_SIZE = 8 * MIB;

export interface S3StagingOptions {
  /** The caller's client, or a config to build one from (never a client made up inside). */
  client: S3Client | S3ClientConfig;
  bucket: string;
  /** Key prefix inside the bucket (`snapshots` → `snapshots/<runId>/<sourceId>/…`). `''` for none. */
  prefix: string;
  /** The 12-digit account that must own the bucket; sent as `ExpectedBucketOwner` on every call. */
  expectedBucketOwner?: string;
  /** SSE-KMS key id or ARN for every object; without it the bucket's default encryption applies. */
  kmsKeyId?: string;
  /** Multipart part size in bytes (≥ 5 MiB). Default 8 MiB. */
  partSize?: number;
}

/** The error every failed S3 call becomes: names the operation and the key, keeps the SDK error as cause. */
export class S3CallError extends Error {
  override readonly name = 'S3CallError';
  readonly status: number | undefined;
  constructor(operation: string, key: string, cause: unknown) {
    super(describeS3Error(operation, key, cause), { cause });
    this.status = httpStatusOf(cause);
  }
}

export interface UploadResult {
  /** Lowercase hex SHA-256 of the stored bytes. */
  sha256: string;
  bytes: number;
}

export class StagingBucket {
  readonly client: S3Client;
  readonly bucket: string;
  readonly keyPrefix: string;
  readonly partSize: number;
  private readonly owner: { ExpectedBucketOwner?: string };
  private readonly encryption: {
    ServerSideEncryption?: 'aws:kms';
    SSEKMSKeyId?: string;
    BucketKeyEnabled?: boolean;
  };

  constructor(options: S3StagingOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket))
      throw new InputError(`"${options.bucket}" is not an S3 bucket name`, { field: 'bucket' });
    if (options.expectedBucketOwner !== undefined && !/^\d{12}$/.test(options.expectedBucketOwner))
      throw new InputError('must be a 12-digit AWS account id', { field: 'expectedBucketOwner' });
    const partSize = options.partSize ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE)
      throw new InputError('must be at least 5 MiB (S3 minimum part size)', { field: 'partSize' });
    this.client = toS3Client(options.client);
    this.bucket = options.bucket;
    this.keyPrefix = normalizePrefix(options.prefix);
    this.partSize = partSize;
    this.owner = options.expectedBucketOwner ? { ExpectedBucketOwner: options.expectedBucketOwner } : {};
    this.encryption = options.kmsKeyId
      ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: options.kmsKeyId, BucketKeyEnabled: true }
      : {};
  }

  /**
   * The object key for a caller's relative key. Relative keys are `/`-separated names of printable
   * characters with no empty, `.` or `..` segment, so no key lands outside the prefix or collides.
   */
  objectKey(relative: string): string {
    const segments = relative.split('/');
    const bad = segments.some((s) => s === '' || s === '.' || s === '..');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (bad || /[\u0000-\u001f\u007f\\]/.test(relative) || relative.length > 900)
      throw new InputError(`"${relative}" is not a staging key (segments separated by "/")`, {
        field: 'key',
      });
    return `${this.keyPrefix}${relative}`;
  }

  url(objectKey: string): string {
    return s3Url(this.bucket, objectKey);
  }

  /** The object key of an `s3://` URL this bucket wrote; anything else (other bucket, outside the prefix) is refused. */
  keyOfUrl(location: string): string {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
    if (!m || m[1] !== this.bucket || !m[2]?.startsWith(this.keyPrefix))
      throw new InputError(`"${location}" is not under ${this.url(this.keyPrefix)}`, { field: 'location' });
    return m[2];
  }

  /** One PutObject with a precomputed SHA-256 checksum. */
  async put(key: string, body: Uint8Array, contentType: string): Promise<UploadResult> {
    const digest = createHash('sha256').update(body).digest();
    await this.send('PutObject', key, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: contentType,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: digest.toString('base64'),
          ...this.owner,
          ...this.encryption,
        }),
      ),
    );
    return { sha256: digest.toString('hex'), bytes: body.byteLength };
  }

  /** The object's bytes as a stream, or `undefined` when the key does not exist. */
  async open(key: string): Promise<Readable | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED', ...this.owner }),
      );
      if (!out.Body) throw new Error('no body returned');
      return out.Body instanceof Readable ? out.Body : Readable.from(out.Body as AsyncIterable<Uint8Array>);
    } catch (err) {
      // 404 needs s3:ListBucket; without it S3 answers 403 and that is (rightly) an error.
      if (httpStatusOf(err) === 404 || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw new S3CallError('GetObject', key, err);
    }
  }

  /** Like `open`, but a missing key is an error that names it. */
  async openExisting(key: string): Promise<Readable> {
    const body = await this.open(key);
    if (!body)
      throw new S3CallError('GetObject', key, Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
    return body;
  }

  /**
   * Upload a stream of unknown length: one PutObject when it fits in one part, else a multipart
   * upload of `partSize` parts (each with its SHA-256 checksum), aborted if anything fails —
   * including the source stream itself. The object appears whole or not at all.
   */
  async upload(
    key: string,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    contentType: string,
  ): Promise<UploadResult> {
    const whole = createHash('sha256');
    let bytes = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let multipart: Multipart | undefined;
    try {
      for await (const chunk of source) {
        whole.update(chunk);
        bytes += chunk.byteLength;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        while (pendingBytes >= this.partSize) {
          const all = Buffer.concat(pending, pendingBytes);
          multipart ??= await this.createMultipart(key, contentType);
          await multipart.add(all.subarray(0, this.partSize));
          const rest = all.subarray(this.partSize);
          pending = rest.byteLength ? [rest] : [];
          pendingBytes = rest.byteLength;
        }
      }
      const last = Buffer.concat(pending, pendingBytes);
      if (!multipart) {
        await this.put(key, last, contentType);
      } else {
        if (last.byteLength > 0) await multipart.add(last);
        await multipart.complete();
      }
    } catch (err) {
      if (multipart) await multipart.abort();
      if (err instanceof S3CallError || err instanceof InputError) throw err;
      throw new Error(`s3 upload ${this.url(key)}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    return { sha256: whole.digest('hex'), bytes };
  }

  private async createMultipart(key: string, contentType: string): Promise<Multipart> {
    const out = await this.send('CreateMultipartUpload', key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          ContentType: contentType,
          ChecksumAlgorithm: 'SHA256',
          ...this.owner,
          ...this.encryption,
        }),
      ),
    );
    if (!out.UploadId) throw new S3CallError('CreateMultipartUpload', key, new Error('no UploadId returned'));
    return new Multipart(this, key, out.UploadId, this.owner);
  }

  /** Run one SDK call; a failure becomes an `S3CallError` naming the operation and key. */
  async send<T>(operation: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new S3CallError(operation, key, err);
    }
  }
}

/** One multipart upload: parts go up at most PARTS_IN_FLIGHT at a time, in order of their numbers. */
class Multipart {
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly target: StagingBucket,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly owner: { ExpectedBucketOwner?: string },
  ) {}

  async add(body: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    const PartNumber = this.parts.length + 1;
    if (PartNumber > MAX_PARTS)
      throw new Error(`s3 upload ${this.target.url(this.key)}: more than ${MAX_PARTS} parts`);
    const checksum = createHash('sha256').update(body).digest('base64');
    const part: CompletedPart = { PartNumber, ChecksumSHA256: checksum };
    this.parts.push(part);
    const sent = this.target
      .send('UploadPart', this.key, () =>
        this.target.client.send(
          new UploadPartCommand({
            Bucket: this.target.bucket,
            Key: this.key,
            UploadId: this.uploadId,
            PartNumber,
            Body: body,
            ContentLength: body.byteLength,
            ChecksumAlgorithm: 'SHA256',
            ChecksumSHA256: checksum,
            ...this.owner,
          }),
        ),
      )
      .then((out) => {
        part.ETag = out.ETag;
      });
    const tracked: Promise<void> = sent
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    if (this.inFlight.size >= PARTS_IN_FLIGHT) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
  }

  async complete(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    await this.target.send('CompleteMultipartUpload', this.key, () =>
      this.target.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.target.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          MultipartUpload: { Parts: this.parts },
          ...this.owner,
        }),
      ),
    );
  }

  /** Best effort: the lifecycle rule's AbortIncompleteMultipartUpload cleans up if this call fails too. */
  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.target.client
      .send(
        new AbortMultipartUploadCommand({
          Bucket: this.target.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          ...this.owner,
        }),
      )
      .catch(() => undefined);
  }
}
