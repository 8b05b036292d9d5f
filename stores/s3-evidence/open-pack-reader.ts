/**
 * `verify DIR | s3://bucket/prefix`: pick the reader for a target.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { PackReader } from '../../core/evidence/ports';
import { LocalPackReader } from '../local-vault/local-pack-reader';
import { parseS3Url } from './s3-location';
import { S3PackReader } from './s3-pack-reader';

export interface OpenPackReaderOptions {
  /** S3 client or its config for `s3://` targets (default: credentials from the environment). */
  s3?: S3Client | S3ClientConfig;
  /** Region for the S3 client built when `s3` is not given. */
  region?: string;
  /** Account id that must own the bucket. */
  expectedBucketOwner?: string;
  /**
   * Not a reader concern: a trusted key (`--key`, `--public-key`) is checked by
   * `verifyChain(reader, { pinnedFingerprint: parsePinnedKey(pem) })`, and a KMS key by
   * `verifyChain(reader, { resolveKeyFingerprint })`. Typed `never` so it cannot be passed and
   * silently ignored.
   */
  publicKeyPem?: never;
}

/**
 * @example
 * const reader = openPackReader('s3://acme-evidence/accessproof', { region: 'eu-west-1' });
 * const report = await verifyChain(reader, { pinnedFingerprint });
 */
export function openPackReader(target: string, opts: OpenPackReaderOptions = {}): PackReader {
  if (!target.startsWith('s3://')) return new LocalPackReader(target);
  const { bucket, keyPrefix } = parseS3Url(target);
  return new S3PackReader({
    client: opts.s3 ?? (opts.region ? { region: opts.region } : {}),
    bucket,
    prefix: keyPrefix,
    ...(opts.expectedBucketOwner ? { expectedBucketOwner: opts.expectedBucketOwner } : {}),
  });
}
