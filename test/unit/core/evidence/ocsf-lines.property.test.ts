/**
 * `findings.ocsf.json` made from `findings.jsonl`'s lines (the seal's OCSF thread) must be the
 * file `toOcsf` of the findings in memory gives, byte for byte, however the lines are batched.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonArray } from '../../../../core/evidence/json-chunks';
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

/** `lines` cut into batches at the given indexes. */
function batches(lines: string[], at: number[]): string[][] {
  const points = [...new Set(at.map((n) => n % (lines.length + 1)))].sort((a, b) => a - b);
  const out: string[][] = [];
  let start = 0;
  for (const p of points) {
    out.push(lines.slice(start, p));
    start = p;
  }
  out.push(lines.slice(start));
  return out;
}

function convert(input: string[][]): Buffer {
  const events = new OcsfFromLines(ctx);
  const out: Uint8Array[] = [];
  for (const b of input) out.push(...events.push(b));
  out.push(...events.end());
  return Buffer.concat(out);
}

describe('OcsfFromLines', () => {
  it('gives the bytes of toOcsf in memory for any findings, however batched', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(findingArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        async (findings: Finding[], at) => {
          const expected = await bytesOf(jsonArray(findings, (f) => JSON.stringify(toOcsf(f, ctx))));
          const lines = findings.map((f) => JSON.stringify(f));
          expect(convert(batches(lines, at)).equals(expected)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes an empty array for no findings', () => {
    expect(convert([]).toString()).toBe('[]\n');
  });

  it('says which line is not JSON, without quoting it', () => {
    const events = new OcsfFromLines(ctx);
    const [good] = fc.sample(findingArb, { numRuns: 1, seed: 1 });
    expect(() => events.push([JSON.stringify(good), 'secret-looking text {'])).toThrow(
      /^findings.jsonl line 2: not valid JSON$/,
    );
  });

  it('says which line is not a finding', () => {
    const events = new OcsfFromLines(ctx);
    expect(() => events.push(['{"a":1}'])).toThrow(/^findings.jsonl line 1: not a finding \(/);
  });

  it('refuses input after its end', () => {
    const events = new OcsfFromLines(ctx);
    events.end();
    expect(() => events.push([])).toThrow('input after its end');
  });
});
