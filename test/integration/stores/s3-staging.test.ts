/**
 * S3SnapshotStaging against s3rver, a real S3-compatible server on 127.0.0.1, driven by the same
 * collect driver the Lambdas call. s3rver stores bytes and keys only: it ignores checksums, SSE and
 * ExpectedBucketOwner, so the tests assert the headers each request CARRIED (what S3 enforces).
 */

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CollectOutcome, collectSource, type Deadline } from '../../../core/collect-driver';
import { type Connector, silentLogger } from '../../../core/connector';
import { InputError } from '../../../core/errors';
import type { Principal } from '../../../core/model';
import type { SnapshotRef } from '../../../core/ports';
import { LocalSnapshotStaging } from '../../../stores/local-staging/local-snapshot-staging';
import { S3SnapshotStaging } from '../../../stores/s3-staging';
import { gzipLines } from '../../../stores/s3-staging/gzip-lines';
import { makeEntitlement, makeGrant, makePrincipal } from '../../support/factories';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';

const OWNER = '111122223333';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/data-key';
const NOW = new Date('2026-10-01T06:07:08.900Z');
const MIB = 1024 * 1024;
const PAGES = 6;

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
      const key = decodeURIComponent(req.path.replace(`/${bucket}/`, ''));
      into.push({ command: context.commandName ?? '?', key, headers: { ...req.headers } });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'captureRequests', priority: 'low' },
  );
  return client;
}

/** A connector of PAGES pages; each page one principal (non-ASCII name), one role and a grant. */
const fakeConnector: Connector<{ id: string }, { page: number }> = {
  name: 'fake',
  version: '1.0.0',
  system: 'erp',
  async begin(ctx) {
    ctx.calls.record('GET /users', { calls: 1 });
    return { state: { page: 0 }, tenant: 'erp-test', mode: 'api' };
  },
  async step(ctx, state) {
    ctx.calls.record('GET /users', { calls: 1, pages: 1, records: 1 });
    const principal: Principal = makePrincipal({
      nativeId: `u${state.page}`,
      name: `Jürgen Ødegård ${state.page} 😀`,
    });
    const role = makeEntitlement({ nativeId: `r${state.page}`, name: `Zahlungsfreigabe €${state.page}` });
    const next = state.page + 1 < PAGES ? { page: state.page + 1 } : null;
    return {
      page: { principals: [principal], entitlements: [role], grants: [makeGrant(principal, role)] },
      next,
    };
  },
};

/** A deadline that runs out after `steps` connector steps: the driver checks it before each step. */
function deadlineAfter(steps: number): Deadline {
  let checks = 0;
  return { remainingMs: () => (checks++ < steps ? 60_000 : 0), marginMs: 1_000 };
}

async function collect(staging: S3SnapshotStaging | LocalSnapshotStaging, key: string, extra: object = {}) {
  return collectSource({
    connector: fakeConnector,
    source: { id: 'erp-test' },
    key,
    staging,
    now: () => NOW,
    logger: silentLogger,
    ...extra,
  });
}

function completed(outcome: CollectOutcome): SnapshotRef {
  if (outcome.status !== 'complete') throw new Error(`expected a complete collection, got ${outcome.status}`);
  return outcome.snapshot;
}

async function collectAll<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function sha256Of(chunks: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const c of chunks) {
    hash.update(c);
    bytes += c.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

let s3: LocalS3;
let bucket: string;
let bucketNo = 0;
let sent: Captured[];
let client: S3Client;

function staging(options: { prefix?: string; partSize?: number } = {}): S3SnapshotStaging {
  return new S3SnapshotStaging({
    client,
    bucket,
    prefix: options.prefix ?? 'snapshots',
    expectedBucketOwner: OWNER,
    kmsKeyId: KMS_KEY,
    ...(options.partSize ? { partSize: options.partSize } : {}),
  });
}

beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  bucketNo += 1;
  bucket = `staging-${bucketNo}`;
  // A plain bucket, like the deployed staging bucket: no Object Lock, no versioning.
  await s3.client().send(new CreateBucketCommand({ Bucket: bucket }));
  sent = [];
  client = capture(s3.client(), bucket, sent);
});

describe('S3SnapshotStaging on s3rver', () => {
  it('collects through the driver into one gzipped snapshot whose lines are exactly the records', async () => {
    // Arrange
    const store = staging();

    // Act
    const ref = completed(await collect(store, 'run-1/erp-test'));
    const lines = await collectAll(store.lines(ref.location));

    // Assert
    expect(ref.location).toBe(`s3://${bucket}/snapshots/run-1/erp-test.jsonl.gz`);
    expect(ref.records).toBe(PAGES * 3);
    expect(lines).toHaveLength(1 + PAGES * 3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ type: 'snapshot', sourceId: 'erp-test', complete: true });
    expect(JSON.parse(lines[1]!).principal.name).toBe('Jürgen Ødegård 0 😀');
    expect(lines.filter((l) => l.startsWith('{"grant"'))).toHaveLength(PAGES);
  });

  it('stores the same gzip bytes as the local staging for the same collection', async () => {
    // Arrange
    const dir = await mkdtemp(join(tmpdir(), 'accessproof-staging-'));
    try {
      // Act
      const remote = completed(await collect(staging(), 'run-1/erp-test'));
      const local = completed(await collect(new LocalSnapshotStaging(dir), 'run-1/erp-test'));

      // Assert
      expect(remote.sha256).toBe(local.sha256);
      expect(remote.bytes).toBe(local.bytes);
      expect(remote.records).toBe(local.records);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pauses at the deadline with a checkpoint in S3 and resumes from the cursor to a byte-identical snapshot', async () => {
    // Arrange
    const store = staging();
    const straight = completed(await collect(store, 'run-1/straight'));

    // Act
    const first = await collect(store, 'run-1/erp-test', { deadline: deadlineAfter(2) });
    if (first.status !== 'partial') throw new Error(`expected a pause, got ${first.status}`);
    // A new Lambda: a new client and store object, nothing shared but the bucket.
    const resumedStore = new S3SnapshotStaging({ client: s3.client(), bucket, prefix: 'snapshots' });
    const second = await collect(resumedStore, 'run-1/erp-test', { cursor: first.cursor });
    const resumed = completed(second);

    // Assert
    expect(first.counts.principals).toBe(2);
    const keys = sent.filter((r) => r.command === 'PutObjectCommand').map((r) => r.key);
    expect(keys).toContain('snapshots/run-1/erp-test/checkpoint.json');
    expect(keys).toContain('snapshots/run-1/erp-test/part-000000.jsonl');
    expect(resumed.sha256).toBe(straight.sha256);
    expect(await sha256Of(resumedStore.bytes(resumed.location))).toEqual({
      sha256: straight.sha256,
      bytes: straight.bytes,
    });
  });

  it('refuses a cursor whose checkpoint was replaced', async () => {
    // Arrange
    const store = staging();
    const first = await collect(store, 'run-1/erp-test', { deadline: deadlineAfter(1) });
    if (first.status !== 'partial') throw new Error('expected a pause');
    await store.saveCheckpoint('run-1/erp-test', '{"tampered":true}');

    // Act
    const resumed = collect(store, 'run-1/erp-test', { cursor: first.cursor });

    // Assert
    await expect(resumed).rejects.toThrow(/no checkpoint matches the cursor/);
  });

  it('bytes() streams exactly the stored object, whose SHA-256 and size are the ref’s', async () => {
    // Arrange
    const store = staging();
    const ref = completed(await collect(store, 'run-1/erp-test'));

    // Act
    const streamed = await sha256Of(store.bytes(ref.location));
    const raw = await s3
      .client()
      .send(new GetObjectCommand({ Bucket: bucket, Key: 'snapshots/run-1/erp-test.jsonl.gz' }));
    const stored = Buffer.from(await raw.Body!.transformToByteArray());

    // Assert
    expect(streamed).toEqual({ sha256: ref.sha256, bytes: ref.bytes });
    expect(createHash('sha256').update(stored).digest('hex')).toBe(ref.sha256);
    expect(stored.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('sends owner, SHA-256 checksum and SSE-KMS on every write, and never an Object Lock header', async () => {
    // Arrange
    const store = staging();

    // Act
    await collect(store, 'run-1/erp-test', { deadline: deadlineAfter(3) });
    await collect(store, 'run-1/other');

    // Assert
    const writes = sent.filter((r) => r.command === 'PutObjectCommand');
    expect(writes.length).toBeGreaterThanOrEqual(3);
    for (const w of writes) {
      expect(w.headers['x-amz-expected-bucket-owner'], w.key).toBe(OWNER);
      expect(w.headers['x-amz-checksum-sha256'], w.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(w.headers['x-amz-server-side-encryption'], w.key).toBe('aws:kms');
      expect(w.headers['x-amz-server-side-encryption-aws-kms-key-id'], w.key).toBe(KMS_KEY);
      expect(
        Object.keys(w.headers).filter((h) => h.startsWith('x-amz-object-lock')),
        w.key,
      ).toEqual([]);
    }
    for (const r of sent) expect(r.headers['x-amz-expected-bucket-owner'], r.command).toBe(OWNER);
  });

  it('overwrites a part re-delivered with the same seq, and a re-delivered finalize gives the same snapshot', async () => {
    // Arrange
    const store = staging();
    await store.writePart('run-1/erp-test', 0, ['{"principal":{"uid":"first-try"}}']);
    await store.writePart('run-1/erp-test', 0, ['{"principal":{"uid":"a"}}', '{"principal":{"uid":"b"}}']);
    await store.writePart('run-1/erp-test', 1, []);

    // Act
    const ref = await store.finalize('run-1/erp-test', '{"type":"snapshot"}', 2);
    const again = await store.finalize('run-1/erp-test', '{"type":"snapshot"}', 2);

    // Assert
    expect(await collectAll(store.lines(ref.location))).toEqual([
      '{"type":"snapshot"}',
      '{"principal":{"uid":"a"}}',
      '{"principal":{"uid":"b"}}',
    ]);
    expect(ref.records).toBe(2);
    expect(again).toEqual(ref);
  });

  it('uploads a snapshot larger than one part as a checksummed multipart upload, read back line for line', async () => {
    // Arrange: base64 noise barely compresses, so ~24 MiB of lines is three 8 MiB parts of gzip.
    const store = staging();
    const lines: string[] = [];
    for (let i = 0; i < 6_000; i++)
      lines.push(
        JSON.stringify({
          principal: { uid: `u${i}`, name: `Ærø ✓ 😀 ${randomBytes(3_000).toString('base64')}` },
        }),
      );
    await store.writePart('run-1/big', 0, lines.slice(0, 3_000));
    await store.writePart('run-1/big', 1, lines.slice(3_000));

    // Act
    const ref = await store.finalize('run-1/big', '{"type":"snapshot"}', 2);
    const back = await collectAll(store.lines(ref.location));

    // Assert
    expect(ref.bytes).toBeGreaterThan(2 * 8 * MIB);
    const parts = sent.filter((r) => r.command === 'UploadPartCommand');
    expect(parts.length).toBe(Math.ceil(ref.bytes / (8 * MIB)));
    for (const p of parts) {
      expect(p.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(p.headers['x-amz-expected-bucket-owner']).toBe(OWNER);
    }
    const created = sent.find((r) => r.command === 'CreateMultipartUploadCommand');
    expect(created?.headers['x-amz-checksum-algorithm']).toBe('SHA256');
    expect(created?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KMS_KEY);
    expect(sent.filter((r) => r.command === 'CompleteMultipartUploadCommand')).toHaveLength(1);
    expect(back).toEqual(['{"type":"snapshot"}', ...lines]);
    expect(ref.records).toBe(lines.length);
    expect(await sha256Of(store.bytes(ref.location))).toEqual({ sha256: ref.sha256, bytes: ref.bytes });
  });

  it('reads back megabytes of multi-byte characters intact', async () => {
    // Arrange: 4 MiB of 3- and 4-byte characters, so 1 MiB chunk boundaries fall inside characters.
    const store = staging();
    const lines = Array.from({ length: 700 }, (_, i) =>
      JSON.stringify({ name: `${'€'.repeat(1_000 + i)}😀` }),
    );
    await store.writePart('run-1/utf8', 0, lines);

    // Act
    const ref = await store.finalize('run-1/utf8', '{"type":"snapshot"}', 1);
    const back = await collectAll(store.lines(ref.location));

    // Assert
    expect(back.slice(1)).toEqual(lines);
  });

  it('leaves no snapshot at all when a part is missing, and names the missing key', async () => {
    // Arrange
    const store = staging();
    await store.writePart('run-1/erp-test', 0, ['{"principal":{"uid":"a"}}']);

    // Act
    const finalize = store.finalize('run-1/erp-test', '{"type":"snapshot"}', 2);

    // Assert
    await expect(finalize).rejects.toThrow(
      /s3:GetObject snapshots\/run-1\/erp-test\/part-000001\.jsonl: NoSuchKey/,
    );
    await expect(
      s3.client().send(new HeadObjectCommand({ Bucket: bucket, Key: 'snapshots/run-1/erp-test.jsonl.gz' })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('answers undefined for a checkpoint never saved, and reads back one saved byte for byte', async () => {
    // Arrange
    const store = staging();
    const body = '{"v":1,"state":{"name":"Ødegård 😀"}}';

    // Act
    const before = await store.loadCheckpoint('run-1/erp-test');
    await store.saveCheckpoint('run-1/erp-test', body);
    const after = await store.loadCheckpoint('run-1/erp-test');

    // Assert
    expect(before).toBeUndefined();
    expect(after).toBe(body);
  });

  it('refuses locations outside its bucket and prefix, and keys that could escape the prefix', async () => {
    // Arrange
    const store = staging();

    // Act / Assert
    await expect(collectAll(store.lines('s3://another-bucket/snapshots/run-1/x.jsonl.gz'))).rejects.toThrow(
      InputError,
    );
    await expect(collectAll(store.bytes(`s3://${bucket}/elsewhere/run-1/x.jsonl.gz`))).rejects.toThrow(
      /is not under/,
    );
    await expect(store.writePart('run-1/../evidence', 0, ['{}'])).rejects.toThrow(/not a staging key/);
    await expect(store.saveCheckpoint('/run-1/x', '{}')).rejects.toThrow(InputError);
    expect(sent).toEqual([]);
  });

  it('stops reading (and frees the connection) when the reader breaks off early', async () => {
    // Arrange
    const store = staging();
    const ref = completed(await collect(store, 'run-1/erp-test'));

    // Act
    const firstTwo: string[] = [];
    for await (const line of store.lines(ref.location)) {
      firstTwo.push(line);
      if (firstTwo.length === 2) break;
    }
    const all = await collectAll(store.lines(ref.location));

    // Assert
    expect(firstTwo).toEqual(all.slice(0, 2));
  });
});

describe('gzipLines', () => {
  it('keeps a character whole when the decompressed stream is cut inside it', async () => {
    // Arrange: compressed bytes fed in small slices, with a pause after each, so each slice's
    // output reaches the reader on its own and the cuts fall inside 3- and 4-byte characters.
    const lines = Array.from({ length: 50 }, (_, i) => `${'€'.repeat(100 + i)}😀`);
    const gz = gzipSync(Buffer.from(`${lines.join('\n')}\n`));
    async function* slices() {
      for (let i = 0; i < gz.length; i += 64) {
        yield gz.subarray(i, i + 64);
        await new Promise((r) => setImmediate(r));
      }
    }

    // Act
    const back = await collectAll(gzipLines(Readable.from(slices())));

    // Assert
    expect(back).toEqual(lines);
  });
});

describe('S3SnapshotStaging when S3 fails (aws-sdk-client-mock)', () => {
  it('aborts the multipart upload when an UploadPart fails, and names the call and key', async () => {
    // Arrange: 12 MiB of part data that gzip cannot shrink below one 5 MiB part.
    const mock = mockClient(S3Client);
    const part = Buffer.from(`${randomBytes(9 * MIB).toString('base64')}\n`);
    mock.on(GetObjectCommand).callsFake(async () => ({ Body: Readable.from([part]) }));
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    mock.on(UploadPartCommand).rejects(Object.assign(new Error('Internal Error'), { name: 'InternalError' }));
    mock.on(AbortMultipartUploadCommand).resolves({});
    const store = new S3SnapshotStaging({
      client: new S3Client({ region: 'eu-west-1' }),
      bucket: 'staging-bucket',
      prefix: 'snapshots',
      expectedBucketOwner: OWNER,
      partSize: 5 * MIB,
    });

    try {
      // Act
      const finalize = store.finalize('run-1/erp-test', '{"type":"snapshot"}', 1);

      // Assert
      await expect(finalize).rejects.toThrow(
        's3:UploadPart snapshots/run-1/erp-test.jsonl.gz: InternalError: Internal Error',
      );
      expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).toEqual([
        {
          Bucket: 'staging-bucket',
          Key: 'snapshots/run-1/erp-test.jsonl.gz',
          UploadId: 'upload-1',
          ExpectedBucketOwner: OWNER,
        },
      ]);
      expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
      expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    } finally {
      mock.restore();
    }
  });

  it('throws (does not answer "no checkpoint") when S3 denies the read', async () => {
    // Arrange
    const mock = mockClient(S3Client);
    mock.on(GetObjectCommand).rejects(
      Object.assign(new Error('Access Denied'), {
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      }),
    );
    const store = new S3SnapshotStaging({
      client: new S3Client({ region: 'eu-west-1' }),
      bucket: 'staging-bucket',
      prefix: 'snapshots',
    });

    try {
      // Act
      const load = store.loadCheckpoint('run-1/erp-test');

      // Assert
      await expect(load).rejects.toThrow(
        's3:GetObject snapshots/run-1/erp-test/checkpoint.json: AccessDenied',
      );
    } finally {
      mock.restore();
    }
  });
});
