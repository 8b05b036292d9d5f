import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestStream, hexToBase64 } from '../../../../core/evidence/hashing';
import { findChainHead, recordedHeadProblem, verifyChain } from '../../../../core/evidence/verify';
import { ed25519Signer, MemoryPacks, makeDraft, sealInto } from './memory-packs';

const codes = (r: Awaited<ReturnType<typeof verifyChain>>) =>
  r.problems.map((p) => `${p.code} ${p.runId ?? ''} ${p.path ?? ''}`.trim());
const sha = (text: string) => createHash('sha256').update(text).digest();
const RETAIN = { mode: 'COMPLIANCE' as const, until: '2033-10-01T06:05:00.000Z' };

async function chainOf(mem: MemoryPacks, n: number, signer = ed25519Signer()) {
  let previous: { runId: string; manifestSha256: string } | null = null;
  for (let i = 1; i <= n; i++) {
    const runId = `run-${i}`;
    const manifestSha256: string = await sealInto(
      mem,
      makeDraft({ runId, sequence: i, previous }),
      { 'a.txt': `a${i}` },
      signer,
    );
    previous = { runId, manifestSha256 };
  }
  return signer;
}

describe('verifyChain: the chain', () => {
  it('reports a fork: two packs following the same one', async () => {
    // Arrange
    const mem = new MemoryPacks();
    const signer = ed25519Signer();
    const first = await sealInto(mem, makeDraft(), { 'a.txt': 'a' }, signer);
    const link = { runId: 'run-1', manifestSha256: first };
    await sealInto(
      mem,
      makeDraft({ runId: 'run-2a', sequence: 2, previous: link }),
      { 'a.txt': 'b' },
      signer,
    );
    await sealInto(
      mem,
      makeDraft({ runId: 'run-2b', sequence: 2, previous: link }),
      { 'a.txt': 'c' },
      signer,
    );

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['chain-fork run-2a', 'chain-fork run-2b']);
    expect(report.head).toBeUndefined();
  });

  it('reports two chains in one place', async () => {
    // Arrange
    const mem = new MemoryPacks();
    const signer = ed25519Signer();
    await sealInto(mem, makeDraft({ runId: 'run-1' }), { 'a.txt': 'a' }, signer);
    await sealInto(mem, makeDraft({ runId: 'run-9' }), { 'a.txt': 'b' }, signer);

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual(['chain-fork run-1', 'chain-fork run-9']);
  });

  it('reports a sequence that skips', async () => {
    // Arrange
    const mem = new MemoryPacks();
    const signer = ed25519Signer();
    const first = await sealInto(mem, makeDraft(), { 'a.txt': 'a' }, signer);
    await sealInto(
      mem,
      makeDraft({ runId: 'run-2', sequence: 3, previous: { runId: 'run-1', manifestSha256: first } }),
      { 'a.txt': 'b' },
      signer,
    );

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual(['chain-sequence run-2']);
  });

  it('reports a manifest moved under another run folder', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 1);
    mem.packs.set('packs/2026/10/01/run-x', mem.packs.get('packs/2026/10/01/run-1')!);
    mem.packs.delete('packs/2026/10/01/run-1');

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual(['run-id-mismatch run-x']);
  });

  it('finds the head the next pack links to', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 3);

    // Act
    const head = await findChainHead(mem);
    const report = await verifyChain(mem);

    // Assert
    expect(head?.runId).toBe('run-3');
    expect(head?.sequence).toBe(3);
    expect(report.head).toEqual(head);
    expect(await findChainHead(new MemoryPacks())).toBeNull();
  });

  it('reports a signature file that belongs to another key than the manifest names', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 1);
    const other = new MemoryPacks();
    await chainOf(other, 1);
    // A valid envelope over the same bytes needs the same manifest: re-sign run-1's bytes with another key.
    const pack = mem.packs.get('packs/2026/10/01/run-1')!;
    const signer = ed25519Signer();
    const { keyFingerprint } = await import('../../../../core/evidence/signature');
    const pem = await signer.publicKeyPem();
    const sig = await signer.sign(pack.get('manifest.json')!);
    pack.set(
      'manifest.sig',
      new TextEncoder().encode(
        JSON.stringify({
          algorithm: 'Ed25519',
          keyFingerprint: keyFingerprint(pem),
          publicKeyPem: pem,
          signature: Buffer.from(sig).toString('base64'),
        }),
      ),
    );

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual(['signing-mismatch run-1 manifest.sig']);
  });

  it('reports a missing and an unreadable signature file', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 2);
    mem.packs.get('packs/2026/10/01/run-1')!.delete('manifest.sig');
    mem.packs
      .get('packs/2026/10/01/run-2')!
      .set('manifest.sig', new TextEncoder().encode('{"algorithm":"RSA"}'));

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual([
      'signature-missing run-1 manifest.sig',
      'signature-invalid run-2 manifest.sig',
    ]);
  });
});

describe('verifyChain: object store facts', () => {
  async function lockedPack() {
    const mem = new MemoryPacks(true);
    await sealInto(mem, makeDraft(), { 'a.txt': 'hello', 'b.txt': 'world' }, ed25519Signer(), RETAIN);
    const dir = 'packs/2026/10/01/run-1';
    for (const [path, bytes] of mem.packs.get(dir)!)
      mem.facts.set(`${dir}/${path}`, {
        checksumSha256: createHash('sha256').update(bytes).digest('base64'),
        checksumType: 'FULL_OBJECT',
        objectLockMode: 'COMPLIANCE',
        retainUntil: RETAIN.until,
      });
    return { mem, dir };
  }

  it('accepts objects whose checksum and retention match the manifest', async () => {
    // Arrange
    const { mem } = await lockedPack();

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(report.problems).toEqual([]);
  });

  it('reports a checksum that is not the object bytes, a missing lock and a short retention', async () => {
    // Arrange
    const { mem, dir } = await lockedPack();
    mem.facts.set(`${dir}/a.txt`, {
      ...mem.facts.get(`${dir}/a.txt`),
      checksumSha256: sha('other').toString('base64'),
    });
    mem.facts.set(`${dir}/b.txt`, {
      checksumSha256: sha('world').toString('base64'),
      retainUntil: '2030-01-01T00:00:00Z',
    });
    mem.facts.set(`${dir}/manifest.sig`, { objectLockMode: 'COMPLIANCE', retainUntil: RETAIN.until });

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(codes(report)).toEqual([
      'object-checksum run-1',
      'object-checksum run-1 a.txt',
      'object-lock run-1 b.txt',
      'object-lock run-1 b.txt',
    ]);
    // A store that keeps no checksum (manifest.sig here) is a warning: the recomputed hash decides.
    expect(report.problems.find((p) => !p.path)).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/1 object\(s\) have no stored SHA-256 checksum/),
    });
  });

  it('passes a store that keeps no checksums at all (Ceph RADOS Gateway), with one warning per pack', async () => {
    // Arrange
    const { mem, dir } = await lockedPack();
    for (const [key, facts] of mem.facts)
      if (key.startsWith(dir)) mem.facts.set(key, { ...facts, checksumSha256: undefined });

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(report.ok).toBe(true);
    expect(report.problems.map((p) => [p.severity, p.code])).toEqual([['warning', 'object-checksum']]);
  });

  it('checks a composite multipart checksum part by part', async () => {
    // Arrange
    const { mem, dir } = await lockedPack();
    const parts = [sha('hel'), sha('lo')];
    const composite = `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-2`;
    const base = mem.facts.get(`${dir}/a.txt`)!;
    mem.facts.set(`${dir}/a.txt`, {
      ...base,
      checksumSha256: composite,
      checksumType: 'COMPOSITE',
      parts: [
        { size: 3, checksumSha256: parts[0]!.toString('base64') },
        { size: 2, checksumSha256: parts[1]!.toString('base64') },
      ],
    });
    const good = await verifyChain(mem);
    mem.facts.set(`${dir}/a.txt`, {
      ...mem.facts.get(`${dir}/a.txt`)!,
      checksumSha256: `${sha('x').toString('base64')}-2`,
    });

    // Act
    const bad = await verifyChain(mem);

    // Assert
    expect(good.problems).toEqual([]);
    expect(codes(bad)).toEqual(['object-checksum run-1 a.txt']);
  });
});

describe('digestStream', () => {
  it('computes whole and per-part digests across chunk boundaries', async () => {
    // Arrange
    const data = new TextEncoder().encode('abcdefghij');
    async function* chunks() {
      yield data.subarray(0, 4);
      yield data.subarray(4, 10);
    }

    // Act
    const d = await digestStream(chunks(), [3, 3, 4]);

    // Assert
    expect(d.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(d.partChecksums).toEqual(['abc', 'def', 'ghij'].map((p) => sha(p).toString('base64')));
    expect(d.compositeChecksum).toBe(
      `${createHash('sha256')
        .update(Buffer.concat(['abc', 'def', 'ghij'].map(sha)))
        .digest('base64')}-3`,
    );
    expect(hexToBase64(d.sha256)).toBe(createHash('sha256').update(data).digest('base64'));
  });
});

describe('verifyChain: the inventory a run scanned', () => {
  it('reports a source whose snapshot hash is not its inventory file in the pack', async () => {
    // Guards against a pack holding a snapshot other than the one the scan read.
    const mem = new MemoryPacks();
    const counts = { principals: 1, entitlements: 0, grants: 0 };
    const recorded = createHash('sha256').update('the snapshot the scan read').digest('hex');
    const source = { id: 'erp', system: 'erp', tenant: 'erp', status: 'complete' as const, counts };
    await sealInto(
      mem,
      makeDraft({ sources: [{ ...source, snapshotSha256: recorded }] }),
      { 'inventory/erp.jsonl.gz': 'another snapshot' },
      ed25519Signer(),
    );

    const report = await verifyChain(mem);

    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['snapshot-mismatch run-1 inventory/erp.jsonl.gz']);
  });
});

describe('verifyChain: versions over sealed objects', () => {
  it('names every version written over a sealed object and every delete marker, with ids and times', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 2);
    const dir = 'packs/2026/10/01/run-2';
    const sealed = { versionId: 'v-sealed', at: '2026-10-01T06:05:00.000Z' };
    mem.versions.set(`${dir}/a.txt`, {
      key: `evidence/${dir}/a.txt`,
      version: sealed,
      laterVersions: [{ versionId: 'v-forged', at: '2026-11-02T09:00:00.000Z' }],
    });
    mem.versions.set(`${dir}/manifest.sig`, {
      key: `evidence/${dir}/manifest.sig`,
      version: sealed,
      deleteMarkers: [{ versionId: 'dm-1', at: '2026-11-03T10:00:00.000Z' }],
    });

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['overwritten run-2 a.txt', 'hidden run-2 manifest.sig']);
    expect(report.problems[0]!.message).toBe(
      `pack run-2 a.txt: key evidence/${dir}/a.txt: version v-forged (2026-11-02T09:00:00.000Z) written over the sealed version v-sealed (2026-10-01T06:05:00.000Z); verify read the sealed version`,
    );
    expect(report.problems[1]!.message).toMatch(/delete marker dm-1 \(2026-11-03T10:00:00\.000Z\) hides/);
  });

  it('reports what the store could not list (no versions) as an error', async () => {
    // Arrange
    const mem = new MemoryPacks();
    await chainOf(mem, 1);
    Object.assign(mem, {
      storeProblems: async () => [
        { severity: 'error', code: 'versions-unavailable', message: 'no ListObjectVersions' },
      ],
    });

    // Act
    const report = await verifyChain(mem);

    // Assert
    expect(report.ok).toBe(false);
    expect(codes(report)).toEqual(['versions-unavailable']);
  });
});

describe('verifyChain: the head anchored outside the account', () => {
  async function threePacks() {
    const mem = new MemoryPacks();
    await chainOf(mem, 3);
    const report = await verifyChain(mem);
    const byRun = new Map(report.packs.map((p) => [p.runId, p.manifestSha256!]));
    return { mem, byRun };
  }

  it('passes only when the chain ends exactly at the expected head', async () => {
    // Arrange
    const { mem, byRun } = await threePacks();

    // Act
    const exact = await verifyChain(mem, {
      expectedHead: { sequence: 3, manifestSha256: byRun.get('run-3')! },
    });
    const older = await verifyChain(mem, {
      expectedHead: { sequence: 2, manifestSha256: byRun.get('run-2')! },
    });
    const newer = await verifyChain(mem, { expectedHead: { sequence: 4, manifestSha256: 'a'.repeat(64) } });
    const other = await verifyChain(mem, { expectedHead: { sequence: 3, manifestSha256: 'b'.repeat(64) } });

    // Assert
    expect(exact.ok).toBe(true);
    expect(codes(older)).toEqual(['head-mismatch']);
    expect(older.problems[0]!.message).toMatch(/goes on to #3 run-3: packs sealed after the anchor/);
    expect(codes(newer)).toEqual(['head-mismatch']);
    expect(newer.problems[0]!.message).toMatch(/ends at #3 run-3: newer packs are missing or hidden/);
    expect(other.problems[0]!.message).toMatch(
      /pack #3 run-3 has manifest sha256 .*: the chain was rewritten/,
    );
  });

  it('says the chain was rewritten when the anchored pack is not in it', async () => {
    // Arrange
    const { mem } = await threePacks();

    // Act
    const report = await verifyChain(mem, { expectedHead: { sequence: 2, manifestSha256: 'c'.repeat(64) } });

    // Assert
    expect(report.problems[0]!.message).toMatch(
      /pack #2 is run-2 with manifest sha256 .* and it ends at #3 run-3: the chain was rewritten/,
    );
  });

  it('compares a recorded head: newer than the chain or another pack at its sequence is a problem', () => {
    // Arrange
    const head = { runId: 'run-3', sequence: 3, manifestSha256: 'a'.repeat(64) };

    // Act
    const same = recordedHeadProblem(head, head, 'the findings table');
    const behind = recordedHeadProblem(head, { ...head, sequence: 2, runId: 'run-2' }, 'the findings table');
    const ahead = recordedHeadProblem(head, { ...head, sequence: 4, runId: 'run-4' }, 'the findings table');
    const replaced = recordedHeadProblem(
      head,
      { ...head, manifestSha256: 'b'.repeat(64) },
      'the findings table',
    );

    // Assert
    expect(same).toBeUndefined();
    expect(behind).toBeUndefined();
    expect(ahead).toMatch(/records pack #4 run-4 as the newest, but the chain ends at #3 run-3/);
    expect(replaced).toMatch(/but the chain's pack #3 has a{64}/);
  });
});
