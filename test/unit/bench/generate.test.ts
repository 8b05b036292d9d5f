import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEnterprise, TINY } from '../../../bench/generate';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function hashOf(seed: number): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-gen-'));
  dirs.push(dir);
  await generateEnterprise({ ...TINY, seed }, dir);
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (!f.includes('.')) continue;
    // The config names the folder it was written to; everything else must be byte-identical.
    const bytes = readFileSync(join(dir, f));
    out[f] = createHash('sha256')
      .update(f.endsWith('.yaml') ? bytes.toString().replaceAll(dir, '<dir>') : bytes)
      .digest('hex');
  }
  return out;
}

describe('bench generator', () => {
  it('writes byte-identical files for the same seed', async () => {
    const a = await hashOf(7);
    const b = await hashOf(7);
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining([
        'erp/users.csv',
        'erp/assignments.csv',
        'aws/authorization-details.json',
        'bench-ruleset.yaml',
      ]),
    );
    expect(b).toEqual(a);
  });

  it('writes different data for another seed', async () => {
    const a = await hashOf(7);
    const c = await hashOf(8);
    expect(c['erp/assignments.csv']).not.toBe(a['erp/assignments.csv']);
  });
});
