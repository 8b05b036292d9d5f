/**
 * `PackReader` over `s3://bucket/prefix` for `verify`: lists every version (ListObjectVersions),
 * reads each object's first-written version by VersionId — the one that was sealed, whatever was
 * written or delete-marked over it later — and reports its stored SHA-256 checksum and Object Lock
 * retention (HeadObject, ChecksumMode ENABLED).
 *
 * Object Lock keeps a version from being deleted, not from being shadowed: anyone allowed to
 * s3:PutObject can add a newer version, and s3:DeleteObject without a VersionId adds a delete
 * marker. Reading the latest version would verify whatever was written last; reading the first
 * version and listing the later ones verifies what was sealed and names what was put over it.
 * Needs only s3:ListBucketVersions and s3:GetObjectVersion (plus GetObjectRetention/Attributes).
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
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { SIGNATURE_FILE } from '../../core/evidence/manifest';
import type {
  ObjectVersionRef,
  PackReader,
  PackRef,
  StoredFile,
  StoredObjectFacts,
  StoreProblem,
} from '../../core/evidence/ports';
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
  /** Packs that have a sealed `manifest.sig` version (delete-marked or not). */
  sealed: Set<string>;
  problems: StoreProblem[];
}

interface KeyHistory {
  versions: (ObjectVersionRef & { bytes: number; order: number })[];
  markers: ObjectVersionRef[];
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

  /**
   * Packs with a version of `manifest.sig`: in S3 that object is written last, so its presence
   * means sealed — also when a delete marker hides it (verify reports that as `hidden`).
   */
  async listPacks(): Promise<PackRef[]> {
    const { sealed } = await this.list();
    return [...sealed].map((dir) => this.ref(dir));
  }

  async listUnsealed(): Promise<string[]> {
    const { packs, sealed } = await this.list();
    return [...packs.keys()]
      .filter((dir) => !sealed.has(dir))
      .map((dir) => `${s3Url(this.options.bucket, this.keyPrefix + dir)}/ (no manifest.sig)`);
  }

  async storeProblems(): Promise<StoreProblem[]> {
    return (await this.list()).problems;
  }

  async listFiles(pack: PackRef): Promise<StoredFile[]> {
    return (await this.list()).packs.get(pack.dir) ?? [];
  }

  async readFile(pack: PackRef, path: string): Promise<Uint8Array | undefined> {
    const key = this.keyOf(pack, path);
    const version = await this.sealedVersion(pack, path);
    if (version === null) return undefined;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...version, ...this.owner() }),
      );
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw new Error(describeS3Error('GetObject', key, err), { cause: err });
    }
  }

  async *openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array> {
    const key = this.keyOf(pack, path);
    const version = await this.sealedVersion(pack, path);
    let body: Readable;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key, ...version, ...this.owner() }),
      );
      body = out.Body as Readable;
    } catch (err) {
      throw new Error(describeS3Error('GetObject', key, err), { cause: err });
    }
    for await (const chunk of body) yield chunk as Uint8Array;
  }

  async objectFacts(pack: PackRef, path: string): Promise<StoredObjectFacts> {
    const key = this.keyOf(pack, path);
    const version = (await this.sealedVersion(pack, path)) ?? {};
    let h: HeadObjectCommandOutput;
    try {
      h = await this.client.send(
        new HeadObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ChecksumMode: 'ENABLED',
          ...version,
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
    if (facts.checksumSha256?.includes('-')) facts.parts = await this.parts(key, version);
    return facts;
  }

  /**
   * `{ VersionId }` of the file's sealed version; `{}` when the store lists no versions (reads the
   * only copy there is); `null` when the listing has no version of it.
   */
  private async sealedVersion(pack: PackRef, path: string): Promise<{ VersionId?: string } | null> {
    const { packs, problems } = await this.list();
    const file = packs.get(pack.dir)?.find((f) => f.path === path);
    if (file?.version) return { VersionId: file.version.versionId };
    return problems.length > 0 ? {} : null;
  }

  private async parts(
    key: string,
    version: { VersionId?: string },
  ): Promise<{ size: number; checksumSha256: string }[]> {
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
            ...version,
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

  /**
   * One pass over every version under `<prefix>packs/`: keys `packs/Y/M/D/<runId>/<path>` grouped
   * by pack, each file described by its first-written version and what came after it.
   */
  private async listAll(): Promise<Listing> {
    const base = `${this.keyPrefix}packs/`;
    const history = new Map<string, KeyHistory>();
    const entry = (key: string) => {
      const h = history.get(key) ?? { versions: [], markers: [] };
      history.set(key, h);
      return h;
    };
    let order = 0;
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      let out: ListObjectVersionsCommandOutput;
      try {
        out = await this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.options.bucket,
            Prefix: base,
            ...(keyMarker ? { KeyMarker: keyMarker } : {}),
            ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
            ...this.owner(),
          }),
        );
      } catch (err) {
        if (versionsNotImplemented(err)) return this.listLatestOnly(base, err);
        throw new Error(describeS3Error('ListObjectVersions', base, err), { cause: err });
      }
      // S3 lists a key's versions newest first; `order` keeps that for versions written in the same
      // millisecond (LastModified is all the listing says about time).
      for (const v of out.Versions ?? [])
        if (v.Key && v.VersionId)
          entry(v.Key).versions.push({
            versionId: v.VersionId,
            at: isoOf(v.LastModified),
            bytes: v.Size ?? 0,
            order: order++,
          });
      for (const m of out.DeleteMarkers ?? [])
        if (m.Key && m.VersionId)
          entry(m.Key).markers.push({ versionId: m.VersionId, at: isoOf(m.LastModified) });
      keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
      versionMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
    } while (keyMarker);

    const packs = new Map<string, StoredFile[]>();
    const sealed = new Set<string>();
    for (const [key, h] of history) {
      const at = this.packPath(key);
      // A delete marker on a key that never had a version hides nothing.
      if (!at || h.versions.length === 0) continue;
      const byAge = [...h.versions].sort((a, b) => a.at.localeCompare(b.at) || b.order - a.order);
      const [first, ...later] = byAge;
      if (!first) continue;
      const files = packs.get(at.dir) ?? [];
      files.push({
        path: at.path,
        bytes: first.bytes,
        key,
        version: { versionId: first.versionId, at: first.at },
        ...(later.length ? { laterVersions: later.map(({ versionId, at }) => ({ versionId, at })) } : {}),
        ...(h.markers.length
          ? { deleteMarkers: [...h.markers].sort((a, b) => a.at.localeCompare(b.at)) }
          : {}),
      });
      packs.set(at.dir, files);
      if (at.path === SIGNATURE_FILE) sealed.add(at.dir);
    }
    return { packs, sealed, problems: [] };
  }

  /**
   * An S3 without ListObjectVersions (s3rver): only the latest objects can be listed and read, and
   * verify says it cannot tell them from what was sealed.
   */
  private async listLatestOnly(base: string, cause: unknown): Promise<Listing> {
    const packs = new Map<string, StoredFile[]>();
    const sealed = new Set<string>();
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
        const at = obj.Key ? this.packPath(obj.Key) : undefined;
        if (!at) continue;
        const files = packs.get(at.dir) ?? [];
        files.push({ path: at.path, bytes: obj.Size ?? 0 });
        packs.set(at.dir, files);
        if (at.path === SIGNATURE_FILE) sealed.add(at.dir);
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    const why = (cause as { name?: string }).name ?? 'an error';
    return {
      packs,
      sealed,
      problems: [
        {
          severity: 'error',
          code: 'versions-unavailable',
          message: `${s3Url(this.options.bucket, base)}: the store does not list object versions (ListObjectVersions answered ${why}): only the latest objects were read, and a version written over a sealed one cannot be told apart`,
        },
      ],
    };
  }

  /** `packs/Y/M/D/<runId>` and the path inside the pack, for a key under `<prefix>packs/`. */
  private packPath(key: string): { dir: string; path: string } | undefined {
    if (key.endsWith('/')) return undefined;
    const segments = key.slice(this.keyPrefix.length).split('/');
    if (segments.length < 6) return undefined;
    return { dir: segments.slice(0, 5).join('/'), path: segments.slice(5).join('/') };
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

/** 405 / 501 / NotImplemented: the server has no versions listing at all (not a permission problem). */
function versionsNotImplemented(err: unknown): boolean {
  const status = httpStatusOf(err);
  const name = (err as { name?: string }).name;
  return status === 405 || status === 501 || name === 'NotImplemented' || name === 'MethodNotAllowed';
}

function isoOf(d: Date | string | undefined): string {
  return d ? new Date(d).toISOString() : '';
}
