/**
 * `manifest.sig`: the detached signature over `manifest.json`'s exact bytes, with the public key
 * that checks it, so a pack can be verified offline and by hand with `openssl`.
 */
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import * as z from 'zod';
import { canonicalJson, describeZodError, type ParseResult, type SignatureAlgorithm } from './manifest';

export const signatureEnvelopeSchema = z
  .object({
    algorithm: z.enum(['Ed25519', 'ECDSA_SHA_256']),
    keyFingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256'),
    keyId: z.string().optional(),
    publicKeyPem: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
    /** Base64. Ed25519: the 64 raw bytes. ECDSA: DER `SEQUENCE {r, s}` (what KMS and openssl emit). */
    signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
  })
  .strict();

export type SignatureEnvelope = z.infer<typeof signatureEnvelopeSchema>;

/**
 * Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of a public key (PEM, public or private).
 * Same as `openssl pkey -pubin -in pub.pem -outform DER | sha256sum`.
 *
 * @example
 * keyFingerprint(envelope.publicKeyPem) === manifest.signing.keyFingerprint
 */
export function keyFingerprint(key: string | KeyObject): string {
  const pub = typeof key === 'string' ? createPublicKey(key) : key;
  const der = (pub.type === 'private' ? createPublicKey(pub) : pub).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

/** Which of our algorithms a public key is for, or `undefined` when it is neither. */
export function algorithmOfKey(publicKeyPem: string): SignatureAlgorithm | undefined {
  const key = createPublicKey(publicKeyPem);
  if (key.asymmetricKeyType === 'ed25519') return 'Ed25519';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1')
    return 'ECDSA_SHA_256';
  return undefined;
}

export function serializeEnvelope(envelope: SignatureEnvelope): Uint8Array {
  return new TextEncoder().encode(canonicalJson(envelope));
}

export function parseEnvelope(bytes: Uint8Array): ParseResult<SignatureEnvelope> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return { ok: false, error: `not UTF-8 JSON: ${(err as Error).message}` };
  }
  const parsed = signatureEnvelopeSchema.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: describeZodError(parsed.error) };
}

/**
 * Check `envelope` over `message`: the key is of the stated algorithm, its fingerprint is the
 * stated one, and the signature holds. ECDSA_SHA_256 is ECDSA P-256 over SHA-256 of the message:
 * a KMS signature made over that digest with `MessageType: DIGEST` is exactly such a signature.
 */
export function checkSignature(message: Uint8Array, envelope: SignatureEnvelope): ParseResult<true> {
  let key: KeyObject;
  try {
    key = createPublicKey(envelope.publicKeyPem);
  } catch (err) {
    return { ok: false, error: `publicKeyPem is not a public key: ${(err as Error).message}` };
  }
  const fingerprint = keyFingerprint(key);
  if (fingerprint !== envelope.keyFingerprint)
    return {
      ok: false,
      error: `keyFingerprint ${envelope.keyFingerprint} is not the fingerprint of publicKeyPem (${fingerprint})`,
    };
  const signature = Buffer.from(envelope.signature, 'base64');
  try {
    if (envelope.algorithm === 'Ed25519') {
      if (key.asymmetricKeyType !== 'ed25519') return { ok: false, error: 'key is not an Ed25519 key' };
      return verify(null, message, key, signature) ? { ok: true, value: true } : badSignature();
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      return { ok: false, error: 'key is not an ECDSA P-256 key' };
    return verify('sha256', message, { key, dsaEncoding: 'der' }, signature)
      ? { ok: true, value: true }
      : badSignature();
  } catch (err) {
    return { ok: false, error: `signature cannot be checked: ${(err as Error).message}` };
  }
}

function badSignature(): ParseResult<true> {
  return { ok: false, error: 'signature does not match manifest.json' };
}

/**
 * Read what `verify --key FILE` pins: a PEM public (or private) key, or a 64-hex fingerprint,
 * optionally `SHA256:`-prefixed or with `:` separators. Returns the lowercase hex fingerprint.
 */
export function parsePinnedKey(text: string): ParseResult<string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    try {
      return { ok: true, value: keyFingerprint(trimmed) };
    } catch (err) {
      return { ok: false, error: `not a readable PEM key: ${(err as Error).message}` };
    }
  }
  const hex = trimmed
    .replace(/^sha256:/i, '')
    .replace(/[:\s]/g, '')
    .toLowerCase();
  if (/^[0-9a-f]{64}$/.test(hex)) return { ok: true, value: hex };
  return { ok: false, error: 'expected a PEM public key or a 64-hex-digit SHA-256 fingerprint' };
}
