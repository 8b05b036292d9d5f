/**
 * `findings.ocsf.json` made from `findings.jsonl`'s bytes (the seal's OCSF thread) must be the
 * file `toOcsf` of the findings in memory gives, byte for byte, however the bytes are cut into
 * chunks (through a line, through a multi-byte character).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonArray, jsonLines } from '../../../../core/evidence/json-chunks';
import { toOcsf } from '../../../../core/evidence/ocsf';
import { OcsfFromLines } from '../../../../core/evidence/ocsf-lines';
import type { Finding } from '../../../../core/findings/model';
import { findingArb } from '../../../support/finding-arbitrary';

const ctx = { runId: 'run-2', asOf: '2026-10-01T00:00:00Z', organization: 'corp', toolVersion: '1.0.0' };

async function bytesOf(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const all: Uint8Array[] = [];
  for await (const c of chunks) all.push(c);
  return Buffer.concat(all);
}

/** `bytes` cut at the given offsets (sorted, deduplicated, inside the buffer). */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((n) => n % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

function convert(chunks: Buffer[]): Buffer {
  const lines = new OcsfFromLines(ctx);
  const out: Uint8Array[] = [];
  for (const c of chunks) out.push(...lines.push(c));
  out.push(...lines.end());
  return Buffer.concat(out);
}

describe('OcsfFromLines', () => {
  it('gives the bytes of toOcsf in memory for any findings, cut anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(findingArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (findings: Finding[], at) => {
          const expected = await bytesOf(jsonArray(findings, (f) => JSON.stringify(toOcsf(f, ctx))));
          const jsonl = await bytesOf(jsonLines(findings));
          expect(convert(cut(jsonl, at)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('cuts through a multi-byte character and still decodes it', () => {
    const line = Buffer.from(`${JSON.stringify({ text: 'a — 𝄞' })}\n`);
    const lines = new OcsfFromLines(ctx);
    const at = line.indexOf(Buffer.from('—')) + 1;
    // The JSON is not a finding: toOcsf throws on it, after decoding, which is what is checked.
    expect(() => lines.push(line.subarray(0, at))).not.toThrow();
    expect(() => lines.push(line.subarray(at))).toThrow();
  });

  it('writes an empty array for no findings', () => {
    expect(convert([]).toString()).toBe('[]\n');
  });

  it('says which line is not JSON, without quoting it', () => {
    const lines = new OcsfFromLines(ctx);
    const bad = 'secret-looking text {';
    const err = (() => {
      try {
        const [good] = fc.sample(findingArb, { numRuns: 1, seed: 1 });
        lines.push(Buffer.from(`${JSON.stringify(good)}\n${bad}\n`));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toBe('findings.jsonl line 2: not valid JSON');
  });

  it('says which line is not a finding', () => {
    const lines = new OcsfFromLines(ctx);
    expect(() => lines.push(Buffer.from('{"a":1}\n'))).toThrow(/^findings.jsonl line 1: not a finding \(/);
  });

  it('refuses input that does not end with a newline', () => {
    const lines = new OcsfFromLines(ctx);
    lines.push(Buffer.from('{"a":1}'));
    expect(() => lines.end()).toThrow('findings.jsonl line 1: no newline at the end');
  });

  it('refuses bytes that are not UTF-8', () => {
    const lines = new OcsfFromLines(ctx);
    expect(() => lines.push(Buffer.from([0x7b, 0xff, 0x7d, 0x0a]))).toThrow();
  });
});
