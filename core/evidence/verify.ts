/**
 * `verify`: recompute every hash, check every signature, follow the chain of `previous` links,
 * and (in S3) check each object's checksum and Object Lock retention — the way
 * `aws cloudtrail validate-logs` checks digest chains. Pure over the `PackReader` port.
 */
import { CHAIN_EVENT_FILE, type ChainEvent, parseChainEvent } from './chain-event';
import { digestChunks, digestStream, hexToBase64 } from './hashing';
import {
  type ChainHead,
  MANIFEST_FILE,
  type Manifest,
  packRelativeDir,
  parseManifest,
  SIGNATURE_FILE,
  type SignatureAlgorithm,
  sha256Hex,
} from './manifest';
import type { PackReader, PackRef, StoredFile, StoredObjectFacts } from './ports';
import { checkSignature, parseEnvelope, type SignatureEnvelope } from './signature';

export type ProblemCode =
  | 'no-packs'
  | 'unsealed-staging'
  | 'manifest-missing'
  | 'manifest-invalid'
  | 'run-id-mismatch'
  | 'duplicate-run-id'
  | 'signature-missing'
  | 'signature-invalid'
  | 'signing-mismatch'
  | 'key-not-pinned'
  | 'key-not-confirmed'
  | 'key-change'
  | 'file-missing'
  | 'file-changed'
  | 'file-unlisted'
  | 'file-unreadable'
  /** A source's recorded snapshot hash is not the hash of its inventory file in the pack. */
  | 'snapshot-mismatch'
  | 'chain-dangling'
  | 'chain-hash-mismatch'
  | 'chain-sequence'
  | 'chain-fork'
  /** A second chain starts, documented by the operator in its first pack's chain-event.json (a warning). */
  | 'chain-start'
  /** The signing key changes, documented in the pack's chain-event.json (a warning). */
  | 'key-rotation'
  /** A chain-event.json that does not hold what it must, or does not match the chain. */
  | 'chain-event-invalid'
  /** The pack's folder is not the date folder of its manifest's start time (moved). */
  | 'pack-misplaced'
  /** The head recorded by the findings store is not the chain's newest pack (a newer pack is gone). */
  | 'chain-head-missing'
  /** `--expect-head`: the chain does not end exactly at the head an anchor recorded. */
  | 'head-mismatch'
  /** A version written over a sealed object: the key shows other bytes than were sealed. */
  | 'overwritten'
  /** A delete marker over a sealed object: plain reads no longer see it. */
  | 'hidden'
  /** The object store lists no versions: verify cannot tell the sealed version from a later one. */
  | 'versions-unavailable'
  | 'object-checksum'
  | 'object-lock'
  | 'object-not-locked';

export interface VerifyProblem {
  severity: 'error' | 'warning';
  code: ProblemCode;
  /** The pack's run id (folder name), when the problem is in a pack. */
  runId?: string;
  /** The file, relative to the pack. */
  path?: string;
  /** Pack folder or file location, for the reader. */
  location?: string;
  message: string;
}

export interface PackResult {
  runId: string;
  dir: string;
  location: string;
  sequence?: number;
  startedAt?: string;
  manifestSha256?: string;
  algorithm?: SignatureAlgorithm;
  keyFingerprint?: string;
  keyId?: string;
  signatureValid: boolean;
  files: number;
  bytes: number;
  ok: boolean;
}

export interface KeyUse {
  fingerprint: string;
  algorithm: SignatureAlgorithm;
  keyId?: string;
  publicKeyPem: string;
  /** Run ids signed with it, in chain order. */
  runIds: string[];
  /** What `resolveKeyFingerprint` said for `keyId` (e.g. from KMS GetPublicKey), when asked. */
  confirmedFingerprint?: string;
}

export interface VerifyReport {
  ok: boolean;
  location: string;
  /** Chain order (sequence, then start time). */
  packs: PackResult[];
  keys: KeyUse[];
  pinnedFingerprint?: string;
  /** The newest pack of the chain, when there is exactly one. */
  head?: ChainHead;
  problems: VerifyProblem[];
  filesChecked: number;
  bytesChecked: number;
}

export interface VerifyOptions {
  /** Lowercase hex fingerprint every pack must be signed with (`verify --key`). */
  pinnedFingerprint?: string;
  /** Files hashed at once (default 4): overlaps reads with hashing. */
  concurrency?: number;
  /**
   * Look up a key's fingerprint independently of the packs, by the `keyId` they name (KMS key
   * ARN → GetPublicKey). Every key with a `keyId` must then match what the lookup returns.
   */
  resolveKeyFingerprint?: (keyId: string) => Promise<string>;
  /** Called after each file is hashed, e.g. for a progress line. */
  onFile?: (event: { runId: string; path: string; bytes: number }) => void;
  /**
   * The head an anchor recorded outside the account (`verify --expect-head SEQUENCE:SHA256`): the
   * chain must end exactly there.
   */
  expectedHead?: { sequence: number; manifestSha256: string };
}

type Report = (code: ProblemCode, message: string, path?: string, severity?: 'error' | 'warning') => void;

interface Loaded {
  ref: PackRef;
  result: PackResult;
  manifest?: Manifest;
  envelope?: SignatureEnvelope;
  /** A manifest file exists (parsable or not). */
  hasManifest: boolean;
  /** The pack's chain-event.json, when the manifest lists one and it parses. */
  chainEvent?: ChainEvent;
}

/**
 * Verify every pack under the reader's root and the chain they form.
 *
 * @example
 * const report = await verifyChain(new LocalPackReader('./out/evidence'), { pinnedFingerprint });
 * console.log(formatVerifyReport(report)); process.exitCode = report.ok ? 0 : 1;
 */
export async function verifyChain(reader: PackReader, options: VerifyOptions = {}): Promise<VerifyReport> {
  const problems: VerifyProblem[] = [];
  const hashLimit = limiter(options.concurrency ?? 4);
  const packLimit = limiter(8);
  const [refs, unsealed, storeProblems] = await Promise.all([
    reader.listPacks(),
    reader.listUnsealed(),
    reader.storeProblems ? reader.storeProblems() : Promise.resolve([]),
  ]);
  for (const p of storeProblems)
    problems.push({ severity: p.severity, code: p.code, location: reader.location, message: p.message });
  for (const dir of unsealed)
    problems.push({
      severity: 'warning',
      code: 'unsealed-staging',
      location: dir,
      message: `${dir}: unsealed staging left by a write that never sealed; not a pack, ignored`,
    });
  if (refs.length === 0)
    problems.push({
      severity: 'error',
      code: 'no-packs',
      location: reader.location,
      message: `${reader.location}: no evidence packs found under packs/`,
    });

  const stats = { files: 0, bytes: 0 };
  const loaded = await Promise.all(
    refs.map((ref) => packLimit(() => checkPack(reader, ref, options, hashLimit, problems, stats))),
  );
  const chain = checkChain(loaded, problems);
  if (options.expectedHead) {
    const wrong = expectedHeadProblem(chain.head, options.expectedHead, chain.ordered);
    if (wrong) problems.push({ severity: 'error', code: 'head-mismatch', message: wrong });
  }
  if (options.pinnedFingerprint) {
    for (const p of chain.ordered)
      if (p.result.keyFingerprint && p.result.keyFingerprint !== options.pinnedFingerprint)
        problems.push({
          severity: 'error',
          code: 'key-not-pinned',
          runId: p.ref.runId,
          location: p.ref.location,
          message: `pack ${p.ref.runId} is signed by key ${p.result.keyFingerprint}, not the pinned ${options.pinnedFingerprint}`,
        });
  }

  const keys = new Map<string, KeyUse>();
  for (const p of chain.ordered) {
    if (!p.envelope) continue;
    const use = keys.get(p.envelope.keyFingerprint) ?? {
      fingerprint: p.envelope.keyFingerprint,
      algorithm: p.envelope.algorithm,
      ...(p.envelope.keyId ? { keyId: p.envelope.keyId } : {}),
      publicKeyPem: p.envelope.publicKeyPem,
      runIds: [],
    };
    use.runIds.push(p.ref.runId);
    keys.set(use.fingerprint, use);
  }
  if (options.resolveKeyFingerprint)
    for (const use of keys.values()) await confirmKey(use, options.resolveKeyFingerprint, problems);
  const failed = new Set(problems.filter((p) => p.severity === 'error' && p.runId).map((p) => p.runId));
  for (const p of chain.ordered) p.result.ok = !failed.has(p.ref.runId);

  problems.sort(
    (a, b) => (a.runId ?? '').localeCompare(b.runId ?? '') || (a.path ?? '').localeCompare(b.path ?? ''),
  );
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    location: reader.location,
    packs: chain.ordered.map((p) => p.result),
    keys: [...keys.values()],
    ...(options.pinnedFingerprint ? { pinnedFingerprint: options.pinnedFingerprint } : {}),
    ...(chain.head ? { head: chain.head } : {}),
    problems,
    filesChecked: stats.files,
    bytesChecked: stats.bytes,
  };
}

async function confirmKey(
  use: KeyUse,
  resolve: (keyId: string) => Promise<string>,
  problems: VerifyProblem[],
): Promise<void> {
  if (!use.keyId) return;
  let message: string | undefined;
  try {
    use.confirmedFingerprint = await resolve(use.keyId);
    if (use.confirmedFingerprint !== use.fingerprint)
      message = `is ${use.confirmedFingerprint} according to its owner, but the packs carry ${use.fingerprint}`;
  } catch (err) {
    message = `could not be looked up: ${(err as Error).message}`;
  }
  if (message)
    for (const runId of use.runIds)
      problems.push({
        severity: 'error',
        code: 'key-not-confirmed',
        runId,
        message: `pack ${runId}: signing key ${use.keyId} ${message}`,
      });
}

async function checkPack(
  reader: PackReader,
  ref: PackRef,
  options: VerifyOptions,
  hashLimit: Limiter,
  problems: VerifyProblem[],
  stats: { files: number; bytes: number },
): Promise<Loaded> {
  const result: PackResult = {
    runId: ref.runId,
    dir: ref.dir,
    location: ref.location,
    signatureValid: false,
    files: 0,
    bytes: 0,
    ok: false,
  };
  const at = { runId: ref.runId, location: ref.location };
  const problem: Report = (code, message, path, severity = 'error') =>
    problems.push({
      severity,
      code,
      ...at,
      ...(path ? { path } : {}),
      message: `pack ${ref.runId}${path ? ` ${path}` : ''}: ${message}`,
    });

  const [manifestBytes, sigBytes, stored] = await Promise.all([
    reader.readFile(ref, MANIFEST_FILE),
    reader.readFile(ref, SIGNATURE_FILE),
    reader.listFiles(ref),
  ]);
  const loaded: Loaded = { ref, result, hasManifest: manifestBytes !== undefined };

  if (!manifestBytes) {
    problem('manifest-missing', 'manifest.json is missing: the pack cannot be verified', MANIFEST_FILE);
    return loaded;
  }
  result.manifestSha256 = sha256Hex(manifestBytes);
  const parsed = parseManifest(manifestBytes);
  if (parsed.ok) {
    loaded.manifest = parsed.value;
    result.sequence = parsed.value.sequence;
    result.startedAt = parsed.value.startedAt;
    if (parsed.value.runId !== ref.runId)
      problem('run-id-mismatch', `manifest says run ${parsed.value.runId} but the folder is ${ref.runId}`);
    // Packs are filed by the UTC date of their start: one under another date folder was moved.
    const expectedDate = packRelativeDir(parsed.value.runId, parsed.value.startedAt)
      .split('/')
      .slice(0, 4)
      .join('/');
    const actualDate = ref.dir.split('/').slice(-5, -1).join('/');
    if (actualDate !== expectedDate)
      problem(
        'pack-misplaced',
        `the pack is at ${ref.dir}, but its start time ${parsed.value.startedAt} files it under ${expectedDate}/`,
      );
    if (parsed.value.files.some((f) => f.path === CHAIN_EVENT_FILE)) {
      const bytes = await reader.readFile(ref, CHAIN_EVENT_FILE);
      const event = bytes ? parseChainEvent(bytes) : undefined;
      if (event) loaded.chainEvent = event;
      else if (bytes)
        problem('chain-event-invalid', 'chain-event.json is not a chain event', CHAIN_EVENT_FILE);
    }
  } else {
    problem('manifest-invalid', `manifest.json is not a valid manifest: ${parsed.error}`, MANIFEST_FILE);
  }

  if (!sigBytes) {
    problem('signature-missing', 'manifest.sig is missing: the pack is not signed', SIGNATURE_FILE);
  } else {
    const env = parseEnvelope(sigBytes);
    if (!env.ok) {
      problem('signature-invalid', `manifest.sig is not a signature envelope: ${env.error}`, SIGNATURE_FILE);
    } else {
      loaded.envelope = env.value;
      result.algorithm = env.value.algorithm;
      result.keyFingerprint = env.value.keyFingerprint;
      if (env.value.keyId) result.keyId = env.value.keyId;
      const checked = checkSignature(manifestBytes, env.value);
      if (checked.ok) result.signatureValid = true;
      else
        problem('signature-invalid', `${checked.error} (manifest.json edited or re-signed)`, MANIFEST_FILE);
      const signing = loaded.manifest?.signing;
      if (
        signing &&
        (signing.algorithm !== env.value.algorithm ||
          signing.keyFingerprint !== env.value.keyFingerprint ||
          (signing.keyId ?? '') !== (env.value.keyId ?? ''))
      )
        problem(
          'signing-mismatch',
          `manifest names key ${signing.keyFingerprint} (${signing.algorithm}) but manifest.sig holds ${env.value.keyFingerprint} (${env.value.algorithm})`,
          SIGNATURE_FILE,
        );
    }
  }

  const storedByPath = new Map(stored.map((f) => [f.path, f]));
  for (const f of stored) checkVersions(f, problem);
  let unchecksummed = 0;
  const listed = new Set<string>([MANIFEST_FILE, SIGNATURE_FILE]);
  const tasks: Promise<void>[] = [];
  for (const entry of loaded.manifest?.files ?? []) {
    listed.add(entry.path);
    result.files += 1;
    result.bytes += entry.bytes;
    if (!storedByPath.has(entry.path)) {
      problem('file-missing', `listed in the manifest but not in the pack`, entry.path);
      continue;
    }
    tasks.push(
      hashLimit(async () => {
        const facts =
          reader.objectStore && reader.objectFacts ? await reader.objectFacts(ref, entry.path) : {};
        const partSizes = facts.parts?.map((p) => p.size);
        let digest: Awaited<ReturnType<typeof digestStream>>;
        try {
          digest = reader.readChunks
            ? await digestChunks((consume) => reader.readChunks!(ref, entry.path, consume), partSizes)
            : await digestStream(reader.openFile(ref, entry.path), partSizes);
        } catch (err) {
          problem('file-unreadable', `cannot be read: ${(err as Error).message}`, entry.path);
          return;
        }
        stats.files += 1;
        stats.bytes += digest.bytes;
        options.onFile?.({ runId: ref.runId, path: entry.path, bytes: digest.bytes });
        if (digest.sha256 !== entry.sha256 || digest.bytes !== entry.bytes)
          problem(
            'file-changed',
            `changed: sha256 ${digest.sha256} (${digest.bytes} bytes), the manifest says ${entry.sha256} (${entry.bytes} bytes)`,
            entry.path,
          );
        if (reader.objectStore && !checkObjectFacts(facts, digest, entry.path, loaded.manifest, problem))
          unchecksummed += 1;
      }),
    );
  }
  // The manifest files are objects too: their stored checksums must match what was read.
  if (reader.objectStore && reader.objectFacts) {
    for (const [path, bytes] of [
      [MANIFEST_FILE, manifestBytes],
      [SIGNATURE_FILE, sigBytes],
    ] as const) {
      if (!bytes) continue;
      tasks.push(
        hashLimit(async () => {
          const facts = await reader.objectFacts!(ref, path);
          const checked = checkObjectFacts(
            facts,
            { sha256: sha256Hex(bytes), bytes: bytes.byteLength },
            path,
            loaded.manifest,
            problem,
          );
          if (!checked) unchecksummed += 1;
        }),
      );
    }
  }
  // Each collected source's snapshot is in the pack exactly as the scan read it.
  for (const source of loaded.manifest?.sources ?? []) {
    if (!source.snapshotSha256) continue;
    const path = `inventory/${source.id}.jsonl.gz`;
    const entry = loaded.manifest?.files.find((f) => f.path === path);
    if (!entry)
      problem(
        'snapshot-mismatch',
        `source ${source.id} was collected but its snapshot is not in the pack`,
        path,
      );
    else if (entry.sha256 !== source.snapshotSha256)
      problem(
        'snapshot-mismatch',
        `source ${source.id} was scanned from snapshot sha256 ${source.snapshotSha256}, but the pack holds ${entry.sha256}`,
        path,
      );
  }
  // Without a readable manifest every file would look unlisted: that says nothing new.
  for (const f of loaded.manifest ? stored : [])
    if (!listed.has(f.path))
      problem('file-unlisted', 'present in the pack but not listed in the manifest', f.path);
  await Promise.all(tasks);
  // Not every S3 keeps checksums (Ceph RADOS Gateway stores none): the SHA-256 recomputed from the
  // bytes against the signed manifest is the authority, the stored checksum only a second witness.
  if (unchecksummed > 0)
    problem(
      'object-checksum',
      `${unchecksummed} object(s) have no stored SHA-256 checksum (this S3 keeps none); their hashes were recomputed from the bytes`,
      undefined,
      'warning',
    );
  return loaded;
}

/** A sealed object must be the only version of its key, with no delete marker over it. */
function checkVersions(f: StoredFile, problem: Report): void {
  const sealed = f.version ? `sealed version ${f.version.versionId} (${f.version.at})` : 'sealed version';
  const key = f.key ?? f.path;
  if (f.laterVersions?.length)
    problem(
      'overwritten',
      `key ${key}: ${f.laterVersions.map((v) => `version ${v.versionId} (${v.at})`).join(', ')} written over the ${sealed}; verify read the sealed version`,
      f.path,
    );
  if (f.deleteMarkers?.length)
    problem(
      'hidden',
      `key ${key}: delete marker ${f.deleteMarkers.map((v) => `${v.versionId} (${v.at})`).join(', ')} hides the ${sealed}; verify read the sealed version`,
      f.path,
    );
}

/**
 * Why the chain does not end exactly at `expected`, or `undefined` when it does. An anchor is a
 * head published outside the account when it was sealed: packs after it, a different pack at its
 * sequence, or a chain that stops short of it all mean the evidence is not what was anchored.
 */
export function expectedHeadProblem(
  head: ChainHead | undefined,
  expected: { sequence: number; manifestSha256: string },
  packs: readonly { result: PackResult }[] = [],
): string | undefined {
  const want = `#${expected.sequence} (manifest sha256 ${expected.manifestSha256})`;
  if (!head) return `expected head ${want}, but the chain has no single head`;
  if (head.sequence === expected.sequence && head.manifestSha256 === expected.manifestSha256)
    return undefined;
  const at = packs.find((p) => p.result.sequence === expected.sequence)?.result;
  if (head.sequence > expected.sequence)
    return at?.manifestSha256 === expected.manifestSha256
      ? `expected head ${want}, but the chain goes on to #${head.sequence} ${head.runId}: packs sealed after the anchor (get the newer anchors, or find who sealed them)`
      : `expected head ${want}, but the chain's pack #${expected.sequence} is ${at ? `${at.runId} with manifest sha256 ${at.manifestSha256}` : 'missing'} and it ends at #${head.sequence} ${head.runId}: the chain was rewritten`;
  if (head.sequence === expected.sequence)
    return `expected head ${want}, but the chain's pack #${head.sequence} ${head.runId} has manifest sha256 ${head.manifestSha256}: the chain was rewritten`;
  return `expected head ${want}, but the chain ends at #${head.sequence} ${head.runId}: newer packs are missing or hidden`;
}

/**
 * The head a findings store recorded against the chain's: a recorded head newer than the chain, or
 * another pack at the same sequence, means packs were removed or replaced. `where` names the store.
 */
export function recordedHeadProblem(
  head: ChainHead | undefined,
  recorded: ChainHead,
  where: string,
): string | undefined {
  if (head && head.sequence >= recorded.sequence)
    return head.sequence === recorded.sequence && head.manifestSha256 !== recorded.manifestSha256
      ? `${where} records pack #${recorded.sequence} ${recorded.runId} with manifest sha256 ${recorded.manifestSha256}, but the chain's pack #${head.sequence} has ${head.manifestSha256}`
      : undefined;
  return `${where} records pack #${recorded.sequence} ${recorded.runId} as the newest, but the chain ends at ${head ? `#${head.sequence} ${head.runId}` : 'no pack'}: newer packs are missing`;
}

/** Checks retention and, when the store keeps one, the checksum; `false` when it keeps none. */
function checkObjectFacts(
  facts: StoredObjectFacts,
  digest: { sha256: string; bytes: number; compositeChecksum?: string; partChecksums?: string[] },
  path: string,
  manifest: Manifest | undefined,
  problem: Report,
): boolean {
  checkRetention(facts, path, manifest, problem);
  const expected = hexToBase64(digest.sha256);
  if (!facts.checksumSha256) {
    return false;
  } else if (facts.checksumSha256.includes('-')) {
    if (facts.checksumSha256 !== digest.compositeChecksum)
      problem(
        'object-checksum',
        `the object's composite checksum ${facts.checksumSha256} does not match its parts as read (${digest.compositeChecksum ?? 'no part sizes'})`,
        path,
      );
    facts.parts?.forEach((part, i) => {
      if (digest.partChecksums?.[i] !== part.checksumSha256)
        problem('object-checksum', `part ${i + 1} checksum does not match its bytes`, path);
    });
  } else if (facts.checksumSha256 !== expected) {
    problem(
      'object-checksum',
      `the object's checksum ${facts.checksumSha256} is not the SHA-256 of its bytes (${expected})`,
      path,
    );
  }
  return true;
}

/** Each object's own lock (multipart uploads included) must hold at least what the manifest says. */
function checkRetention(
  facts: StoredObjectFacts,
  path: string,
  manifest: Manifest | undefined,
  problem: Report,
): void {
  const retention = manifest?.retention;
  if (!retention) return;
  if (retention.mode === 'none') {
    problem(
      'object-not-locked',
      'the manifest records no Object Lock retention for this pack',
      path,
      'warning',
    );
    return;
  }
  if (facts.objectLockMode !== 'COMPLIANCE')
    problem(
      'object-lock',
      `Object Lock mode is ${facts.objectLockMode ?? 'absent'}, the manifest says COMPLIANCE`,
      path,
    );
  const until = retention.until ? Date.parse(retention.until) : Number.NaN;
  const held = facts.retainUntil ? Date.parse(facts.retainUntil) : Number.NaN;
  // S3 keeps retain-until dates at second precision.
  if (!(held >= until - 1000))
    problem(
      'object-lock',
      `retained until ${facts.retainUntil ?? 'never'}, the manifest says ${retention.until ?? '?'}`,
      path,
    );
}

function checkChain(loaded: Loaded[], problems: VerifyProblem[]): { ordered: Loaded[]; head?: ChainHead } {
  const withManifest = loaded.filter((l): l is Loaded & { manifest: Manifest } => l.manifest !== undefined);
  const byRunId = new Map<string, Loaded & { manifest: Manifest }>();
  const folders = new Set(loaded.map((l) => l.ref.runId));
  for (const l of withManifest) {
    const other = byRunId.get(l.manifest.runId);
    if (other)
      problems.push({
        severity: 'error',
        code: 'duplicate-run-id',
        runId: l.ref.runId,
        location: l.ref.location,
        message: `pack ${l.ref.runId}: run id also sealed at ${other.ref.location}`,
      });
    else byRunId.set(l.manifest.runId, l);
  }

  const children = new Map<string, string[]>();
  const roots: string[] = [];
  for (const l of withManifest) {
    const m = l.manifest;
    const at = { runId: l.ref.runId, location: l.ref.location };
    if (!m.previous) {
      roots.push(l.ref.runId);
      continue;
    }
    const kids = children.get(m.previous.runId) ?? [];
    kids.push(l.ref.runId);
    children.set(m.previous.runId, kids);
    const prev = byRunId.get(m.previous.runId);
    if (!prev) {
      problems.push({
        severity: 'error',
        code: 'chain-dangling',
        ...at,
        message: folders.has(m.previous.runId)
          ? `pack ${l.ref.runId}: previous pack ${m.previous.runId} has no readable manifest (deleted or damaged): the chain is broken`
          : `pack ${l.ref.runId}: previous pack ${m.previous.runId} is missing: the chain has a gap`,
      });
      continue;
    }
    if (prev.result.manifestSha256 !== m.previous.manifestSha256)
      problems.push({
        severity: 'error',
        code: 'chain-hash-mismatch',
        ...at,
        message: `pack ${l.ref.runId}: previous pack ${m.previous.runId} has manifest sha256 ${prev.result.manifestSha256}, the link says ${m.previous.manifestSha256} (edited or replaced)`,
      });
    if (m.sequence !== prev.manifest.sequence + 1)
      problems.push({
        severity: 'error',
        code: 'chain-sequence',
        ...at,
        message: `pack ${l.ref.runId}: sequence ${m.sequence} does not follow ${prev.manifest.sequence} of ${m.previous.runId}`,
      });
    const before = prev.envelope?.keyFingerprint;
    const now = l.envelope?.keyFingerprint;
    const rotation = l.chainEvent?.event === 'key-rotation' ? l.chainEvent : undefined;
    if (
      before &&
      now &&
      before !== now &&
      rotation?.fromKeyFingerprint === before &&
      rotation.toKeyFingerprint === now
    )
      problems.push({
        severity: 'warning',
        code: 'key-rotation',
        ...at,
        message: `pack ${l.ref.runId}: documented key rotation from ${before} to ${now} (reason: ${rotation.reason}); packs from here on are signed by the new key`,
      });
    else if (rotation)
      problems.push({
        severity: 'error',
        code: 'chain-event-invalid',
        ...at,
        message: `pack ${l.ref.runId}: chain-event.json records a key rotation from ${rotation.fromKeyFingerprint} to ${rotation.toKeyFingerprint}, but the previous pack is signed by ${before ?? 'no key'} and this one by ${now ?? 'no key'}`,
      });
    else if (before && now && before !== now)
      problems.push({
        severity: 'error',
        code: 'key-change',
        ...at,
        message: `pack ${l.ref.runId}: signed by key ${now}, but the previous pack ${m.previous.runId} by ${before}: the signing key changed inside the chain`,
      });
  }
  for (const [parent, kids] of children)
    if (kids.length > 1)
      for (const kid of kids)
        problems.push({
          severity: 'error',
          code: 'chain-fork',
          runId: kid,
          message: `pack ${kid}: the chain forks at ${parent} (also followed by ${kids.filter((k) => k !== kid).join(', ')})`,
        });
  // A root that documents its start (chain-event.json naming the head of the chain before it, a
  // pack that nothing else follows) is a new chain on purpose, not a fork.
  const documented = new Set<string>();
  const closedTips = new Set<string>();
  for (const root of roots) {
    const l = withManifest.find((x) => x.ref.runId === root);
    const event = l?.chainEvent;
    if (event?.event !== 'new-chain') {
      if (event)
        problems.push({
          severity: 'error',
          code: 'chain-event-invalid',
          runId: root,
          message: `pack ${root}: chain-event.json records a ${event.event} in the first pack of a chain`,
        });
      continue;
    }
    const before = byRunId.get(event.previousChain.runId);
    const valid =
      before &&
      before.result.manifestSha256 === event.previousChain.manifestSha256 &&
      before.manifest.sequence === event.previousChain.sequence &&
      !children.has(event.previousChain.runId) &&
      before.ref.runId !== root;
    if (!valid) {
      problems.push({
        severity: 'error',
        code: 'chain-event-invalid',
        runId: root,
        message: `pack ${root}: chain-event.json starts a new chain after pack #${event.previousChain.sequence} ${event.previousChain.runId} (manifest sha256 ${event.previousChain.manifestSha256}), which is not the end of a chain in this store`,
      });
      continue;
    }
    documented.add(root);
    closedTips.add(event.previousChain.runId);
    problems.push({
      severity: 'warning',
      code: 'chain-start',
      runId: root,
      message: `pack ${root}: documented new chain after pack #${event.previousChain.sequence} ${event.previousChain.runId} (reason: ${event.reason}, at ${event.at})`,
    });
  }
  const undocumented = roots.filter((r) => !documented.has(r));
  if (undocumented.length > 1)
    for (const root of undocumented)
      problems.push({
        severity: 'error',
        code: 'chain-fork',
        runId: root,
        message: `pack ${root}: more than one chain starts here (first packs: ${undocumented.join(', ')})`,
      });

  const ordered = [...loaded].sort(
    (a, b) =>
      (a.manifest?.sequence ?? Number.MAX_SAFE_INTEGER) - (b.manifest?.sequence ?? Number.MAX_SAFE_INTEGER) ||
      (a.manifest?.startedAt ?? '').localeCompare(b.manifest?.startedAt ?? '') ||
      a.ref.runId.localeCompare(b.ref.runId),
  );
  // A chain that a documented new chain follows is closed: its tip is not the head.
  const tips = withManifest.filter(
    (l) => !children.has(l.manifest.runId) && !closedTips.has(l.manifest.runId),
  );
  const tip = tips.length === 1 ? tips[0] : undefined;
  return {
    ordered,
    ...(tip
      ? {
          head: {
            runId: tip.manifest.runId,
            manifestSha256: tip.result.manifestSha256!,
            sequence: tip.manifest.sequence,
          },
        }
      : {}),
  };
}

/**
 * The head a new pack should link to: the sealed pack with the highest sequence (ties: the later
 * start). Reads manifests only; `verify` is what proves the chain holds.
 *
 * @example
 * const draft = { runId, ...nextLink(await findChainHead(reader)), … };
 */
export async function findChainHead(reader: PackReader): Promise<ChainHead | null> {
  const limit = limiter(8);
  const refs = await reader.listPacks();
  const heads = await Promise.all(
    refs.map((ref) =>
      limit(async (): Promise<(ChainHead & { startedAt: string }) | null> => {
        const bytes = await reader.readFile(ref, MANIFEST_FILE);
        if (!bytes) return null;
        const parsed = parseManifest(bytes);
        if (!parsed.ok) return null;
        const m = parsed.value;
        return {
          runId: m.runId,
          manifestSha256: sha256Hex(bytes),
          sequence: m.sequence,
          startedAt: m.startedAt,
        };
      }),
    ),
  );
  let best: (ChainHead & { startedAt: string }) | null = null;
  for (const h of heads)
    if (
      h &&
      (!best || h.sequence > best.sequence || (h.sequence === best.sequence && h.startedAt > best.startedAt))
    )
      best = h;
  return best ? { runId: best.runId, manifestSha256: best.manifestSha256, sequence: best.sequence } : null;
}

type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Run at most `n` tasks at once. */
function limiter(n: number): Limiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next waiter, so no newcomer can jump in.
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
