/**
 * `accessproof verify DIR | s3://bucket/prefix`: every hash, every signature, the chain; in S3 also
 * each object's checksum and Object Lock retention. Exit 0 only when everything holds.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors';
import { parsePinnedKey } from '../../core/evidence/signature';
import { verifyChain } from '../../core/evidence/verify';
import { formatVerifyReport } from '../../core/evidence/verify-format';
import { openPackReader } from '../../stores/s3-evidence/open-pack-reader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';

export interface VerifyOptions {
  /** PEM public key or hex fingerprint every pack must be signed with. */
  key?: string;
  /** PEM public key of the KMS signing key, to check offline instead of asking KMS. */
  publicKey?: string;
  region?: string;
}

export async function runVerify(target: string, opts: VerifyOptions, out: Output): Promise<number> {
  if (opts.key && opts.publicKey)
    throw new InputError('give --key or --public-key, not both', { field: '--public-key' });
  const pinFile = opts.key ?? opts.publicKey;
  const pinnedFingerprint = pinFile ? readPin(pinFile, opts.key ? '--key' : '--public-key') : undefined;
  const s3 = target.startsWith('s3://');
  const reader = openPackReader(target, opts.region ? { region: opts.region } : {});
  // Without a key on record, S3 packs signed by KMS are checked against the key KMS holds (GetPublicKey).
  const resolveKeyFingerprint =
    s3 && !pinnedFingerprint
      ? (await import('../../stores/kms-signer/kms-key-fingerprint')).kmsKeyFingerprints(
          opts.region ? { region: opts.region } : {},
        )
      : undefined;
  const report = await verifyChain(reader, {
    ...(pinnedFingerprint ? { pinnedFingerprint } : {}),
    ...(resolveKeyFingerprint ? { resolveKeyFingerprint } : {}),
    onFile: (e) => out.progress(`verifying ${e.runId}/${e.path}`),
  });
  out.done();
  out.line(formatVerifyReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

function readPin(file: string, field: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file not found', { file, field });
  }
  const parsed = parsePinnedKey(text);
  if (!parsed.ok) throw new InputError(parsed.error, { file, field });
  return parsed.value;
}
