/**
 * `accessproof verify DIR | s3://bucket/prefix`: every hash, every signature, the chain.
 * Exit 0 only when everything holds.
 */

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from '../../core/errors';
import { verifyChain } from '../../core/evidence/verify';
import { formatVerifyReport } from '../../core/evidence/verify-format';
import { openPackReader } from '../../stores/s3-evidence/open-pack-reader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';

export interface VerifyOptions {
  key?: string;
  publicKey?: string;
  region?: string;
}

export async function runVerify(target: string, opts: VerifyOptions, out: Output): Promise<number> {
  const pinnedFingerprint = opts.key ? readPin(opts.key) : undefined;
  const reader = openPackReader(target, {
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.publicKey ? { publicKeyPem: readPem(opts.publicKey) } : {}),
  });
  const report = await verifyChain(reader, {
    ...(pinnedFingerprint ? { pinnedFingerprint } : {}),
    onFile: (e) => out.progress(`verifying ${e.runId}/${e.path}`),
  });
  out.done();
  out.line(formatVerifyReport(report));
  return report.ok ? EXIT.ok : EXIT.failed;
}

/** `--key FILE`: a PEM public key (its fingerprint is computed) or a file holding a hex fingerprint. */
function readPin(file: string): string {
  const text = readText(file, '--key').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (text.includes('BEGIN PUBLIC KEY')) {
    const der = createPublicKey(text).export({ type: 'spki', format: 'der' });
    return createHash('sha256').update(der).digest('hex');
  }
  throw new InputError('expected a PEM public key or a 64-hex-digit SHA-256 fingerprint', {
    file,
    field: '--key',
  });
}

function readPem(file: string): string {
  const text = readText(file, '--public-key');
  if (!text.includes('BEGIN PUBLIC KEY'))
    throw new InputError('expected a PEM public key', { file, field: '--public-key' });
  return text;
}

function readText(file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new InputError('file not found', { file, field });
  }
}
