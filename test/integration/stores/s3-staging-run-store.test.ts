/**
 * S3RunStore against s3rver (127.0.0.1): the scan result handed from scan to seal and notify.
 * s3rver ignores checksums, SSE and ExpectedBucketOwner: the tests assert the headers sent.
 * A 10x scan result (1.09M findings) is past V8's longest string as one JSON text: the store
 * writes and reads it line by line, which a store configured with a small `longestString` proves.
 */

import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scanResultKey } from '../../../core/run/scan';
import { S3RunStore } from '../../../stores/s3-staging';
import { jsonLines } from '../../../stores/s3-staging/json-lines';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';

const OWNER = '111122223333';
const KMS_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/data-key';
const MIB = 1024 * 1024;

interface Captured {
  command: string;
  key: string;
  headers: Record<string, string>;
}

function capture(client: S3Client, bucket: string, into: Captured[]): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as { path: string; headers: Record<string, string> };
      into.push({
        command: context.commandName ?? '?',
        key: decodeURIComponent(req.path.replace(`/${bucket}/`, '')),
        headers: { ...req.headers },
      });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'captureRequests', priority: 'low' },
  );
  return client;
}

/** A scan-result-shaped value: `findings` findings, each with history and evidence. */
function scanResult(findings: number, noise = 0) {
  return {
    runId: 'run-2026-10-01',
    head: null,
    findings: Array.from({ length: findings }, (_, i) => ({
      id: `F-${String(i).padStart(6, '0')}`,
      rule: 'AP-NHI-DORMANT',
      status: i % 3 === 0 ? 'resolved' : 'open',
      severity: 'high',
      title: `Dormant service user Ødegård-${i} 😀`,
      evidence: { lastActivity: null, days: i, note: noise ? randomBytes(noise).toString('base64') : '' },
      history: [{ at: '2026-10-01T00:00:00.000Z', event: 'opened' }],
    })),
    changed: ['F-000001'],
    changes: { opened: ['F-000001'], resolved: [], reopened: [] },
    summary: { findings, open: findings - Math.ceil(findings / 3) },
  };
}

let s3: LocalS3;
let bucket: string;
let bucketNo = 0;
let sent: Captured[];
let store: S3RunStore;

async function storedText(key: string): Promise<string> {
  const out = await s3.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString('utf8');
}

beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(async () => {
  bucketNo += 1;
  bucket = `run-store-${bucketNo}`;
  await s3.client().send(new CreateBucketCommand({ Bucket: bucket }));
  sent = [];
  store = new S3RunStore({
    client: capture(s3.client(), bucket, sent),
    bucket,
    prefix: 'run-store',
    expectedBucketOwner: OWNER,
    kmsKeyId: KMS_KEY,
  });
});

describe('S3RunStore on s3rver', () => {
  it('round-trips a scan result as JSON under <prefix>/<key>, one finding a line, with owner, checksum and SSE-KMS', async () => {
    // Arrange
    const value = scanResult(50);
    const key = scanResultKey('run-2026-10-01');

    // Act
    await store.put(key, value);
    const back = await store.get<typeof value>(key);

    // Assert
    expect(back).toEqual(value);
    const text = await storedText('run-store/runs/run-2026-10-01/scan-result.json');
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    const lines = text.split('\n');
    const findingLines = lines.filter((l) => l.startsWith('{"id":')).map((l) => l.replace(/,$/, ''));
    expect(findingLines).toEqual(value.findings.map((f) => JSON.stringify(f)));
    expect(lines).toContain('"opened":[');
    const put = sent.find((r) => r.command === 'PutObjectCommand');
    expect(put?.key).toBe('run-store/runs/run-2026-10-01/scan-result.json');
    expect(put?.headers['x-amz-checksum-sha256']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(put?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KMS_KEY);
    expect(put?.headers['content-type']).toBe('application/json');
    for (const r of sent) expect(r.headers['x-amz-expected-bucket-owner'], r.command).toBe(OWNER);
  });

  it('answers undefined for a key never written', async () => {
    // Arrange
    await store.put('runs/other/scan-result.json', { x: 1 });

    // Act
    const missing = await store.get('runs/never/scan-result.json');

    // Assert
    expect(missing).toBeUndefined();
  });

  it('stores what JSON.stringify writes (parsed alike), for the values JSON treats specially, and reads it back', async () => {
    // Arrange
    const value = {
      date: new Date('2026-10-01T00:00:00.000Z'),
      skipped: undefined,
      fn: () => 1,
      list: [
        1,
        undefined,
        () => 2,
        Number.NaN,
        -0,
        'tab\t"quote"',
        '\u2028',
        { deep: [[[{ d: [1, { e: 2 }] }]]] },
      ],
      nested: {
        empty: {},
        none: [],
        map: new Map([['a', 1]]),
        custom: { toJSON: (k: string) => `key:${k}` },
      },
      'unicode ключ 😀': 'Ærø',
    };

    // Act
    await store.put('runs/r/odd.json', value);

    // Assert
    const expected = JSON.parse(JSON.stringify(value));
    const text = await storedText('run-store/runs/r/odd.json');
    expect(text.split('\n').join('')).toBe(JSON.stringify(value));
    expect(JSON.parse(text)).toEqual(expected);
    expect(await store.get('runs/r/odd.json')).toEqual(expected);
  });

  it('reads a scan result far longer than the longest string it may build, which one JSON text could not be', async () => {
    // Arrange: a store that builds no string over 64 KiB (V8's real limit is 512 MiB: a 10x scan
    // result, 1.09M findings, is ~1 GB of JSON); ~400 KiB of findings, each line ~200 characters.
    const small = new S3RunStore({
      client: s3.client(),
      bucket,
      prefix: 'run-store',
      longestString: 64 * 1024,
    });
    const value = scanResult(2_000);
    const oneText = JSON.stringify(value);
    await s3
      .client()
      .send(
        new PutObjectCommand({ Bucket: bucket, Key: 'run-store/runs/old/scan-result.json', Body: oneText }),
      );

    // Act
    await small.put(scanResultKey('run-lines'), value);
    const back = await small.get<typeof value>(scanResultKey('run-lines'));

    // Assert
    expect(oneText.length).toBeGreaterThan(6 * 64 * 1024);
    expect(back).toEqual(value);
    // The same value as one JSON text is one line past the limit: refused before it is one string.
    await expect(small.get(scanResultKey('old'))).rejects.toThrow(
      `s3://${bucket}/run-store/runs/old/scan-result.json: a line longer than 65536 characters`,
    );
  });

  it('lays a value out one list item a line, and that layout is JSON', () => {
    // Arrange
    const value = {
      a: 1,
      list: [{ x: [1, 2] }, 'two'],
      nested: { ids: ['p', 'q'], empty: [], o: { deep: [3] } },
      e: {},
    };

    // Act
    const lines = [...jsonLines(value)];

    // Assert
    expect(lines).toEqual([
      '{',
      '"a":1,',
      '"list":[',
      '{"x":[1,2]},',
      '"two"',
      '],',
      '"nested":{',
      '"ids":[',
      '"p",',
      '"q"',
      '],',
      '"empty":[',
      '],',
      '"o":{"deep":[3]}',
      '},',
      '"e":{',
      '}',
      '}',
    ]);
    expect(JSON.parse(lines.join('\n'))).toEqual(value);
  });

  it('streams a value larger than one part as a multipart upload and reads it back whole', async () => {
    // Arrange: ~20 MiB of JSON (base64 noise per finding), more than two 8 MiB parts.
    const value = scanResult(10_000, 1_500);

    // Act
    await store.put(scanResultKey('run-big'), value);
    const back = await store.get<typeof value>(scanResultKey('run-big'));

    // Assert
    const text = JSON.stringify(value);
    const parts = sent.filter((r) => r.command === 'UploadPartCommand');
    expect(parts).toHaveLength(Math.ceil(Buffer.byteLength(text) / (8 * MIB)));
    expect(parts.length).toBeGreaterThan(2);
    expect(back).toEqual(value);
  });

  it('streams JSON lines out and back in order (multibyte across parts), undefined when never written', async () => {
    // Arrange: ~12 MiB of lines, more than one 8 MiB part, with characters of 2-4 UTF-8 bytes.
    const lines = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ i, text: `Ærø ключ 😀 ${randomBytes(300).toString('base64')}` }),
    );

    // Act
    await store.putLines('runs/r/shards/drafts-0.jsonl', lines);
    const back: string[] = [];
    for await (const line of (await store.getLines('runs/r/shards/drafts-0.jsonl'))!) back.push(line);

    // Assert
    expect(back).toEqual(lines);
    expect(sent.filter((r) => r.command === 'UploadPartCommand').length).toBeGreaterThan(1);
    expect(await store.getLines('runs/r/shards/drafts-9.jsonl')).toBeUndefined();
  });

  it('overwrites a re-delivered put', async () => {
    // Arrange
    await store.put('runs/r/result.json', { attempt: 1 });

    // Act
    await store.put('runs/r/result.json', { attempt: 2 });

    // Assert
    expect(await store.get('runs/r/result.json')).toEqual({ attempt: 2 });
  });

  it('refuses a value with no JSON form, and names the object that is not JSON', async () => {
    // Arrange
    await s3
      .client()
      .send(new PutObjectCommand({ Bucket: bucket, Key: 'run-store/runs/r/broken.json', Body: '{"half":' }));

    // Act / Assert
    await expect(store.put('runs/r/undefined.json', undefined)).rejects.toThrow(/no JSON form/);
    await expect(store.get('runs/r/broken.json')).rejects.toThrow(
      `s3://${bucket}/run-store/runs/r/broken.json:1:`,
    );
    await s3
      .client()
      .send(
        new PutObjectCommand({ Bucket: bucket, Key: 'run-store/runs/r/cut.json', Body: '{\n"a":[\n1,\n' }),
      );
    await expect(store.get('runs/r/cut.json')).rejects.toThrow(
      `s3://${bucket}/run-store/runs/r/cut.json: the JSON ends early (after 3 lines)`,
    );
    await expect(store.put('runs/../x.json', {})).rejects.toThrow(/not a staging key/);
  });
});
