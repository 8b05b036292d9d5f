/**
 * `PackReader` over `s3://bucket/prefix` for `verify`: lists packs, streams objects, and reports
 * each object's stored SHA-256 checksum and Object Lock retention (HeadObject, ChecksumMode ENABLED).
 */

import type { Readable } from 'node:stream';
import {
  GetObjectAttributesCommand,
  type GetObjectAttributesCommandOutput,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { SIGNATURE_FILE } from '../../core/evidence/manifest';
import type { PackReader, PackRef, StoredFile, StoredObjectFacts } from '../../core/evidence/ports';
import { describeS3Error, httpStatusOf, normalizePrefix, s3Url, toS3Client } from './s3-location';

export interface S3PackReaderOptions {
  client: S3Client | S3ClientConfig;
  bucket: string;
  prefix?: string;
  /** When given, every call carries `ExpectedBucketOwner` (a bucket of another account is refused). */
  expectedBucketOwner?: string;
}

interface Listing {
  packs: Map<string, StoredFile[]>;
}

/**
 * @example
 * const report = await verifyChain(new S3PackReader({ client: s3, bucket: 'acme-evidence', prefix: 'accessproof' }));
 */
export class S3PackReader implements PackReader {
  readonly objectStore = true;
  private readonly client: S3Client;
  private readonly keyPrefix: string;
  private listing?: Promise<Listing>;

  constructor(private readonly options: S3PackReaderOptions) {
    this.client = toS3Client(options.client);
    this.keyPrefix = normalizePrefix(options.prefix ?? '');
  }

  get location(): string {
    return s3Url(this.options.bucket, this.keyPrefix);
  }

  /** Packs with a `manifest.sig`: in S3 that object is written last, so its presence means sealed. */
  async listPacks(): Promise<PackRef[]> {
    const { packs } = await this.list();
    return [...packs.entries()]
      .filter(([, files]) => files.some((f) => f.path === SIGNATURE_FILE))
      .map(([dir]) => this.ref(dir));
  }

  async listUnsealed(): Promise<string[]> {
    const { packs } = await this.list();
    return [...packs.entries()]
      .filter(([, files]) => !files.some((f) => f.path === SIGNATURE_FILE))
      .map(([dir]) => `${s3Url(this.options.bucket, this.keyPrefix + dir)}/ (no manifest.sig)`);
  }

  async listFiles(pack: PackRef): Promise<StoredFile[]> {
    return (await this.list()).packs.get(pack.dir) ?? [];
  }

  async readFile(pack: PackRef, path: string): Promise<Uint8Array | undefined> {
    const key = this.keyOf(pack, path);
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...this.owner() }),
      );
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw new Error(describeS3Error('GetObject', key, err), { cause: err });
    }
  }

  async *openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array> {
    const key = this.keyOf(pack, path);
    let body: Readable;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...this.owner() }),
      );
      body = out.Body as Readable;
    } catch (err) {
      throw new Error(describeS3Error('GetObject', key, err), { cause: err });
    }
    for await (const chunk of body) yield chunk as Uint8Array;
  }

  async objectFacts(pack: PackRef, path: string): Promise<StoredObjectFacts> {
    const key = this.keyOf(pack, path);
    let h: HeadObjectCommandOutput;
    try {
      h = await this.client.send(
        new HeadObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ChecksumMode: 'ENABLED',
          ...this.owner(),
        }),
      );
    } catch (err) {
      throw new Error(describeS3Error('HeadObject', key, err), { cause: err });
    }
    const facts: StoredObjectFacts = {
      ...(h.ChecksumSHA256 ? { checksumSha256: h.ChecksumSHA256 } : {}),
      ...(h.ChecksumType ? { checksumType: h.ChecksumType } : {}),
      ...(h.ObjectLockMode ? { objectLockMode: h.ObjectLockMode } : {}),
      ...(h.ObjectLockRetainUntilDate
        ? { retainUntil: new Date(h.ObjectLockRetainUntilDate).toISOString() }
        : {}),
      ...(h.ObjectLockLegalHoldStatus ? { legalHold: h.ObjectLockLegalHoldStatus === 'ON' } : {}),
    };
    // A multipart object's checksum is over its parts' checksums: fetch the parts to recompute it.
    if (facts.checksumSha256?.includes('-')) facts.parts = await this.parts(key);
    return facts;
  }

  private async parts(key: string): Promise<{ size: number; checksumSha256: string }[]> {
    const parts: { size: number; checksumSha256: string; n: number }[] = [];
    let marker: string | undefined;
    for (;;) {
      let out: GetObjectAttributesCommandOutput;
      try {
        out = await this.client.send(
          new GetObjectAttributesCommand({
            Bucket: this.options.bucket,
            Key: key,
            ObjectAttributes: ['ObjectParts'],
            MaxParts: 1000,
            ...(marker ? { PartNumberMarker: marker } : {}),
            ...this.owner(),
          }),
        );
      } catch (err) {
        throw new Error(describeS3Error('GetObjectAttributes', key, err), { cause: err });
      }
      for (const p of out.ObjectParts?.Parts ?? [])
        parts.push({ n: p.PartNumber ?? 0, size: p.Size ?? 0, checksumSha256: p.ChecksumSHA256 ?? '' });
      if (!out.ObjectParts?.IsTruncated || !out.ObjectParts.NextPartNumberMarker) break;
      marker = String(out.ObjectParts.NextPartNumberMarker);
    }
    return parts.sort((a, b) => a.n - b.n).map(({ size, checksumSha256 }) => ({ size, checksumSha256 }));
  }

  private list(): Promise<Listing> {
    this.listing ??= this.listAll();
    return this.listing;
  }

  /** One pass over `<prefix>packs/`: keys `packs/Y/M/D/<runId>/<path>` grouped by pack. */
  private async listAll(): Promise<Listing> {
    const packs = new Map<string, StoredFile[]>();
    const base = `${this.keyPrefix}packs/`;
    let token: string | undefined;
    do {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.options.bucket,
            Prefix: base,
            ...(token ? { ContinuationToken: token } : {}),
            ...this.owner(),
          }),
        );
      } catch (err) {
        throw new Error(describeS3Error('ListObjectsV2', base, err), { cause: err });
      }
      for (const obj of out.Contents ?? []) {
        if (!obj.Key || obj.Key.endsWith('/')) continue;
        const segments = obj.Key.slice(this.keyPrefix.length).split('/');
        if (segments.length < 6) continue;
        const dir = segments.slice(0, 5).join('/');
        const files = packs.get(dir) ?? [];
        files.push({ path: segments.slice(5).join('/'), bytes: obj.Size ?? 0 });
        packs.set(dir, files);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return { packs };
  }

  private ref(dir: string): PackRef {
    return {
      runId: dir.split('/').at(-1) ?? dir,
      dir,
      location: `${s3Url(this.options.bucket, this.keyPrefix + dir)}/`,
    };
  }

  private keyOf(pack: PackRef, path: string): string {
    return `${this.keyPrefix}${pack.dir}/${path}`;
  }

  private owner(): { ExpectedBucketOwner?: string } {
    return this.options.expectedBucketOwner ? { ExpectedBucketOwner: this.options.expectedBucketOwner } : {};
  }
}
