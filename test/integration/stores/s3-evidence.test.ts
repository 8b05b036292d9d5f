/**
 * The S3 evidence store against s3rver, a real S3-compatible server on 127.0.0.1.
 *
 * s3rver does NOT implement Object Lock, checksums, conditional writes or SSE: it stores bytes
 * and ignores those headers. These tests therefore assert the headers every write CARRIED (what
 * S3 would enforce), and never treat s3rver as proof that evidence is immutable.
 */

import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChainHead, type ManifestDraft, nextLink } from '../../../core/evidence/manifest';
import { PackExistsError, type SealedPack, type Signer } from '../../../core/evidence/ports';
import { findChainHead, verifyChain } from '../../../core/evidence/verify';
import { openPackReader } from '../../../stores/s3-evidence/open-pack-reader';
import { S3EvidenceStore } from '../../../stores/s3-evidence/s3-evidence-store';
import { S3PackReader } from '../../../stores/s3-evidence/s3-pack-reader';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';

const OWNER = '111122223333';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/data-key';
const NOW = new Date('2026-10-01T06:07:08.900Z');
const RETAIN_UNTIL = '2033-10-01T06:07:08.000Z'; // NOW + 2557 days, whole seconds
const MIB = 1024 * 1024;

interface Captured {
  command: string;
  key: string;
  headers: Record<string, string>;
}

/** Records every request as signed and sent (after all SDK middleware). */
function capture(client: S3Client, bucket: string, into: Captured[]): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { path: string; headers: Record<string, string> };
      const key = decodeURIComponent(req.path.replace(`/${bucket}/`, '').replace(`/${bucket}`, ''));
      into.push({ command: context.commandName ?? '?', key, headers: { ...req.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'captureRequests', priority: 'low' },
  );
  return client;
}

/**
 * Emulates what S3 reports for an object-locked, checksummed object, from the headers its write
 * carried: s3rver keeps none of these. Only so the reader's HeadObject parsing can be exercised.
 */
function emulateLockedHeads(client: S3Client, bucket: string, writes: Captured[]): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'HeadObjectCommand') return result;
      const req = args.request as { path: string };
      const key = decodeURIComponent(req.path.replace(`/${bucket}/`, ''));
      const put = writes.filter((w) => w.command === 'PutObjectCommand' && w.key === key).at(-1);
      const res = result.response as { headers: Record<string, string> };
      if (put) {
        res.headers['x-amz-checksum-sha256'] = put.headers['x-amz-checksum-sha256'] ?? '';
        res.headers['x-amz-checksum-type'] = 'FULL_OBJECT';
        res.headers['x-amz-object-lock-mode'] = put.headers['x-amz-object-lock-mode'] ?? '';
        res.headers['x-amz-object-lock-retain-until-date'] =
          put.headers['x-amz-object-lock-retain-until-date'] ?? '';
      }
      return result;
    },
    { step: 'deserialize', name: 'emulateObjectLockHeads', priority: 'low' },
  );
  return client;
}

/**
 * Answers ListObjectVersions (s3rver has none) with one version per object, so the reader's
 * versioned path runs here too. The real versions, delete markers and locks are proved on Ceph RGW.
 */
function emulateVersionListing(client: S3Client, plain: S3Client): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ListObjectVersionsCommand') return next(args);
      const input = args.input as { Bucket: string; Prefix?: string };
      const out = await plain.send(new ListObjectsV2Command({ Bucket: input.Bucket, Prefix: input.Prefix }));
      return {
        output: {
          $metadata: {},
          IsTruncated: false,
          Versions: (out.Contents ?? []).map((o) => ({
            Key: o.Key,
            VersionId: `v-${o.ETag?.replaceAll('"', '')}`,
            IsLatest: true,
            LastModified: o.LastModified,
            Size: o.Size,
          })),
        },
        response: {},
      } as never;
    },
    { step: 'initialize', name: 'emulateVersionListing' },
  );
  return client;
}

function p256Signer(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    algorithm: 'ECDSA_SHA_256',
    keyId: 'arn:aws:kms:eu-west-1:111122223333:key/signing',
    publicKeyPem: async () => publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    sign: async (bytes) => sign('sha256', bytes, privateKey),
  };
}

function draft(runId: string, head: ChainHead | null): ManifestDraft {
  return {
    runId,
    ...nextLink(head),
    startedAt: NOW.toISOString(),
    finishedAt: NOW.toISOString(),
    asOf: NOW.toISOString(),
    toolVersion: '0.1.0',
    organization: 'Halvorsen Industrial',
    configSha256: 'c'.repeat(64),
    sources: [],
  };
}

async function* bigStream(bytes: number, chunk = 3 * MIB + 17): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < bytes; sent += chunk)
    yield new Uint8Array(Math.min(chunk, bytes - sent)).fill(sent % 251);
}

let s3: LocalS3;
let bucket: string;
let bucketNo = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  bucketNo += 1;
  bucket = `evidence-${bucketNo}`;
  await s3.createBucket(bucket);
});

async function sealRuns(
  client: S3Client,
  runIds: string[],
  signer: Signer,
  large = false,
): Promise<SealedPack[]> {
  const store = new S3EvidenceStore({
    client,
    bucket,
    prefix: 'accessproof',
    expectedBucketOwner: OWNER,
    retentionDays: 2557,
    kmsKeyId: KMS_KEY,
    now: () => NOW,
    partSize: 5 * MIB,
  });
  const sealed: SealedPack[] = [];
  for (const runId of runIds) {
    const head =
      sealed.at(-1)?.head ??
      (await findChainHead(new S3PackReader({ client, bucket, prefix: 'accessproof' })));
    const pack = await store.begin(runId, NOW);
    await pack.add('findings.jsonl', new TextEncoder().encode(`{"run":"${runId}"}\n`), 1);
    await pack.add('inventory/erp.jsonl.gz', bigStream(large ? 12 * MIB + 5 : 1000), 7);
    sealed.push(await pack.seal(draft(runId, head), signer));
  }
  return sealed;
}

const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

describe('S3 evidence store on s3rver', () => {
  it('sends checksum, Object Lock, owner, SSE-KMS and If-None-Match headers on every write, manifest files last', async () => {
    // Arrange
    const requests: Captured[] = [];
    const client = capture(s3.client(), bucket, requests);

    // Act
    const [pack] = await sealRuns(client, ['run-1'], p256Signer(), true);

    // Assert
    const writes = requests.filter((r) =>
      [
        'PutObjectCommand',
        'CreateMultipartUploadCommand',
        'UploadPartCommand',
        'CompleteMultipartUploadCommand',
      ].includes(r.command),
    );
    const base = 'accessproof/packs/2026/10/01/run-1/';
    expect(writes.map((w) => `${w.command} ${w.key.replace(base, '')}`.replace(/\?.*$/, ''))).toEqual([
      'PutObjectCommand findings.jsonl',
      'CreateMultipartUploadCommand inventory/erp.jsonl.gz',
      'UploadPartCommand inventory/erp.jsonl.gz',
      'UploadPartCommand inventory/erp.jsonl.gz',
      'UploadPartCommand inventory/erp.jsonl.gz',
      'CompleteMultipartUploadCommand inventory/erp.jsonl.gz',
      'PutObjectCommand manifest.json',
      'PutObjectCommand manifest.sig',
    ]);
    for (const w of writes) expect(w.headers['x-amz-expected-bucket-owner'], w.command).toBe(OWNER);
    const objectCreates = writes.filter(
      (w) => w.command === 'PutObjectCommand' || w.command === 'CreateMultipartUploadCommand',
    );
    for (const w of objectCreates) {
      expect(w.headers['x-amz-object-lock-mode'], w.key).toBe('COMPLIANCE');
      expect(new Date(w.headers['x-amz-object-lock-retain-until-date']!).toISOString(), w.key).toBe(
        RETAIN_UNTIL,
      );
      expect(w.headers['x-amz-server-side-encryption'], w.key).toBe('aws:kms');
      expect(w.headers['x-amz-server-side-encryption-aws-kms-key-id'], w.key).toBe(KMS_KEY);
    }
    const findingsPut = writes.find((w) => w.key === `${base}findings.jsonl`)!;
    const findings = pack!.manifest.files.find((f) => f.path === 'findings.jsonl')!;
    expect(findingsPut.headers['x-amz-checksum-sha256']).toBe(b64(findings.sha256));
    expect(findingsPut.headers['x-amz-sdk-checksum-algorithm']).toBe('SHA256');
    expect(
      writes.find((w) => w.command === 'CreateMultipartUploadCommand')!.headers['x-amz-checksum-algorithm'],
    ).toBe('SHA256');
    for (const part of writes.filter((w) => w.command === 'UploadPartCommand'))
      expect(part.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // Create-only: every object-creating request, artefacts included, carries If-None-Match: *.
    const creates = writes.filter((w) =>
      ['PutObjectCommand', 'CompleteMultipartUploadCommand'].includes(w.command),
    );
    expect(creates).toHaveLength(4);
    for (const w of creates) expect(w.headers['if-none-match'], `${w.command} ${w.key}`).toBe('*');
    expect(pack!.manifest.retention).toEqual({ mode: 'COMPLIANCE', until: RETAIN_UNTIL });
    expect(pack!.location).toBe(`s3://${bucket}/${base}`);
  });

  it('round-trips seal → verify: hashes, signatures and chain hold; s3rver keeps no checksum or lock, and verify says so', async () => {
    // Arrange
    const client = s3.client();
    const signer = p256Signer();
    await sealRuns(client, ['run-1', 'run-2'], signer, true);

    // Act
    const report = await verifyChain(openPackReader(`s3://${bucket}/accessproof`, { s3: client }));

    // Assert
    expect(report.packs.map((p) => [p.runId, p.sequence, p.signatureValid])).toEqual([
      ['run-1', 1, true],
      ['run-2', 2, true],
    ]);
    expect(report.filesChecked).toBe(4);
    expect(report.keys.map((k) => k.keyId)).toEqual(['arn:aws:kms:eu-west-1:111122223333:key/signing']);
    // Everything else held; the only problems are the facts s3rver cannot keep: no versions, no locks.
    expect(new Set(report.problems.map((p) => p.code))).toEqual(
      new Set(['versions-unavailable', 'object-checksum', 'object-lock']),
    );
    expect(report.ok).toBe(false);
  });

  it('passes verify when the store reports the checksums and locks the writes asked for', async () => {
    // Arrange
    const writes: Captured[] = [];
    const client = capture(s3.client(), bucket, writes);
    await sealRuns(client, ['run-1', 'run-2'], p256Signer());
    const reading = emulateVersionListing(emulateLockedHeads(s3.client(), bucket, writes), s3.client());

    // Act
    const report = await verifyChain(
      new S3PackReader({ client: reading, bucket, prefix: 'accessproof', expectedBucketOwner: OWNER }),
    );

    // Assert
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('names an object rewritten behind the store’s back (a bucket without Object Lock)', async () => {
    // Arrange
    const writes: Captured[] = [];
    await sealRuns(capture(s3.client(), bucket, writes), ['run-1'], p256Signer());
    await s3.client().send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'accessproof/packs/2026/10/01/run-1/findings.jsonl',
        Body: '{"run":"forged"}\n',
      }),
    );

    // Act
    const report = await verifyChain(
      new S3PackReader({
        client: emulateLockedHeads(s3.client(), bucket, writes),
        bucket,
        prefix: 'accessproof',
      }),
    );

    // Assert
    expect(report.problems.map((p) => `${p.code} ${p.runId} ${p.path}`)).toEqual([
      'versions-unavailable undefined undefined',
      'file-changed run-1 findings.jsonl',
      'object-checksum run-1 findings.jsonl',
    ]);
  });

  it('reports a pack that never got its signature as unsealed, not as a pack, and links past it', async () => {
    // Arrange
    const client = s3.client();
    await sealRuns(client, ['run-1'], p256Signer());
    const store = new S3EvidenceStore({
      client,
      bucket,
      prefix: 'accessproof',
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => NOW,
    });
    const crashed = await store.begin('run-2', NOW);
    await crashed.add('findings.jsonl', new TextEncoder().encode('{}\n'), 1);
    await crashed.abort();
    const reader = new S3PackReader({ client, bucket, prefix: 'accessproof' });

    // Act
    const report = await verifyChain(reader);
    const head = await findChainHead(reader);

    // Assert
    expect(report.packs.map((p) => p.runId)).toEqual(['run-1']);
    expect(report.problems.filter((p) => p.code === 'unsealed-staging').map((p) => p.location)).toEqual([
      `s3://${bucket}/accessproof/packs/2026/10/01/run-2/ (no manifest.sig)`,
    ]);
    expect(head?.runId).toBe('run-1');
  });

  it('refuses to begin a run that is already sealed', async () => {
    // Arrange
    const client = s3.client();
    await sealRuns(client, ['run-1'], p256Signer());
    const store = new S3EvidenceStore({
      client,
      bucket,
      prefix: 'accessproof',
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => NOW,
    });

    // Act
    const again = store.begin('run-1', NOW);

    // Assert
    await expect(again).rejects.toBeInstanceOf(PackExistsError);
  });

  it('refuses to reuse a run whose seal died between manifest.json and manifest.sig', async () => {
    // Arrange
    const client = s3.client();
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'accessproof/packs/2026/10/01/run-1/manifest.json',
        Body: '{}',
      }),
    );
    const store = new S3EvidenceStore({
      client,
      bucket,
      prefix: 'accessproof',
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => NOW,
    });

    // Act
    const again = store.begin('run-1', NOW);

    // Assert
    await expect(again).rejects.toThrow(/has manifest\.json but no manifest\.sig/);
  });

  it('names the call and key when S3 refuses a request', async () => {
    // Arrange
    const store = new S3EvidenceStore({
      client: s3.client(),
      bucket: 'no-such-bucket',
      expectedBucketOwner: OWNER,
      retentionDays: 1,
      now: () => NOW,
    });

    // Act
    const beginning = store.begin('run-1', NOW);

    // Assert
    await expect(beginning).rejects.toThrow(
      /^s3:ListObjectVersions packs\/2026\/10\/01\/run-1\/: NoSuchBucket/,
    );
  });

  it('checks the stored checksum of every object against the SHA-256 of its bytes', async () => {
    // Arrange
    const client = s3.client();
    await sealRuns(client, ['run-1'], p256Signer());
    const body = new TextEncoder().encode('{"run":"run-1"}\n');

    // Act
    const facts = await new S3PackReader({
      client: emulateLockedHeads(s3.client(), bucket, [
        {
          command: 'PutObjectCommand',
          key: 'accessproof/packs/2026/10/01/run-1/findings.jsonl',
          headers: {
            'x-amz-checksum-sha256': createHash('sha256').update(body).digest('base64'),
            'x-amz-object-lock-mode': 'COMPLIANCE',
            'x-amz-object-lock-retain-until-date': RETAIN_UNTIL,
          },
        },
      ]),
      bucket,
      prefix: 'accessproof',
    }).objectFacts({ runId: 'run-1', dir: 'packs/2026/10/01/run-1', location: '' }, 'findings.jsonl');

    // Assert
    expect(facts).toEqual({
      checksumSha256: createHash('sha256').update(body).digest('base64'),
      checksumType: 'FULL_OBJECT',
      objectLockMode: 'COMPLIANCE',
      retainUntil: RETAIN_UNTIL,
    });
  });
});
