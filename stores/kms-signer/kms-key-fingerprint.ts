/**
 * `verify`'s independent key check in AWS: the fingerprint of a KMS key, from GetPublicKey.
 */
import type { KMSClient, KMSClientConfig } from '@aws-sdk/client-kms';
import { KmsSigner } from './kms-signer';

/**
 * A `resolveKeyFingerprint` for `verifyChain`: asks KMS for each key ARN the packs name.
 * Needs only `kms:GetPublicKey` (the auditor role has it).
 *
 * @example
 * const report = await verifyChain(reader, { resolveKeyFingerprint: kmsKeyFingerprints({ region }) });
 */
export function kmsKeyFingerprints(client: KMSClient | KMSClientConfig): (keyId: string) => Promise<string> {
  return (keyId) => new KmsSigner({ client, keyId }).fingerprint();
}
