import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ManifestDraft, nextLink } from '../../../core/evidence/manifest';
import { PackExistsError, type SealedPack, type Signer } from '../../../core/evidence/ports';
import { keyFingerprint } from '../../../core/evidence/signature';
import { findChainHead, verifyChain } from '../../../core/evidence/verify';
import { formatVerifyReport } from '../../../core/evidence/verify-format';
import { LocalSigner } from '../../../stores/local-signer/local-signer';
import { LocalPackReader } from '../../../stores/local-vault/local-pack-reader';
import { LocalVault } from '../../../stores/local-vault/local-vault';

let root: string;
let evidence: string;
let state: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'accessproof-vault-'));
  evidence = join(root, 'evidence');
  state = join(root, 'state');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function draft(runId: string, head: Awaited<ReturnType<typeof findChainHead>>, day: number): ManifestDraft {
  const at = `2026-10-${String(day).padStart(2, '0')}T06:00:00.000Z`;
  return {
    runId,
    ...nextLink(head),
    startedAt: at,
    finishedAt: `2026-10-${String(day).padStart(2, '0')}T06:05:00.000Z`,
    asOf: at,
    toolVersion: '0.1.0',
    organization: 'Halvorsen Industrial',
    configSha256: 'a'.repeat(64),
    sources: [
      {
        id: 'erp',
        system: 'erp',
        tenant: 'erp',
        status: 'complete',
        counts: { principals: 2, entitlements: 1, grants: 2 },
        collectedAt: at,
      },
    ],
  };
}

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p);
}

/** Seal one pack with three artefacts, chained to whatever is already in the vault. */
async function sealRun(runId: string, day: number, signer: Signer): Promise<SealedPack> {
  const vault = new LocalVault(evidence);
  const head = await findChainHead(vault.reader());
  const pack = await vault.begin(runId, new Date(`2026-10-${String(day).padStart(2, '0')}T06:00:00Z`));
  await pack.add('inventory/erp.jsonl.gz', chunks('{"a":1}\n', '{"a":2}\n'), 2);
  await pack.add('findings.jsonl', new TextEncoder().encode(`{"run":"${runId}"}\n`), 1);
  await pack.add('report.html', new TextEncoder().encode('<!doctype html><p>ok</p>\n'), 0);
  return pack.seal(draft(runId, head, day), signer);
}

async function sealThree(signer?: Signer): Promise<SealedPack[]> {
  const s = signer ?? (await LocalSigner.open(state));
  return [await sealRun('run-1', 1, s), await sealRun('run-2', 2, s), await sealRun('run-3', 3, s)];
}

const codes = (r: Awaited<ReturnType<typeof verifyChain>>) =>
  r.problems.map((p) => `${p.code} ${p.runId ?? ''} ${p.path ?? ''}`.trim());

describe('local vault: seal then verify', () => {
  it('round-trips a chain of three packs and prints the key fingerprint', async () => {
    // Arrange
    const signer = await LocalSigner.open(state);
    const sealed = await sealThree(signer);

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.packs.map((p) => [p.runId, p.sequence, p.ok])).toEqual([
      ['run-1', 1, true],
      ['run-2', 2, true],
      ['run-3', 3, true],
    ]);
    expect(report.head).toEqual(sealed[2]!.head);
    expect(report.keys).toHaveLength(1);
    expect(report.keys[0]!.fingerprint).toBe(signer.fingerprint);
    expect(report.filesChecked).toBe(9);
    expect(sealed[1]!.manifest.previous).toEqual({
      runId: 'run-1',
      manifestSha256: sealed[0]!.manifestSha256,
    });
    expect(sealed[0]!.location).toBe(join(evidence, 'packs', '2026', '10', '01', 'run-1'));
    const text = formatVerifyReport(report);
    expect(text).toContain(signer.fingerprint);
    expect(text).toContain('VERIFIED');
  });

  it('records hashes, sizes and record counts of each file as written', async () => {
    // Arrange / Act
    const [first] = await sealThree();

    // Assert
    const inv = first!.manifest.files.find((f) => f.path === 'inventory/erp.jsonl.gz')!;
    const bytes = await readFile(join(first!.location, 'inventory', 'erp.jsonl.gz'));
    expect(inv).toEqual({
      path: 'inventory/erp.jsonl.gz',
      bytes: bytes.byteLength,
      records: 2,
      sha256: execFileSync('sha256sum', [join(first!.location, 'inventory', 'erp.jsonl.gz')])
        .toString()
        .slice(0, 64),
    });
    expect(first!.manifest.files.map((f) => f.path)).toEqual([
      'findings.jsonl',
      'inventory/erp.jsonl.gz',
      'report.html',
    ]);
    expect(first!.manifest.retention).toEqual({ mode: 'none' });
  });

  it('fails on a flipped byte, naming the pack and the path', async () => {
    // Arrange
    const [, second] = await sealThree();
    const file = join(second!.location, 'findings.jsonl');
    await chmod(file, 0o644);
    const bytes = await readFile(file);
    bytes[2] = bytes[2]! ^ 0x01;
    await writeFile(file, bytes);

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['file-changed run-2 findings.jsonl']);
    expect(formatVerifyReport(report)).toMatch(/ERROR \[file-changed\] pack run-2 findings\.jsonl: changed/);
    expect(report.packs.map((p) => p.ok)).toEqual([true, false, true]);
  });

  it('reports a deleted manifest, and the next pack as a broken link', async () => {
    // Arrange
    const [, second] = await sealThree();
    await unlink(join(second!.location, 'manifest.json'));

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['manifest-missing run-2 manifest.json', 'chain-dangling run-3']);
  });

  it('reports a deleted pack as a gap in the chain', async () => {
    // Arrange
    const [, second] = await sealThree();
    await rm(second!.location, { recursive: true });

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(codes(report)).toEqual(['chain-dangling run-3']);
    expect(report.problems[0]!.message).toContain('run-2 is missing');
  });

  it('fails the signature of an edited manifest and the hash link that follows it', async () => {
    // Arrange
    const [first] = await sealThree();
    const file = join(first!.location, 'manifest.json');
    await chmod(file, 0o644);
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"principals": 2', '"principals": 3'));

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(codes(report)).toEqual(['signature-invalid run-1 manifest.json', 'chain-hash-mismatch run-2']);
  });

  it('reports a file added to a sealed pack and a file removed from it', async () => {
    // Arrange
    const [first] = await sealThree();
    await writeFile(join(first!.location, 'extra.csv'), 'x\n');
    await unlink(join(first!.location, 'report.html'));

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(codes(report)).toEqual(['file-unlisted run-1 extra.csv', 'file-missing run-1 report.html']);
  });

  it('reports a key change inside the chain', async () => {
    // Arrange
    await sealRun('run-1', 1, await LocalSigner.open(join(root, 'state-a')));
    await sealRun('run-2', 2, await LocalSigner.open(join(root, 'state-b')));

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(codes(report)).toEqual(['key-change run-2']);
    expect(report.keys).toHaveLength(2);
  });

  it('accepts the pinned key and refuses another', async () => {
    // Arrange
    const signer = await LocalSigner.open(state);
    await sealThree(signer);
    const reader = new LocalPackReader(evidence);

    // Act
    const pinned = await verifyChain(reader, { pinnedFingerprint: signer.fingerprint });
    const other = await verifyChain(reader, { pinnedFingerprint: 'f'.repeat(64) });

    // Assert
    expect(pinned.ok).toBe(true);
    expect(other.ok).toBe(false);
    expect(codes(other)).toEqual(['key-not-pinned run-1', 'key-not-pinned run-2', 'key-not-pinned run-3']);
    expect(formatVerifyReport(other)).toContain('DOES NOT match --key');
  });

  it('ignores unsealed staging left by a crash and reports it as a warning', async () => {
    // Arrange
    await sealThree();
    const vault = new LocalVault(evidence);
    const crashed = await vault.begin('run-4', new Date('2026-10-04T06:00:00Z'));
    await crashed.add('findings.jsonl', new TextEncoder().encode('{}\n'), 1);
    // (no seal: the process "dies" here)

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.ok).toBe(true);
    expect(report.packs.map((p) => p.runId)).toEqual(['run-1', 'run-2', 'run-3']);
    expect(codes(report)).toEqual(['unsealed-staging']);
    expect(report.problems[0]!.severity).toBe('warning');
    expect(await findChainHead(vault.reader())).toEqual(report.head);
  });

  it('never rewrites a sealed pack', async () => {
    // Arrange
    const signer = await LocalSigner.open(state);
    const [first] = await sealThree(signer);
    const before = await readFile(join(first!.location, 'manifest.json'));

    // Act
    const again = new LocalVault(evidence).begin('run-1', new Date('2026-10-09T06:00:00Z'));

    // Assert
    await expect(again).rejects.toBeInstanceOf(PackExistsError);
    expect(await readFile(join(first!.location, 'manifest.json'))).toEqual(before);
  });

  it('refuses to publish when the pack folder appeared meanwhile', async () => {
    // Arrange
    const signer = await LocalSigner.open(state);
    const vault = new LocalVault(evidence);
    const pack = await vault.begin('run-1', new Date('2026-10-01T06:00:00Z'));
    await pack.add('findings.jsonl', new TextEncoder().encode('{}\n'), 1);
    await mkdir(join(evidence, 'packs', '2026', '10', '01', 'run-1'), { recursive: true });

    // Act
    const sealing = pack.seal(draft('run-1', null, 1), signer);

    // Assert
    await expect(sealing).rejects.toBeInstanceOf(PackExistsError);
  });

  it('refuses unsafe, reserved and duplicate artefact paths', async () => {
    // Arrange
    const pack = await new LocalVault(evidence).begin('run-1', new Date('2026-10-01T06:00:00Z'));
    await pack.add('a/b.txt', new Uint8Array([1]), 0);
    const one = new Uint8Array([1]);

    // Act / Assert
    await expect(pack.add('../escape.txt', one, 0)).rejects.toThrow(/unsafe artefact path/);
    await expect(pack.add('/abs.txt', one, 0)).rejects.toThrow(/unsafe artefact path/);
    await expect(pack.add('manifest.json', one, 0)).rejects.toThrow(/written by seal/);
    await expect(pack.add('a/b.txt', one, 0)).rejects.toThrow(/already added/);
    await expect(pack.add('a', one, 0)).rejects.toThrow(/collides/);
    await pack.abort();
    await expect(stat(join(evidence, '.staging', 'run-1'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a signer whose signature does not verify, leaving no pack', async () => {
    // Arrange
    const good = await LocalSigner.open(state);
    const liar: Signer = {
      algorithm: 'Ed25519',
      publicKeyPem: () => good.publicKeyPem(),
      sign: async (bytes) => good.sign(new Uint8Array([...bytes, 0])),
    };
    const pack = await new LocalVault(evidence).begin('run-1', new Date('2026-10-01T06:00:00Z'));

    // Act
    const sealing = pack.seal(draft('run-1', null, 1), liar);

    // Assert
    await expect(sealing).rejects.toThrow(/does not verify/);
    await expect(new LocalVault(evidence).reader().listPacks()).resolves.toEqual([]);
  });

  it('verifies an ECDSA P-256 signed pack the same way', async () => {
    // Arrange
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecdsa: Signer = {
      algorithm: 'ECDSA_SHA_256',
      keyId: 'arn:aws:kms:eu-west-1:111122223333:key/test',
      publicKeyPem: async () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      sign: async (bytes) => sign('sha256', bytes, privateKey),
    };
    await sealThree(ecdsa);

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.ok).toBe(true);
    expect(report.keys).toEqual([
      expect.objectContaining({
        algorithm: 'ECDSA_SHA_256',
        fingerprint: keyFingerprint(publicKey),
        keyId: 'arn:aws:kms:eu-west-1:111122223333:key/test',
      }),
    ]);
  });

  it('fails an evidence folder without packs', async () => {
    // Arrange
    await mkdir(evidence, { recursive: true });

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['no-packs']);
  });

  it('detects a byte appended to an inventory file', async () => {
    // Arrange
    const [first] = await sealThree();
    const file = join(first!.location, 'inventory', 'erp.jsonl.gz');
    await chmod(file, 0o644);
    await appendFile(file, 'x');

    // Act
    const report = await verifyChain(new LocalPackReader(evidence));

    // Assert
    expect(codes(report)).toEqual(['file-changed run-1 inventory/erp.jsonl.gz']);
  });

  it.skipIf(!hasTools())(
    'is checked by hand with sha256sum and openssl pkeyutl (docs/auditor.md)',
    async () => {
      // Arrange
      const [first] = await sealThree();
      const sig = JSON.parse(await readFile(join(first!.location, 'manifest.sig'), 'utf8'));
      await writeFile(join(root, 'pub.pem'), sig.publicKeyPem);
      await writeFile(join(root, 'sig.bin'), Buffer.from(sig.signature, 'base64'));
      const manifest = JSON.parse(await readFile(join(first!.location, 'manifest.json'), 'utf8'));
      const sums = manifest.files
        .map((f: { sha256: string; path: string }) => `${f.sha256}  ${f.path}\n`)
        .join('');

      // Act
      const checked = execFileSync('sha256sum', ['-c', '-'], {
        cwd: first!.location,
        input: sums,
      }).toString();
      const verified = execFileSync('openssl', [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        join(root, 'pub.pem'),
        '-rawin',
        '-in',
        join(first!.location, 'manifest.json'),
        '-sigfile',
        join(root, 'sig.bin'),
      ]).toString();
      const fingerprint = execFileSync('sh', [
        '-c',
        `openssl pkey -pubin -in '${join(root, 'pub.pem')}' -outform DER | sha256sum`,
      ])
        .toString()
        .slice(0, 64);

      // Assert
      expect(checked).toBe('findings.jsonl: OK\ninventory/erp.jsonl.gz: OK\nreport.html: OK\n');
      expect(verified.trim()).toBe('Signature Verified Successfully');
      expect(fingerprint).toBe(manifest.signing.keyFingerprint);
    },
  );
});

function hasTools(): boolean {
  try {
    execFileSync('openssl', ['version']);
    execFileSync('sha256sum', ['--version']);
    return true;
  } catch {
    return false;
  }
}

describe('verify ends on a pack holding special files (issue 11)', () => {
  it('reports a findings.jsonl replaced by a FIFO or by a symlink to /dev/zero as unreadable', async () => {
    const { mkdtempSync, rmSync, symlinkSync, chmodSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const { tmpdir } = await import('node:os');
    const { join: j } = await import('node:path');
    const { LocalVault } = await import('../../../stores/local-vault/local-vault');
    const { LocalPackReader: Reader } = await import('../../../stores/local-vault/local-pack-reader');
    const { verifyChain: verify } = await import('../../../core/evidence/verify');
    const { generateKeyPairSync } = await import('node:crypto');
    const { keyFingerprint } = await import('../../../core/evidence/signature');
    const { sign } = await import('node:crypto');
    const root = mkdtempSync(j(tmpdir(), 'accessproof-special-'));
    try {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const signer = {
        algorithm: 'Ed25519' as const,
        fingerprint: keyFingerprint(publicKey),
        publicKeyPem: async () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        sign: async (b: Uint8Array) => sign(null, b, privateKey),
      };
      const vault = new LocalVault(root);
      const sealedPaths: string[] = [];
      for (const [i, runId] of ['run-fifo', 'run-zero'].entries()) {
        const pack = await vault.begin(runId, new Date('2026-10-01T00:00:00Z'));
        await pack.add('findings.jsonl', new TextEncoder().encode('{}\n'), 1);
        const sealed = await pack.seal(
          {
            runId,
            sequence: 1,
            previous: null,
            startedAt: '2026-10-01T00:00:00.000Z',
            finishedAt: '2026-10-01T00:01:00.000Z',
            asOf: '2026-10-01T00:00:00.000Z',
            toolVersion: 'test',
            organization: 'Example',
            configSha256: 'a'.repeat(64),
            sources: [],
          },
          signer,
        );
        sealedPaths[i] = j(sealed.location, 'findings.jsonl');
      }
      for (const p of sealedPaths) {
        chmodSync(j(p, '..'), 0o755);
        rmSync(p, { force: true });
      }
      expect(spawnSync('mkfifo', [sealedPaths[0]!]).status).toBe(0);
      symlinkSync('/dev/zero', sealedPaths[1]!);

      const report = await verify(new Reader(root));
      const unreadable = report.problems.filter((p) => p.code === 'file-unreadable').map((p) => p.runId);
      expect(unreadable.sort()).toEqual(['run-fifo', 'run-zero']);
      expect(report.ok).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
