/**
 * The seal's OCSF worker thread: the same `findings.ocsf.json` bytes as `toOcsf` in the seal's
 * thread; a failure on either side fails the conversion, names the line, and leaves no thread
 * running.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonArray } from '../../../core/evidence/json-chunks';
import { toOcsf } from '../../../core/evidence/ocsf';
import type { OcsfConversion } from '../../../core/evidence/ports';
import { OcsfThread } from '../../../stores/local-vault/ocsf-thread';
import { findingArb } from '../../support/finding-arbitrary';

const ctx = { runId: 'run-2', asOf: '2026-10-01T00:00:00Z', organization: 'corp', toolVersion: '1.0.0' };

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const all: Uint8Array[] = [];
  for await (const c of chunks) all.push(c);
  return Buffer.concat(all);
}

/** Feeds `lines` in batches of 100 while the output is read, as seal does. */
async function run(conversion: OcsfConversion, lines: string[]): Promise<Buffer> {
  const feeding = (async () => {
    for (let i = 0; i < lines.length; i += 100) await conversion.feed(lines.slice(i, i + 100));
    conversion.end();
  })();
  const [out] = await Promise.all([bytesOf(conversion.output), feeding]);
  return out;
}

describe('OcsfThread', () => {
  // ~6 MB of lines: more batches and chunks than may be in flight, so both sides wait for credit.
  const findings = fc.sample(findingArb, { numRuns: 12_000, seed: 11 });

  it('writes the bytes toOcsf gives in this thread', async () => {
    const conversion = new OcsfThread({ minFindings: 0 }).open(ctx, findings.length)!;
    const expected = await bytesOf(jsonArray(findings, (f) => JSON.stringify(toOcsf(f, ctx))));
    const got = await run(
      conversion,
      findings.map((f) => JSON.stringify(f)),
    );
    expect(got.length).toBe(expected.length);
    expect(got.equals(expected)).toBe(true);
  });

  it('declines below its threshold', () => {
    expect(new OcsfThread().open(ctx, 19_999)).toBeUndefined();
    expect(new OcsfThread({ minFindings: 10 }).open(ctx, 9)).toBeUndefined();
  });

  it('fails naming the line the thread could not read', async () => {
    const conversion = new OcsfThread({ minFindings: 0 }).open(ctx, 3)!;
    await expect(run(conversion, [JSON.stringify(findings[0]), '{"cut off'])).rejects.toThrow(
      'the OCSF thread failed: findings.jsonl line 2: not valid JSON',
    );
  });

  it('stops when the other file fails: the output throws that failure', async () => {
    const conversion = new OcsfThread({ minFindings: 0 }).open(ctx, findings.length)!;
    await conversion.feed([JSON.stringify(findings[0])]);
    const disk = new Error('ENOSPC: the disk is full');
    conversion.abort(disk);
    await expect(bytesOf(conversion.output)).rejects.toBe(disk);
    await expect(conversion.feed([])).rejects.toBe(disk);
  });
});
