/**
 * `accessproof verify DIR | s3://bucket/prefix`: every hash, every signature, the chain; in S3 also
 * each object's checksum and Object Lock retention. Exit 0 only when everything holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../../core/errors';
import { parsePinnedKey } from '../../core/evidence/signature';
import { verifyChain } from '../../core/evidence/verify';
import { formatVerifyReport } from '../../core/evidence/verify-format';
import { openPackReader } from '../../stores/s3-evidence/open-pack-reader';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../../stores/sqlite-findings/sqlite-findings-repository';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';

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
  const headProblem = s3 ? undefined : await checkRecordedHead(target, report.head);
  if (headProblem) {
    report.problems.push({ severity: 'error', code: 'chain-head-missing', message: headProblem });
    report.ok = false;
  }
  out.line(formatVerifyReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

/**
 * A chain cannot show that its newest pack was deleted. On one machine the findings store beside
 * the evidence (`<dir>/../state`) records the head the last run sealed: the chain must reach it.
 */
async function checkRecordedHead(
  target: string,
  head: { runId: string; sequence: number; manifestSha256: string } | undefined,
) {
  const db = findingsDbFile(localPaths(undefined, target).state);
  if (!existsSync(db)) return undefined;
  const repo = SqliteFindingsRepository.open({ file: db });
  try {
    const recorded = await repo.getChainHead();
    if (!recorded) return undefined;
    if (head && head.sequence >= recorded.sequence) {
      return head.sequence === recorded.sequence && head.manifestSha256 !== recorded.manifestSha256
        ? `the findings store records pack #${recorded.sequence} ${recorded.runId} with manifest sha256 ${recorded.manifestSha256}, but the chain's pack #${head.sequence} has ${head.manifestSha256}`
        : undefined;
    }
    return `the findings store (${db}) records pack #${recorded.sequence} ${recorded.runId} as the newest, but the chain ends at ${head ? `#${head.sequence} ${head.runId}` : 'no pack'}: newer packs are missing`;
  } finally {
    await repo.close();
  }
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
