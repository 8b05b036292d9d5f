/**
 * The part of sealing every vault shares: complete the manifest, serialize it canonically, sign
 * the exact bytes and check the signature before anything is published.
 */
import {
  describeZodError,
  type FileEntry,
  isSafePackPath,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type Manifest,
  type ManifestDraft,
  manifestSchema,
  type Retention,
  SIGNATURE_FILE,
  serializeManifest,
  sha256Hex,
} from './manifest';
import type { Signer, WrittenFile } from './ports';
import {
  algorithmOfKey,
  checkSignature,
  keyFingerprint,
  type SignatureEnvelope,
  serializeEnvelope,
} from './signature';

export interface SignedManifest {
  manifest: Manifest;
  /** The exact bytes of `manifest.json`. */
  manifestBytes: Uint8Array;
  manifestSha256: string;
  envelope: SignatureEnvelope;
  /** The exact bytes of `manifest.sig`. */
  signatureBytes: Uint8Array;
}

/**
 * @example
 * const signed = await signManifest(draft, written, { mode: 'none' }, signer);
 * await write('manifest.json', signed.manifestBytes); await write('manifest.sig', signed.signatureBytes);
 */
export async function signManifest(
  draft: ManifestDraft,
  files: readonly WrittenFile[],
  retention: Retention,
  signer: Signer,
): Promise<SignedManifest> {
  const publicKeyPem = (await signer.publicKeyPem()).trim().concat('\n');
  const actual = algorithmOfKey(publicKeyPem);
  if (actual !== signer.algorithm)
    throw new Error(`signer says ${signer.algorithm} but its public key is ${actual ?? 'of another type'}`);
  const fingerprint = keyFingerprint(publicKeyPem);
  const entries: FileEntry[] = files
    .map((f) => ({ path: f.path, sha256: f.sha256, bytes: f.bytes, records: f.records }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const candidate = {
    ...draft,
    format: MANIFEST_FORMAT,
    files: entries,
    retention,
    signing: {
      algorithm: signer.algorithm,
      keyFingerprint: fingerprint,
      ...(signer.keyId ? { keyId: signer.keyId } : {}),
    },
  };
  const parsed = manifestSchema.safeParse(candidate);
  if (!parsed.success)
    throw new Error(`manifest for run ${draft.runId} is invalid: ${describeZodError(parsed.error)}`);
  const manifest = parsed.data;
  const manifestBytes = serializeManifest(manifest);
  const signature = await signer.sign(manifestBytes);
  const envelope: SignatureEnvelope = {
    algorithm: signer.algorithm,
    keyFingerprint: fingerprint,
    ...(signer.keyId ? { keyId: signer.keyId } : {}),
    publicKeyPem,
    signature: Buffer.from(signature).toString('base64'),
  };
  // A signer that returns a wrong signature must fail the run, not seal an unverifiable pack.
  const checked = checkSignature(manifestBytes, envelope);
  if (!checked.ok) throw new Error(`signer produced a signature that does not verify: ${checked.error}`);
  return {
    manifest,
    manifestBytes,
    manifestSha256: sha256Hex(manifestBytes),
    envelope,
    signatureBytes: serializeEnvelope(envelope),
  };
}

/** Why an artefact path cannot be added, or `undefined` when it can. */
export function artefactPathProblem(path: string, written: ReadonlySet<string>): string | undefined {
  if (!isSafePackPath(path)) return `unsafe artefact path "${path}": use a relative path without "." or ".."`;
  if (path === MANIFEST_FILE || path === SIGNATURE_FILE) return `"${path}" is written by seal()`;
  if (written.has(path)) return `artefact "${path}" was already added`;
  for (const other of written)
    if (other.startsWith(`${path}/`) || path.startsWith(`${other}/`))
      return `artefact "${path}" collides with "${other}" (a file cannot also be a folder)`;
  return undefined;
}
