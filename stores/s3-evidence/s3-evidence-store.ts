/**
 * The evidence vault in S3 (docs/evidence-format.md): packs under `<prefix>/packs/YYYY/MM/DD/<runId>/`.
 *
 * Every object is written create-only (`If-None-Match: *`, on PutObject and on
 * CompleteMultipartUpload) with a precomputed SHA-256 checksum, `ObjectLockMode: COMPLIANCE`, a
 * retain-until date of now + retention, `ExpectedBucketOwner` and, when configured, SSE-KMS.
 * Objects under Object Lock cannot be staged and moved, so artefacts go straight to their keys and
 * the pack counts as sealed once `manifest.sig` (written last) exists; a run that dies earlier
 * leaves an unsealed prefix that `verify` reports and never accepts.
 *
 * Create-only matters because Object Lock protects a version, not a key: without it a second sealer
 * of the same run (or a retried step) would put new versions over the first one's artefacts. The
 * bucket policy refuses any PutObject without the condition. An S3 that ignores `If-None-Match`
 * (Ceph RADOS Gateway 16) still keeps every version, and `verify` reports the later ones.
 *
 * Endpoint: the client config's `endpoint`, or `AWS_ENDPOINT_URL_S3` read by the AWS SDK itself.
 */

import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors';
import {
  MANIFEST_FILE,
  type ManifestDraft,
  packRelativeDir,
  type Retention,
  runIdSchema,
  SIGNATURE_FILE,
} from '../../core/evidence/manifest';
import {
  type ArtefactContent,
  type EvidenceWriter,
  PackExistsError,
  type PackWriter,
  type SealedPack,
  type Signer,
  type WrittenFile,
} from '../../core/evidence/ports';
import { artefactPathProblem, signManifest } from '../../core/evidence/seal';
import { describeS3Error, httpStatusOf, normalizePrefix, s3Url, toS3Client } from './s3-location';

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

export interface S3EvidenceStoreOptions {
  client: S3Client | S3ClientConfig;
  bucket: string;
  /** Key prefix (`accessproof` → `accessproof/packs/…`). */
  prefix?: string;
  /** The account id that must own the bucket; sent as `ExpectedBucketOwner` on every call. */
  expectedBucketOwner: string;
  /** Object Lock retention in days (default 7 years = 2557 days, docs/deploy.md). */
  retentionDays: number;
  /** SSE-KMS key for the objects; without it the bucket's default encryption applies. */
  kmsKeyId?: string;
  /** The run's clock: retain-until = now + retentionDays. */
  now: () => Date;
  /** Files larger than this go up as a multipart upload of parts this size (≥ 5 MiB). Default 32 MiB. */
  partSize?: number;
}

/**
 * @example
 * const store = new S3EvidenceStore({ client: s3, bucket, prefix, expectedBucketOwner: accountId,
 *   retentionDays: 2557, kmsKeyId, now: () => new Date() });
 * const pack = await store.begin(runId, startedAt);
 */
export class S3EvidenceStore implements EvidenceWriter {
  private readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly partSize: number;

  constructor(private readonly options: S3EvidenceStoreOptions) {
    this.client = toS3Client(options.client);
    this.keyPrefix = normalizePrefix(options.prefix ?? '');
    this.partSize = options.partSize ?? 32 * MIB;
    if (this.partSize < 5 * MIB)
      throw new InputError('must be at least 5 MiB (S3 minimum part size)', { field: 'partSize' });
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1)
      throw new InputError('must be a positive whole number of days', { field: 'evidence.retentionDays' });
    if (!/^\d{12}$/.test(options.expectedBucketOwner))
      throw new InputError('must be a 12-digit AWS account id', { field: 'expectedBucketOwner' });
  }

  get location(): string {
    return s3Url(this.options.bucket, this.keyPrefix);
  }

  async begin(runId: string, startedAt: Date): Promise<PackWriter> {
    const id = runIdSchema.safeParse(runId);
    if (!id.success)
      throw new InputError(id.error.issues[0]?.message ?? 'invalid run id', { field: 'runId' });
    const packPrefix = `${this.keyPrefix}${packRelativeDir(runId, startedAt)}/`;
    const existing = await this.existing(packPrefix);
    // Versions count, not just what plain reads see: a delete marker over a sealed manifest.sig does
    // not make the run free to seal again.
    if (existing.has(SIGNATURE_FILE))
      throw new PackExistsError(runId, s3Url(this.options.bucket, packPrefix));
    // manifest.json is create-only and locked: an attempt that died after it can never be completed.
    if (existing.has(MANIFEST_FILE))
      throw new Error(
        `pack ${runId}: ${s3Url(this.options.bucket, packPrefix)} has manifest.json but no manifest.sig ` +
          '(an earlier seal died between them); it stays unsealed: seal this run under a new run id',
      );
    // Artefacts are create-only and locked too: a retry would be refused at its first write anyway.
    if (existing.size > 0)
      throw new Error(
        `pack ${runId}: ${s3Url(this.options.bucket, packPrefix)} already holds ${[...existing].sort().join(', ')} ` +
          '(an earlier seal of this run died, or another is running); it stays unsealed: seal this run under a new run id',
      );
    // Whole seconds: S3 keeps retain-until at second precision, and the manifest must state it exactly.
    const until = new Date(
      Math.floor((this.options.now().getTime() + this.options.retentionDays * DAY_MS) / 1000) * 1000,
    );
    return new S3PackWriter(runId, this.client, this.options, packPrefix, until, this.partSize);
  }

  /**
   * Paths under the pack prefix that have any version or delete marker. An S3 without versions
   * listing (s3rver) is asked with HeadObject for the two manifest files only.
   */
  private async existing(packPrefix: string): Promise<Set<string>> {
    const paths = new Set<string>();
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.options.bucket,
            Prefix: packPrefix,
            ExpectedBucketOwner: this.options.expectedBucketOwner,
            ...(keyMarker ? { KeyMarker: keyMarker, VersionIdMarker: versionMarker } : {}),
          }),
        );
        for (const o of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])])
          if (o.Key?.startsWith(packPrefix)) paths.add(o.Key.slice(packPrefix.length));
        keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
        versionMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
      } while (keyMarker);
      return paths;
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 405 && status !== 501)
        throw new Error(describeS3Error('ListObjectVersions', packPrefix, err), { cause: err });
    }
    for (const path of [SIGNATURE_FILE, MANIFEST_FILE])
      if (await this.exists(`${packPrefix}${path}`)) paths.add(path);
    return paths;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ExpectedBucketOwner: this.options.expectedBucketOwner,
        }),
      );
      return true;
    } catch (err) {
      if (httpStatusOf(err) === 404) return false;
      throw new Error(describeS3Error('HeadObject', key, err), { cause: err });
    }
  }
}

class S3PackWriter implements PackWriter {
  private readonly files: WrittenFile[] = [];
  private readonly paths = new Set<string>();
  private readonly openUploads = new Map<string, string>();
  private state: 'open' | 'sealed' | 'aborted' = 'open';

  constructor(
    readonly runId: string,
    private readonly client: S3Client,
    private readonly options: S3EvidenceStoreOptions,
    private readonly packPrefix: string,
    private readonly retainUntil: Date,
    private readonly partSize: number,
  ) {}

  async add(path: string, content: ArtefactContent, records: number): Promise<WrittenFile> {
    this.assertOpen();
    const problem = artefactPathProblem(path, this.paths);
    if (problem) throw new Error(`pack ${this.runId}: ${problem}`);
    if (!Number.isInteger(records) || records < 0)
      throw new Error(`pack ${this.runId}: ${path}: records must be a non-negative integer`);
    this.paths.add(path);
    try {
      const { sha256, bytes } = await this.upload(path, content);
      const file = { path, sha256, bytes, records };
      this.files.push(file);
      return file;
    } catch (err) {
      this.paths.delete(path);
      throw err;
    }
  }

  async seal(draft: ManifestDraft, signer: Signer): Promise<SealedPack> {
    this.assertOpen();
    if (draft.runId !== this.runId)
      throw new Error(`pack ${this.runId}: the manifest draft is for run ${draft.runId}`);
    const retention: Retention = { mode: 'COMPLIANCE', until: this.retainUntil.toISOString() };
    const signed = await signManifest(draft, this.files, retention, signer);
    // A second sealer of the same run (a retried step) gets 412 here instead of a new version.
    await this.put(MANIFEST_FILE, signed.manifestBytes, 'manifest');
    await this.put(SIGNATURE_FILE, signed.signatureBytes, 'manifest');
    this.state = 'sealed';
    return {
      runId: this.runId,
      location: s3Url(this.options.bucket, this.packPrefix),
      manifest: signed.manifest,
      manifestSha256: signed.manifestSha256,
      head: { runId: this.runId, manifestSha256: signed.manifestSha256, sequence: signed.manifest.sequence },
    };
  }

  /**
   * Stops the pack and aborts unfinished multipart uploads. Objects already written stay: they are
   * under Object Lock and the writer may not delete. `verify` reports the prefix as unsealed.
   */
  async abort(): Promise<void> {
    if (this.state === 'sealed') return;
    this.state = 'aborted';
    for (const [key, uploadId] of this.openUploads)
      await this.client
        .send(
          new AbortMultipartUploadCommand({
            Bucket: this.options.bucket,
            Key: key,
            UploadId: uploadId,
            ExpectedBucketOwner: this.options.expectedBucketOwner,
          }),
        )
        .catch(() => undefined);
    this.openUploads.clear();
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`pack ${this.runId} is already ${this.state}`);
  }

  private common(
    key: string,
  ): Pick<
    PutObjectCommandInput,
    'Bucket' | 'Key' | 'ExpectedBucketOwner' | 'ObjectLockMode' | 'ObjectLockRetainUntilDate' | 'ContentType'
  > &
    Partial<Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'BucketKeyEnabled'>> {
    return {
      Bucket: this.options.bucket,
      Key: key,
      ExpectedBucketOwner: this.options.expectedBucketOwner,
      ObjectLockMode: 'COMPLIANCE',
      ObjectLockRetainUntilDate: this.retainUntil,
      ContentType: contentTypeOf(key),
      ...(this.options.kmsKeyId
        ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.options.kmsKeyId, BucketKeyEnabled: true }
        : {}),
    };
  }

  /** Create-only PutObject. `manifest`: a 412 means the pack is sealed already (PackExistsError). */
  private async put(
    path: string,
    body: Uint8Array,
    kind: 'artefact' | 'manifest' = 'artefact',
  ): Promise<void> {
    const key = `${this.packPrefix}${path}`;
    try {
      await this.client.send(
        new PutObjectCommand({
          ...this.common(key),
          Body: body,
          ContentLength: body.byteLength,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
          IfNoneMatch: '*',
        }),
      );
    } catch (err) {
      throw this.writeError('PutObject', key, err, kind);
    }
  }

  /** 412/409 on a create-only write: someone wrote the key first; never retried, never overwritten. */
  private writeError(operation: string, key: string, err: unknown, kind: 'artefact' | 'manifest'): Error {
    const status = httpStatusOf(err);
    if (status !== 412 && status !== 409)
      return new Error(describeS3Error(operation, key, err), { cause: err });
    if (kind === 'manifest')
      return new PackExistsError(this.runId, s3Url(this.options.bucket, this.packPrefix));
    return new Error(
      `s3:${operation} ${key}: the object already exists (another sealer of run ${this.runId}, or an earlier attempt, wrote it): nothing was overwritten; seal this run under a new run id`,
      { cause: err },
    );
  }

  /** Small content in one PutObject; larger streams in parts, never holding more than one part. */
  private async upload(path: string, content: ArtefactContent): Promise<{ sha256: string; bytes: number }> {
    const whole = createHash('sha256');
    let bytes = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let multipart: { key: string; uploadId: string; parts: CompletedPart[] } | undefined;
    const chunks = content instanceof Uint8Array ? [content] : content;
    try {
      for await (const chunk of chunks) {
        whole.update(chunk);
        bytes += chunk.byteLength;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        while (pendingBytes > this.partSize) {
          const all = Buffer.concat(pending, pendingBytes);
          multipart ??= await this.createMultipart(path);
          await this.uploadPart(multipart, all.subarray(0, this.partSize));
          const rest = all.subarray(this.partSize);
          pending = [rest];
          pendingBytes = rest.byteLength;
        }
      }
      const last = Buffer.concat(pending, pendingBytes);
      if (!multipart) {
        await this.put(path, last);
      } else {
        await this.uploadPart(multipart, last);
        try {
          await this.client.send(
            new CompleteMultipartUploadCommand({
              Bucket: this.options.bucket,
              Key: multipart.key,
              UploadId: multipart.uploadId,
              ExpectedBucketOwner: this.options.expectedBucketOwner,
              MultipartUpload: { Parts: multipart.parts },
              IfNoneMatch: '*',
            }),
          );
        } catch (err) {
          throw this.writeError('CompleteMultipartUpload', multipart.key, err, 'artefact');
        }
        this.openUploads.delete(multipart.key);
      }
    } catch (err) {
      if (multipart) {
        this.openUploads.delete(multipart.key);
        await this.client
          .send(
            new AbortMultipartUploadCommand({
              Bucket: this.options.bucket,
              Key: multipart.key,
              UploadId: multipart.uploadId,
              ExpectedBucketOwner: this.options.expectedBucketOwner,
            }),
          )
          .catch(() => undefined);
      }
      if (err instanceof Error && err.message.startsWith('s3:')) throw err;
      throw new Error(
        describeS3Error(multipart ? 'UploadPart' : 'PutObject', `${this.packPrefix}${path}`, err),
        {
          cause: err,
        },
      );
    }
    return { sha256: whole.digest('hex'), bytes };
  }

  private async createMultipart(
    path: string,
  ): Promise<{ key: string; uploadId: string; parts: CompletedPart[] }> {
    const key = `${this.packPrefix}${path}`;
    const out = await this.client.send(
      new CreateMultipartUploadCommand({ ...this.common(key), ChecksumAlgorithm: 'SHA256' }),
    );
    if (!out.UploadId) throw new Error(`s3:CreateMultipartUpload ${key}: no UploadId returned`);
    this.openUploads.set(key, out.UploadId);
    return { key, uploadId: out.UploadId, parts: [] };
  }

  private async uploadPart(
    upload: { key: string; uploadId: string; parts: CompletedPart[] },
    body: Uint8Array,
  ): Promise<void> {
    const PartNumber = upload.parts.length + 1;
    const checksum = createHash('sha256').update(body).digest('base64');
    const out = await this.client.send(
      new UploadPartCommand({
        Bucket: this.options.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumber,
        Body: body,
        ContentLength: body.byteLength,
        ChecksumAlgorithm: 'SHA256',
        ChecksumSHA256: checksum,
        ExpectedBucketOwner: this.options.expectedBucketOwner,
      }),
    );
    upload.parts.push({ PartNumber, ETag: out.ETag, ChecksumSHA256: checksum });
  }
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.json') || key.endsWith('.sig')) return 'application/json';
  if (key.endsWith('.jsonl')) return 'application/x-ndjson';
  if (key.endsWith('.gz')) return 'application/gzip';
  if (key.endsWith('.html')) return 'text/html; charset=utf-8';
  if (key.endsWith('.csv')) return 'text/csv; charset=utf-8';
  return 'application/octet-stream';
}
