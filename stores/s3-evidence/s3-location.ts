/**
 * `s3://bucket/prefix` targets and the key prefix packs live under.
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { InputError } from '../../core/errors';

export interface S3Location {
  bucket: string;
  /** `''` or `a/b/` (always ending in `/` when not empty). */
  keyPrefix: string;
}

/**
 * @example
 * parseS3Url('s3://acme-evidence/accessproof') // { bucket: 'acme-evidence', keyPrefix: 'accessproof/' }
 */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!m?.[1] || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]))
    throw new InputError(`"${url}" is not an s3://bucket/prefix URL`, { field: 'target' });
  return { bucket: m[1], keyPrefix: normalizePrefix(m[2] ?? '') };
}

export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed ? `${trimmed}/` : '';
}

export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Take the caller's client, or build one from the config it gave (never one hidden inside). */
export function toS3Client(client: S3Client | S3ClientConfig): S3Client {
  return client instanceof S3Client ? client : new S3Client(client);
}

/** The SDK's HTTP status of a failed call, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** `s3:PutObject evidence/packs/…/findings.jsonl: AccessDenied: …` — names the call and key. */
export function describeS3Error(operation: string, key: string, err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `s3:${operation} ${key}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`;
}
