import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  algorithmOfKey,
  checkSignature,
  keyFingerprint,
  parsePinnedKey,
  type SignatureEnvelope,
} from '../../../../core/evidence/signature';
import { signDigestP256 } from './ecdsa-digest';

const message = new TextEncoder().encode('{"runId":"r"}\n');

function ecdsaEnvelope(): { env: SignatureEnvelope; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // What KMS does with MessageType DIGEST: sign the SHA-256 digest itself, without hashing again.
  const digest = createHash('sha256').update(message).digest();
  const signature = signDigestP256(digest, privateKey);
  return {
    pem,
    env: {
      algorithm: 'ECDSA_SHA_256',
      keyFingerprint: keyFingerprint(pem),
      publicKeyPem: pem,
      signature: signature.toString('base64'),
    },
  };
}

describe('keyFingerprint', () => {
  it('is the SHA-256 of the DER SubjectPublicKeyInfo, as openssl computes it', () => {
    // Arrange
    const { publicKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const dir = mkdtempSync(join(tmpdir(), 'fp-'));
    writeFileSync(join(dir, 'pub.pem'), pem);

    // Act
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', join(dir, 'pub.pem'), '-outform', 'DER']);
    rmSync(dir, { recursive: true });

    // Assert
    expect(keyFingerprint(pem)).toBe(createHash('sha256').update(der).digest('hex'));
  });
});

describe('checkSignature', () => {
  it('accepts an ECDSA signature made over the SHA-256 digest (KMS MessageType DIGEST)', () => {
    // Arrange
    const { env } = ecdsaEnvelope();

    // Act / Assert
    expect(checkSignature(message, env)).toEqual({ ok: true, value: true });
    expect(algorithmOfKey(env.publicKeyPem)).toBe('ECDSA_SHA_256');
  });

  it('refuses the signature over other bytes', () => {
    // Arrange
    const { env } = ecdsaEnvelope();

    // Act
    const result = checkSignature(new TextEncoder().encode('{"runId":"s"}\n'), env);

    // Assert
    expect(result).toEqual({ ok: false, error: 'signature does not match manifest.json' });
  });

  it('refuses a fingerprint that is not the key', () => {
    // Arrange
    const { env } = ecdsaEnvelope();

    // Act
    const result = checkSignature(message, { ...env, keyFingerprint: '0'.repeat(64) });

    // Assert
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toMatch(/is not the fingerprint of publicKeyPem/);
  });

  it('refuses an EC key presented as Ed25519', () => {
    // Arrange
    const { env } = ecdsaEnvelope();

    // Act / Assert
    expect(checkSignature(message, { ...env, algorithm: 'Ed25519' })).toEqual({
      ok: false,
      error: 'key is not an Ed25519 key',
    });
  });
});

describe('parsePinnedKey', () => {
  it('reads a PEM key, a bare fingerprint and an SHA256:-prefixed, colon-separated one', () => {
    // Arrange
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const fp = keyFingerprint(pem);
    const colons = fp.toUpperCase().match(/../g)!.join(':');

    // Act / Assert
    expect(parsePinnedKey(pem)).toEqual({ ok: true, value: fp });
    expect(parsePinnedKey(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toEqual({
      ok: true,
      value: fp,
    });
    expect(parsePinnedKey(`${fp}\n`)).toEqual({ ok: true, value: fp });
    expect(parsePinnedKey(`SHA256:${colons}`)).toEqual({ ok: true, value: fp });
    expect(parsePinnedKey('abc').ok).toBe(false);
  });
});
