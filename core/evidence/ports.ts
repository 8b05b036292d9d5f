/**
 * Evidence ports: the signer, the vault that writes packs, and the reader that `verify` walks.
 * Adapters: `stores/local-vault`, `stores/local-signer`, `stores/s3-evidence`, `stores/kms-signer`.
 */
import type { ChainHead, Manifest, ManifestDraft, SignatureAlgorithm } from './manifest';
import type { OcsfContext } from './ocsf';

/** Signs manifest bytes. */
export interface Signer {
  readonly algorithm: SignatureAlgorithm;
  /** KMS key ARN; recorded in the manifest and `manifest.sig`. Absent for a local key. */
  readonly keyId?: string;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  publicKeyPem(): Promise<string>;
  /**
   * Signature over `bytes` (the whole message, not a digest). Ed25519: 64 raw bytes;
   * ECDSA_SHA_256: DER-encoded ECDSA P-256 over SHA-256(bytes).
   */
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

/** File content: bytes, or a stream of chunks (read once, in order). */
export type ArtefactContent = Uint8Array | AsyncIterable<Uint8Array>;

/** A pack's artefact as written. */
export interface WrittenFile {
  path: string;
  sha256: string;
  bytes: number;
  records: number;
}

export interface SealedPack {
  runId: string;
  /** Where it is: a directory path or `s3://bucket/prefix/packs/…/<runId>/`. */
  location: string;
  manifest: Manifest;
  manifestSha256: string;
  /** The chain head this pack now is. */
  head: ChainHead;
}

/**
 * One pack being written. Artefacts are staged out of readers' sight; `seal` writes
 * `manifest.json` then `manifest.sig` last and makes the pack visible at once.
 */
export interface PackWriter {
  readonly runId: string;
  /**
   * Write one artefact. `path` is relative to the pack (`inventory/erp.jsonl.gz`); `records`
   * is the number of records (lines) it holds, 0 when that does not apply.
   * Refuses a path written before, `manifest.json`, `manifest.sig` and unsafe paths.
   */
  add(path: string, content: ArtefactContent, records: number): Promise<WrittenFile>;
  /**
   * Complete the manifest with the files as written (sorted by path), the retention applied and
   * the signer's algorithm and key fingerprint; sign; publish. A pack is sealed once: sealing an
   * existing run id throws and leaves the sealed pack untouched.
   */
  seal(draft: ManifestDraft, signer: Signer): Promise<SealedPack>;
  /** Throw away what was staged (a failed run). Safe to call after a failed `seal`. */
  abort(): Promise<void>;
}

/**
 * Makes `findings.ocsf.json` from `findings.jsonl`'s lines beside the caller (a worker thread:
 * `stores/local-vault/ocsf-thread.ts`), with the bytes `toOcsf` in the caller's thread gives
 * (`ocsf-lines.ts`). Seal then writes both files at once, so the pack writer must accept a second
 * `add` before the first has finished (the local vault does).
 */
export interface OcsfOffload {
  /** Starts one conversion, or `undefined` when it is not worth a thread (few findings). */
  open(ctx: OcsfContext, findings: number): OcsfConversion | undefined;
}

export interface OcsfConversion {
  /**
   * The next lines of `findings.jsonl`, in order, each without its newline (copied: the caller
   * keeps its array). Resolves when the conversion can take more (at most a few MB are in
   * flight); rejects once it failed.
   */
  feed(lines: readonly string[]): Promise<void>;
  /** After the last chunk. */
  end(): void;
  /** `findings.ocsf.json`'s bytes; throws if the conversion failed or was aborted. */
  readonly output: AsyncIterable<Uint8Array>;
  /** Stops the conversion (the other file failed): `output` then throws `reason`. */
  abort(reason: unknown): void;
}

/** The vault. */
export interface EvidenceWriter {
  /** A human-readable root: a directory or `s3://bucket/prefix`. */
  readonly location: string;
  /** Open a pack for `runId`, filed under the UTC date of `startedAt` (packs/YYYY/MM/DD/<runId>). */
  begin(runId: string, startedAt: Date): Promise<PackWriter>;
}

/** A sealed (or apparently sealed) pack found under the root. */
export interface PackRef {
  /** The run id the folder is named after. */
  runId: string;
  /** Relative to the root: `packs/2026/10/01/<runId>`. */
  dir: string;
  /** For messages: a path or an `s3://` URL. */
  location: string;
}

/** Object Lock / checksum facts an object store keeps beside the bytes (S3). */
export interface StoredObjectFacts {
  /** Base64 `x-amz-checksum-sha256`; composite checksums end in `-<parts>`. */
  checksumSha256?: string;
  /** `FULL_OBJECT` or `COMPOSITE`. */
  checksumType?: string;
  /** Part sizes and base64 SHA-256 of each part, for a `COMPOSITE` checksum. */
  parts?: { size: number; checksumSha256: string }[];
  objectLockMode?: string;
  /** ISO 8601. */
  retainUntil?: string;
  legalHold?: boolean;
}

/** One version of an object, or a delete marker, in a versioned object store. */
export interface ObjectVersionRef {
  versionId: string;
  /** ISO 8601, as the store lists it. */
  at: string;
}

export interface StoredFile {
  /** Relative to the pack. */
  path: string;
  bytes: number;
  /**
   * Versioned object stores (S3): the object's full key and the version every read of this file
   * uses, the first one written (the sealed one), with its time.
   */
  key?: string;
  version?: ObjectVersionRef;
  /** Versions written over the sealed one, oldest first: the key no longer shows what was sealed. */
  laterVersions?: ObjectVersionRef[];
  /** Delete markers on the key, oldest first: the object is hidden from plain reads. */
  deleteMarkers?: ObjectVersionRef[];
}

/** Something about the store itself that limits what verify can prove (reported, never ignored). */
export interface StoreProblem {
  severity: 'error' | 'warning';
  code: 'versions-unavailable';
  message: string;
}

/** Reads packs for `verify`, whatever stores them. */
export interface PackReader {
  /** A directory or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * Whether `objectFacts` is meaningful (S3): verify then checks checksums and retention. An object
   * store's reader lists every version and reads each file's first-written (sealed) version.
   */
  readonly objectStore: boolean;
  /** Every pack folder under `packs/`, in no particular order. */
  listPacks(): Promise<PackRef[]>;
  /** Folders left by a write that never sealed (local `.staging/<runId>`); verify reports, never accepts. */
  listUnsealed(): Promise<string[]>;
  /** Every file stored in the pack folder, including manifest files, with sizes. */
  listFiles(pack: PackRef): Promise<StoredFile[]>;
  /** A whole small file (manifest); `undefined` when it does not exist. */
  readFile(pack: PackRef, path: string): Promise<Uint8Array | undefined>;
  /** Stream a file in large chunks; each chunk may be consumed before the next is read. */
  openFile(pack: PackRef, path: string): AsyncIterable<Uint8Array>;
  /**
   * Optional, for hashing at the speed of SHA-256: hands the file's bytes to `consume` in order,
   * in buffers the reader reuses (a chunk is valid only during its call), reading the next chunk
   * while `consume` works on this one. Readers without it are read through `openFile`.
   */
  readChunks?(pack: PackRef, path: string, consume: (chunk: Uint8Array) => void): Promise<void>;
  /** Checksum and retention facts (S3 only). */
  objectFacts?(pack: PackRef, path: string): Promise<StoredObjectFacts>;
  /** What the store could not provide (an S3 without ListObjectVersions); empty when all held. */
  storeProblems?(): Promise<StoreProblem[]>;
}

/** Sealing a run id that already has a sealed pack: sealed packs are never rewritten. */
export class PackExistsError extends Error {
  override readonly name = 'PackExistsError';
  constructor(
    readonly runId: string,
    readonly location: string,
  ) {
    super(
      `evidence pack for run ${runId} is already sealed at ${location}; sealed packs are never rewritten`,
    );
  }
}
