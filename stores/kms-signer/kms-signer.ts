/**
 * The manifest signer in AWS: an asymmetric KMS key (`ECC_NIST_P256`, `SIGN_VERIFY`). KMS signs the
 * SHA-256 digest of the manifest (`MessageType: DIGEST`, so any size of manifest fits the 4 KB
 * message limit), which is exactly an ECDSA-SHA-256 signature over the manifest bytes: anyone can
 * check it offline with the public key, without AWS.
 */

import { createHash, createPublicKey } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  KMSClient,
  type KMSClientConfig,
  SignCommand,
} from '@aws-sdk/client-kms';
import type { Signer } from '../../core/evidence/ports';
import { keyFingerprint } from '../../core/evidence/signature';

export interface KmsSignerOptions {
  client: KMSClient | KMSClientConfig;
  /** Key id, key ARN, alias name or alias ARN. The manifest records the key ARN KMS reports. */
  keyId: string;
}

/**
 * @example
 * const signer = new KmsSigner({ client: kms, keyId: process.env.SIGNING_KEY_ARN! });
 * const sealed = await pack.seal(draft, signer); // manifest.signing.keyId = the key ARN
 */
export class KmsSigner implements Signer {
  readonly algorithm = 'ECDSA_SHA_256' as const;
  private readonly client: KMSClient;
  private publicKey?: Promise<{ pem: string; arn: string; fingerprint: string }>;
  private resolvedArn?: string;

  constructor(private readonly options: KmsSignerOptions) {
    this.client = options.client instanceof KMSClient ? options.client : new KMSClient(options.client);
  }

  /** The key ARN once `publicKeyPem()` has run (KMS resolves aliases), else the configured id. */
  get keyId(): string {
    return this.resolvedArn ?? this.options.keyId;
  }

  async publicKeyPem(): Promise<string> {
    return (await this.load()).pem;
  }

  /** Hex SHA-256 of the DER public key, as recorded in manifests. */
  async fingerprint(): Promise<string> {
    return (await this.load()).fingerprint;
  }

  async sign(bytes: Uint8Array): Promise<Uint8Array> {
    const { arn } = await this.load();
    const digest = createHash('sha256').update(bytes).digest();
    let out: { Signature?: Uint8Array; SigningAlgorithm?: string };
    try {
      out = await this.client.send(
        new SignCommand({
          KeyId: arn,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
    } catch (err) {
      throw kmsError('Sign', arn, err);
    }
    if (!out.Signature?.byteLength) throw new Error(`kms:Sign ${arn}: no signature returned`);
    if (out.SigningAlgorithm && out.SigningAlgorithm !== 'ECDSA_SHA_256')
      throw new Error(`kms:Sign ${arn}: signed with ${out.SigningAlgorithm}, expected ECDSA_SHA_256`);
    return out.Signature;
  }

  /** GetPublicKey once; a failure is not cached, so a later call may retry. */
  private load(): Promise<{ pem: string; arn: string; fingerprint: string }> {
    this.publicKey ??= this.fetchPublicKey().catch((err) => {
      this.publicKey = undefined;
      throw err;
    });
    return this.publicKey;
  }

  private async fetchPublicKey(): Promise<{ pem: string; arn: string; fingerprint: string }> {
    const id = this.options.keyId;
    let out: GetPublicKeyCommandOutput;
    try {
      out = await this.client.send(new GetPublicKeyCommand({ KeyId: id }));
    } catch (err) {
      throw kmsError('GetPublicKey', id, err);
    }
    if (out.KeyUsage && out.KeyUsage !== 'SIGN_VERIFY')
      throw new Error(`kms:GetPublicKey ${id}: key usage is ${out.KeyUsage}, expected SIGN_VERIFY`);
    const spec = out.KeySpec;
    if (spec && spec !== 'ECC_NIST_P256')
      throw new Error(`kms:GetPublicKey ${id}: key spec is ${spec}, expected ECC_NIST_P256`);
    if (out.SigningAlgorithms && !out.SigningAlgorithms.includes('ECDSA_SHA_256'))
      throw new Error(`kms:GetPublicKey ${id}: the key cannot sign with ECDSA_SHA_256`);
    if (!out.PublicKey?.byteLength) throw new Error(`kms:GetPublicKey ${id}: no public key returned`);
    let pem: string;
    try {
      const key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
        throw new Error('not a P-256 key');
      pem = key.export({ type: 'spki', format: 'pem' }).toString();
    } catch (err) {
      throw new Error(`kms:GetPublicKey ${id}: unusable public key: ${(err as Error).message}`);
    }
    const arn = out.KeyId ?? id;
    this.resolvedArn = arn;
    return { pem, arn, fingerprint: keyFingerprint(pem) };
  }
}

function kmsError(operation: string, keyId: string, err: unknown): Error {
  const e = err as { name?: string; message?: string };
  return new Error(`kms:${operation} ${keyId}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, {
    cause: err,
  });
}
