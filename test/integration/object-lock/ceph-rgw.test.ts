/**
 * The S3 compatibility suite: sealed packs attacked on a real S3 that enforces Object Lock (Ceph
 * RADOS Gateway, test/support/ceph-rgw), with the permissions the deployment gives its own roles —
 * s3:PutObject (new versions), s3:DeleteObject without a version (delete markers) and the real
 * signing key. Object Lock stops none of these; `verify` must report every one.
 *
 * s3rver stays for the fast tests; the Object Lock claims are proved only here. Skipped only when
 * not root or the Debian packages are absent, and never in CI (ACCESSPROOF_REQUIRE_CEPH=1).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, PutObjectRetentionCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChainHead, type Manifest, type ManifestDraft, nextLink } from '../../../core/evidence/manifest';
import type { SealedPack, Signer } from '../../../core/evidence/ports';
import { signManifest } from '../../../core/evidence/seal';
import { keyFingerprint } from '../../../core/evidence/signature';
import { type VerifyReport, verifyChain } from '../../../core/evidence/verify';
import { DynamoDbFindingsRepository } from '../../../stores/dynamodb-findings/dynamodb-findings-repository';
import { S3EvidenceStore } from '../../../stores/s3-evidence/s3-evidence-store';
import { S3PackReader } from '../../../stores/s3-evidence/s3-pack-reader';
import { accessproof, accessproofAsync, tempDir } from '../../e2e/cli-helpers';
import { type CephRgw, cephRequired, cephUnavailable, startCephRgw } from '../../support/ceph-rgw';
import { createFindingsTable, startDynalite } from '../../support/dynalite';

const OWNER = '111122223333';
const PREFIX = 'accessproof';
const MIB = 1024 * 1024;
const unavailable = cephUnavailable();
const skip = unavailable !== undefined && !cephRequired;

function localSigner(): Signer & { pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    algorithm: 'ECDSA_SHA_256',
    pem,
    publicKeyPem: async () => pem,
    sign: async (bytes) => sign('sha256', bytes, privateKey),
  };
}

function draft(runId: string, head: ChainHead | null, startedAt: Date): ManifestDraft {
  return {
    runId,
    ...nextLink(head),
    startedAt: startedAt.toISOString(),
    finishedAt: startedAt.toISOString(),
    asOf: startedAt.toISOString(),
    toolVersion: '0.1.0',
    organization: 'Halvorsen Industrial',
    configSha256: 'c'.repeat(64),
    sources: [],
  };
}

async function* bytesOf(n: number): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < n; sent += 3 * MIB) yield new Uint8Array(Math.min(3 * MIB, n - sent)).fill(7);
}

let rgw: CephRgw;
let bucketNo = 0;
const signer = localSigner();

describe.skipIf(skip)('evidence on Ceph RADOS Gateway (real Object Lock)', () => {
  beforeAll(async () => {
    if (unavailable) throw new Error(`ACCESSPROOF_REQUIRE_CEPH=1 but Ceph cannot run here: ${unavailable}`);
    rgw = await startCephRgw();
  }, 300_000);
  afterAll(async () => {
    await rgw?.stop();
  }, 60_000);

  /** A fresh locked bucket holding a chain of `n` sealed packs (run-1 … run-n). */
  async function chain(n = 3, options: { large?: boolean } = {}) {
    bucketNo += 1;
    const bucket = `evidence-${bucketNo}`;
    await rgw.createLockedBucket(bucket);
    const client = rgw.client();
    const store = new S3EvidenceStore({
      client,
      bucket,
      prefix: PREFIX,
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => new Date(),
      partSize: 5 * MIB,
    });
    const packs: SealedPack[] = [];
    for (let i = 1; i <= n; i++) {
      const runId = `run-${i}`;
      const started = new Date();
      const pack = await store.begin(runId, started);
      await pack.add('findings.jsonl', new TextEncoder().encode(`{"finding":"f-${i}"}\n`), 1);
      await pack.add('inventory/erp.jsonl.gz', bytesOf(options.large && i === n ? 11 * MIB : 1000), 1);
      packs.push(await pack.seal(draft(runId, packs.at(-1)?.head ?? null, started), signer));
    }
    const keyOf = (runId: string, path: string) => {
      const pack = packs.find((p) => p.runId === runId)!;
      return `${pack.location.replace(`s3://${bucket}/`, '')}${path}`;
    };
    const verify = (opts: Parameters<typeof verifyChain>[1] = {}) =>
      verifyChain(new S3PackReader({ client: rgw.client(), bucket, prefix: PREFIX }), opts);
    return { bucket, client, store, packs, keyOf, verify };
  }

  const errors = (r: VerifyReport) =>
    r.problems
      .filter((p) => p.severity === 'error')
      .map((p) => `${p.code} ${p.runId ?? ''} ${p.path ?? ''}`.trim());

  it('refuses to delete a locked version or shorten its retention; new versions and delete markers are allowed', async () => {
    // Arrange
    const { client, bucket, keyOf, packs } = await chain(1);
    const key = keyOf('run-1', 'findings.jsonl');
    const listed = await new S3PackReader({ client, bucket, prefix: PREFIX }).listFiles({
      runId: 'run-1',
      dir: packs[0]!.location.replace(`s3://${bucket}/${PREFIX}/`, '').replace(/\/$/, ''),
      location: '',
    });
    const versionId = listed.find((f) => f.path === 'findings.jsonl')!.version!.versionId;

    // Act
    const deleting = client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
    const shortening = client.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: key,
        VersionId: versionId,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 3_600_000) },
      }),
    );
    const loosening = client.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: key,
        VersionId: versionId,
        Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 3 * 86_400_000) },
      }),
    );
    const refused = await Promise.all(
      [deleting, shortening, loosening].map((p) =>
        p.then(
          () => 'accepted',
          (e) => e,
        ),
      ),
    );
    const marker = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

    // Assert
    for (const answer of refused) expect(answer).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(marker.DeleteMarker).toBe(true);
  });

  it('verifies three sealed packs with exit 0 through the CLI (AWS_ENDPOINT_URL_S3), multipart lock included', async () => {
    // Arrange
    const { bucket, verify } = await chain(3, { large: true });
    const dir = tempDir();
    const keyFile = join(dir, 'signing-key.pem');
    writeFileSync(keyFile, signer.pem);
    const report = await verify();

    // Act
    const r = accessproof(['verify', `s3://${bucket}/${PREFIX}`, '--key', keyFile], undefined, rgw.env);

    // Assert
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Packs: 3/);
    expect(report.ok).toBe(true);
    expect(report.head?.runId).toBe('run-3');
    // RADOS Gateway keeps no SHA-256 checksums: one warning per pack, the recomputed hashes decide.
    expect(report.problems.map((p) => `${p.severity} ${p.code}`)).toEqual([
      'warning object-checksum',
      'warning object-checksum',
      'warning object-checksum',
    ]);
  });

  it('reports a new version of any artefact, unsigned or re-signed with the real key, and reads the sealed one', async () => {
    // Arrange
    const { client, bucket, keyOf, verify } = await chain(3);
    const put = (key: string, body: string | Uint8Array) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    await put(keyOf('run-1', 'findings.jsonl'), '{"finding":"nothing to see"}\n');
    await put(keyOf('run-1', 'inventory/erp.jsonl.gz'), 'forged');
    // S14: the newest pack rewritten as new versions, its manifest re-signed with the real key.
    const forgedFindings = new TextEncoder().encode('');
    const before = await verify();
    const run3 = before.packs.find((p) => p.runId === 'run-3')!;
    const sealedManifest = await new S3PackReader({ client, bucket, prefix: PREFIX }).readFile(
      { runId: 'run-3', dir: run3.dir, location: '' },
      'manifest.json',
    );
    const {
      files,
      retention,
      signing: _signing,
      format: _format,
      ...rest
    }: Manifest = JSON.parse(Buffer.from(sealedManifest!).toString());
    const emptySha = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const signed = await signManifest(
      rest,
      files.map((f) => (f.path === 'findings.jsonl' ? { ...f, sha256: emptySha, bytes: 0, records: 0 } : f)),
      retention,
      signer,
    );
    await put(keyOf('run-3', 'findings.jsonl'), forgedFindings);
    await put(keyOf('run-3', 'manifest.json'), signed.manifestBytes);
    await put(keyOf('run-3', 'manifest.sig'), signed.signatureBytes);

    // Act
    const report = await verify();

    // Assert
    expect(errors(report)).toEqual([
      'overwritten run-1 findings.jsonl',
      'overwritten run-1 inventory/erp.jsonl.gz',
      'overwritten run-3 findings.jsonl',
      'overwritten run-3 manifest.json',
      'overwritten run-3 manifest.sig',
    ]);
    // What was sealed is still what verify read: the chain and every hash hold.
    expect(report.head?.manifestSha256).toBe(run3.manifestSha256);
    expect(report.problems.find((p) => p.code === 'overwritten')!.message).toMatch(
      /key accessproof\/packs\/\d{4}\/\d\d\/\d\d\/run-1\/findings\.jsonl: version \S+ \(\d{4}-.*Z\) written over the sealed version \S+ \(\d{4}-.*Z\)/,
    );
  });

  it('reports a delete marker on any artefact, on a pack’s manifest.sig (hidden, never staging) and on a whole pack', async () => {
    // Arrange
    const { client, bucket, keyOf, verify, packs } = await chain(3);
    const hide = (key: string) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    await hide(keyOf('run-1', 'findings.jsonl'));
    await hide(keyOf('run-2', 'manifest.sig'));
    for (const path of ['findings.jsonl', 'inventory/erp.jsonl.gz', 'manifest.json', 'manifest.sig'])
      await hide(keyOf('run-3', path));

    // Act
    const report = await verify({ expectedHead: packs[2]!.head });

    // Assert
    expect(errors(report)).toEqual([
      'hidden run-1 findings.jsonl',
      'hidden run-2 manifest.sig',
      'hidden run-3 findings.jsonl',
      'hidden run-3 inventory/erp.jsonl.gz',
      'hidden run-3 manifest.json',
      'hidden run-3 manifest.sig',
    ]);
    expect(report.problems.some((p) => p.code === 'unsealed-staging')).toBe(false);
    // The hidden newest pack is still found and still the head: a delete marker moves nothing.
    expect(report.head).toEqual(packs[2]!.head);
  });

  it('reports a forged newer pack signed by another key, and a chain that no longer ends at the anchored head', async () => {
    // Arrange
    const { bucket, verify, packs } = await chain(3);
    const attacker = new S3EvidenceStore({
      client: rgw.client(),
      bucket,
      prefix: PREFIX,
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => new Date(),
    });
    const started = new Date();
    const pack = await attacker.begin('run-4', started);
    await pack.add('findings.jsonl', new TextEncoder().encode(''), 0);
    await pack.seal(draft('run-4', packs[2]!.head, started), localSigner());

    // Act
    const pinned = await verify({
      pinnedFingerprint: keyFingerprint(signer.pem),
      expectedHead: packs[2]!.head,
    });

    // Assert
    expect(errors(pinned)).toEqual(['head-mismatch', 'key-change run-4', 'key-not-pinned run-4']);
    expect(pinned.problems.find((p) => p.code === 'head-mismatch')!.message).toMatch(
      /goes on to #4 run-4: packs sealed after the anchor/,
    );
  });

  it('compares the chain with the head the findings table records (--findings-table, CLI, DynamoDB API)', async () => {
    // Arrange: the table of a deployment that committed run-3, and one that committed a run-4
    // whose pack is gone from the bucket; a third name has no table (a reader without GetItem).
    const { bucket, packs } = await chain(3);
    const ddb = await startDynalite();
    type TableHead = ChainHead & { location: string; sealedAt: string };
    const recordHead = async (table: string, heads: TableHead[]) => {
      await createFindingsTable(ddb.client, table);
      const repo = new DynamoDbFindingsRepository({ tableName: table, client: ddb.client });
      let current: TableHead | null = null;
      for (const head of heads) {
        await repo.reserve(head.runId, current, head.sealedAt);
        await repo.commitRun(head.runId, [], head);
        current = head;
      }
    };
    const sealedAt = new Date().toISOString();
    const heads = packs.map((p) => ({ ...p.head, location: p.location, sealedAt }));
    await recordHead('findings-same', heads);
    await recordHead('findings-ahead', [
      ...heads,
      { ...heads[2]!, runId: 'run-4', sequence: 4, manifestSha256: 'f'.repeat(64) },
    ]);
    const dir = tempDir();
    const keyFile = join(dir, 'signing-key.pem');
    writeFileSync(keyFile, signer.pem);
    const env = { ...rgw.env, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint };
    // Asynchronous: dynalite runs in this process and must answer the CLI.
    const verifyWith = (table: string) =>
      accessproofAsync(
        ['verify', `s3://${bucket}/${PREFIX}`, '--key', keyFile, '--findings-table', table],
        undefined,
        env,
      );

    // Act
    const same = await verifyWith('findings-same');
    const ahead = await verifyWith('findings-ahead');
    const unreadable = await verifyWith('findings-absent');
    await ddb.stop();

    // Assert
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).not.toContain('chain-head-missing');
    expect(ahead.code).toBe(1);
    expect(ahead.stdout).toContain(
      'ERROR [chain-head-missing] findings table findings-ahead records pack #4 run-4 as the newest, but the chain ends at #3 run-3: newer packs are missing',
    );
    expect(unreadable.code).toBe(0);
    expect(unreadable.stdout).toMatch(
      /WARNING \[chain-head-missing\] could not read the chain head recorded in findings table findings-absent \(ResourceNotFoundException\): the chain's end was not compared with it/,
    );
  });

  it('reports a chain rewritten from the start with the real key (a second chain)', async () => {
    // Arrange
    const { bucket, verify, packs } = await chain(3);
    const rewriter = new S3EvidenceStore({
      client: rgw.client(),
      bucket,
      prefix: PREFIX,
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => new Date(),
    });
    let head: ChainHead | null = null;
    for (const runId of ['rw-1', 'rw-2', 'rw-3', 'rw-4']) {
      const started = new Date();
      const pack = await rewriter.begin(runId, started);
      await pack.add('findings.jsonl', new TextEncoder().encode(''), 0);
      head = (await pack.seal(draft(runId, head, started), signer)).head;
    }

    // Act
    const report = await verify({ expectedHead: packs[2]!.head });

    // Assert
    expect(errors(report)).toEqual(['head-mismatch', 'chain-fork run-1', 'chain-fork rw-1']);
  });

  it('reports a second sealer of the same run (this server ignores If-None-Match: the versions show it)', async () => {
    // Arrange
    bucketNo += 1;
    const bucket = `evidence-${bucketNo}`;
    await rgw.createLockedBucket(bucket);
    const store = () =>
      new S3EvidenceStore({
        client: rgw.client(),
        bucket,
        prefix: PREFIX,
        expectedBucketOwner: OWNER,
        retentionDays: 1,
        now: () => new Date(),
      });
    const started = new Date();
    const [first, second] = [await store().begin('run-1', started), await store().begin('run-1', started)];
    await first.add('findings.jsonl', new TextEncoder().encode('{"finding":"first"}\n'), 1);
    await second.add('findings.jsonl', new TextEncoder().encode('{"finding":"second"}\n'), 1);
    await first.seal(draft('run-1', null, started), signer);
    const sealingAgain = second.seal(draft('run-1', null, started), signer);
    await sealingAgain.catch(() => undefined);

    // Act
    const report = await verifyChain(new S3PackReader({ client: rgw.client(), bucket, prefix: PREFIX }));

    // Assert
    expect(report.ok).toBe(false);
    expect(errors(report)).toEqual(
      expect.arrayContaining(['overwritten run-1 findings.jsonl', 'overwritten run-1 manifest.json']),
    );
  });
});

describe.skipIf(!skip)('evidence on Ceph RADOS Gateway (real Object Lock)', () => {
  it.skip(`skipped: ${unavailable}`, () => {});
});
