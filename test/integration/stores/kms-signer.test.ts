/**
 * The KMS manifest signer. KMS itself is imitated with aws-sdk-client-mock, but its signatures are
 * real: made with a local P-256 key over the digest KMS receives (MessageType DIGEST), then checked
 * offline by verify and by openssl, exactly as an auditor would without AWS.
 */

import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ManifestDraft, nextLink } from '../../../core/evidence/manifest';
import { keyFingerprint } from '../../../core/evidence/signature';
import { findChainHead, verifyChain } from '../../../core/evidence/verify';
import { formatVerifyReport } from '../../../core/evidence/verify-format';
import { kmsKeyFingerprints } from '../../../stores/kms-signer/kms-key-fingerprint';
import { KmsSigner } from '../../../stores/kms-signer/kms-signer';
import { LocalVault } from '../../../stores/local-vault/local-vault';
import { signDigestP256 } from '../../unit/core/evidence/ecdsa-digest';

const ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ALIAS = 'alias/accessproof-manifests';
const kms = mockClient(KMSClient);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const publicDer = publicKey.export({ type: 'spki', format: 'der' });

let dir: string;
beforeEach(async () => {
  kms.reset();
  dir = await mkdtemp(join(tmpdir(), 'accessproof-kms-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function behaveLikeKms(): void {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: ARN,
    PublicKey: new Uint8Array(publicDer),
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array; MessageType: string }) => {
    if (input.MessageType !== 'DIGEST' || input.Message.byteLength !== 32)
      throw new Error('expected a 32-byte DIGEST');
    return {
      KeyId: ARN,
      Signature: new Uint8Array(signDigestP256(input.Message, privateKey)),
      SigningAlgorithm: 'ECDSA_SHA_256',
    };
  });
}

function draft(runId: string, head: Awaited<ReturnType<typeof findChainHead>>): ManifestDraft {
  return {
    runId,
    ...nextLink(head),
    startedAt: '2026-10-01T06:00:00.000Z',
    finishedAt: '2026-10-01T06:01:00.000Z',
    asOf: '2026-10-01T00:00:00.000Z',
    toolVersion: '0.1.0',
    organization: 'Halvorsen Industrial',
    configSha256: 'c'.repeat(64),
    sources: [],
  };
}

async function sealWith(signer: KmsSigner, runId: string) {
  const vault = new LocalVault(join(dir, 'evidence'));
  const head = await findChainHead(vault.reader());
  const pack = await vault.begin(runId, new Date('2026-10-01T06:00:00Z'));
  await pack.add('findings.jsonl', new TextEncoder().encode('{"id":"f1"}\n'), 1);
  try {
    return await pack.seal(draft(runId, head), signer);
  } catch (err) {
    await pack.abort();
    throw err;
  }
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

describe('KmsSigner', () => {
  it('signs the SHA-256 digest with MessageType DIGEST and ECDSA_SHA_256, recording the key ARN', async () => {
    // Arrange
    behaveLikeKms();
    const signer = new KmsSigner({ client: new KMSClient({ region: 'eu-west-1' }), keyId: ALIAS });

    // Act
    const sealed = await sealWith(signer, 'run-1');

    // Assert
    const manifestBytes = await readFile(join(sealed.location, 'manifest.json'));
    const sign = kms.commandCalls(SignCommand)[0]!.args[0].input;
    expect(sign.KeyId).toBe(ARN);
    expect(sign.MessageType).toBe('DIGEST');
    expect(sign.SigningAlgorithm).toBe('ECDSA_SHA_256');
    expect(Buffer.from(sign.Message!)).toEqual(createHash('sha256').update(manifestBytes).digest());
    expect(sealed.manifest.signing).toEqual({
      algorithm: 'ECDSA_SHA_256',
      keyFingerprint: keyFingerprint(publicKey),
      keyId: ARN,
    });
    expect(await signer.fingerprint()).toBe(keyFingerprint(publicKey));
  });

  it('produces packs that verify offline, with GetPublicKey called once', async () => {
    // Arrange
    behaveLikeKms();
    const signer = new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ALIAS });
    await sealWith(signer, 'run-1');
    await sealWith(signer, 'run-2');

    // Act
    const report = await verifyChain(new LocalVault(join(dir, 'evidence')).reader(), {
      pinnedFingerprint: keyFingerprint(publicKey),
    });

    // Assert
    expect(report.problems).toEqual([]);
    expect(report.keys).toEqual([
      expect.objectContaining({ algorithm: 'ECDSA_SHA_256', keyId: ARN, runIds: ['run-1', 'run-2'] }),
    ]);
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it.skipIf(!hasOpenssl())(
    'is checked by `openssl dgst -sha256 -verify` as docs/auditor.md shows',
    async () => {
      // Arrange
      behaveLikeKms();
      const sealed = await sealWith(
        new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ALIAS }),
        'run-1',
      );
      const envelope = JSON.parse(await readFile(join(sealed.location, 'manifest.sig'), 'utf8'));
      await writeFile(join(dir, 'pub.pem'), envelope.publicKeyPem);
      await writeFile(join(dir, 'sig.der'), Buffer.from(envelope.signature, 'base64'));
      const check = (file: string) =>
        execFileSync('openssl', [
          'dgst',
          '-sha256',
          '-verify',
          join(dir, 'pub.pem'),
          '-signature',
          join(dir, 'sig.der'),
          file,
        ])
          .toString()
          .trim();

      // Act
      const good = check(join(sealed.location, 'manifest.json'));
      await writeFile(
        join(dir, 'edited.json'),
        `${await readFile(join(sealed.location, 'manifest.json'), 'utf8')} `,
      );
      const bad = (() => {
        try {
          return check(join(dir, 'edited.json'));
        } catch (err) {
          return String((err as { stdout?: Buffer }).stdout ?? err).trim();
        }
      })();

      // Assert
      expect(good).toBe('Verified OK');
      expect(bad).toBe('Verification failure');
    },
  );

  it('names the key and the error when GetPublicKey is denied, and retries on the next call', async () => {
    // Arrange
    kms.on(GetPublicKeyCommand).rejectsOnce(
      Object.assign(new Error('User is not authorized to perform kms:GetPublicKey'), {
        name: 'AccessDeniedException',
      }),
    );
    const signer = new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ALIAS });

    // Act
    const first = signer.publicKeyPem();

    // Assert
    await expect(first).rejects.toThrow(
      `kms:GetPublicKey ${ALIAS}: AccessDeniedException: User is not authorized`,
    );
    behaveLikeKms();
    await expect(signer.publicKeyPem()).resolves.toContain('BEGIN PUBLIC KEY');
  });

  it('refuses a key that is not an ECC_NIST_P256 signing key', async () => {
    // Arrange
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: ARN,
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: new Uint8Array(publicDer),
    });
    const rsa = new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ARN });
    const symmetric = new KmsSigner({ client: { region: 'eu-west-1' }, keyId: 'alias/data' });

    // Act / Assert
    await expect(rsa.publicKeyPem()).rejects.toThrow('key spec is RSA_2048, expected ECC_NIST_P256');
    kms.reset();
    kms.on(GetPublicKeyCommand).resolves({ KeyId: ARN, KeyUsage: 'ENCRYPT_DECRYPT' });
    await expect(symmetric.publicKeyPem()).rejects.toThrow(
      'key usage is ENCRYPT_DECRYPT, expected SIGN_VERIFY',
    );
  });

  it('fails the seal, leaving no pack, when Sign fails or returns a signature that does not verify', async () => {
    // Arrange
    behaveLikeKms();
    kms
      .on(SignCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const signer = new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ALIAS });

    // Act
    const throttled = sealWith(signer, 'run-1');

    // Assert
    await expect(throttled).rejects.toThrow(`kms:Sign ${ARN}: ThrottlingException: Rate exceeded`);
    kms
      .on(SignCommand)
      .resolves({ Signature: new Uint8Array(signDigestP256(Buffer.alloc(32, 1), privateKey)) });
    await expect(sealWith(signer, 'run-1')).rejects.toThrow(/signature that does not verify/);
    expect(await new LocalVault(join(dir, 'evidence')).reader().listPacks()).toEqual([]);
  });

  it("lets verify confirm the packs' key with KMS GetPublicKey, and fails when KMS holds another key", async () => {
    // Arrange
    behaveLikeKms();
    await sealWith(new KmsSigner({ client: { region: 'eu-west-1' }, keyId: ALIAS }), 'run-1');
    const reader = new LocalVault(join(dir, 'evidence')).reader();
    const confirmed = await verifyChain(reader, {
      resolveKeyFingerprint: kmsKeyFingerprints({ region: 'eu-west-1' }),
    });
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'der',
    });
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: ARN,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      PublicKey: new Uint8Array(other),
    });

    // Act
    const refuted = await verifyChain(reader, {
      resolveKeyFingerprint: kmsKeyFingerprints({ region: 'eu-west-1' }),
    });

    // Assert
    expect(confirmed.ok).toBe(true);
    expect(formatVerifyReport(confirmed)).toContain('[matches the key owner (KMS GetPublicKey)]');
    expect(kms.commandCalls(GetPublicKeyCommand).at(-1)!.args[0].input.KeyId).toBe(ARN);
    expect(refuted.ok).toBe(false);
    expect(refuted.problems.map((p) => p.code)).toEqual(['key-not-confirmed']);
    expect(refuted.problems[0]!.message).toContain(`signing key ${ARN} is `);
  });
});
