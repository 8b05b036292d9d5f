/**
 * `verify DIR | s3://bucket/prefix`: pick the reader for a target.
 */
import { InputError } from '../../core/errors';
import type { PackReader } from '../../core/evidence/ports';
import { LocalPackReader } from '../local-vault/local-pack-reader';

export interface OpenPackReaderOptions {
  /** Reserved for the S3 reader (client, expected bucket owner). */
  s3?: unknown;
}

/**
 * @example
 * const reader = openPackReader(target, {});
 * const report = await verifyChain(reader, { pinnedFingerprint });
 */
export function openPackReader(target: string, _opts: OpenPackReaderOptions = {}): PackReader {
  if (target.startsWith('s3://'))
    throw new InputError('S3 targets are not supported yet', { field: 'target' });
  return new LocalPackReader(target);
}
