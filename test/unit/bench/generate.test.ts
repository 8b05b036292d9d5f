import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type EnterpriseSize, generateEnterprise, TEN_X, TINY } from '../../../bench/generate';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function hashOf(
  seed: number,
  size: EnterpriseSize = TINY,
  samplePeople?: number,
): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'accessproof-gen-'));
  dirs.push(dir);
  await generateEnterprise({ ...size, seed }, dir, samplePeople !== undefined ? { samplePeople } : {});
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

  it('spreads AWS over several accounts, each a source, byte-identical for the same seed', async () => {
    const a = await hashOf(7, { ...TINY, awsAccounts: 3 });
    const b = await hashOf(7, { ...TINY, awsAccounts: 3 });
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining([
        'aws/300000000001/authorization-details.json',
        'aws/300000000003/credential-report.csv',
      ]),
    );
    expect(b).toEqual(a);
  });

  it('at 10x: the head of the files (roles, the first 2,000 people and their grants) is the same for the same seed', async () => {
    // The full 10x tenant is 20M grants; its generation is sequential, so its head decides nothing
    // about the rest except through the seed: the sample is checked to be a true prefix below.
    const a = await hashOf(7, TEN_X, 2_000);
    const b = await hashOf(7, TEN_X, 2_000);
    expect(Object.keys(a)).toEqual(
      expect.arrayContaining(['erp/roles.csv', 'erp/users.csv', 'erp/assignments.csv']),
    );
    expect(b).toEqual(a);
  });

  it('a sample is the head of the full generation', async () => {
    const full = mkdtempSync(join(tmpdir(), 'accessproof-gen-'));
    const head = mkdtempSync(join(tmpdir(), 'accessproof-gen-'));
    dirs.push(full, head);
    await generateEnterprise(TINY, full);
    await generateEnterprise(TINY, head, { samplePeople: 50 });
    for (const f of ['erp/roles.csv', 'erp/role_permissions.csv', 'erp/users.csv', 'erp/assignments.csv']) {
      const whole = readFileSync(join(full, f), 'utf8');
      const start = readFileSync(join(head, f), 'utf8');
      expect(start.length, f).toBeGreaterThan(30);
      expect(whole.startsWith(start), f).toBe(true);
    }
    expect(readFileSync(join(head, 'erp/users.csv'), 'utf8').trim().split('\n')).toHaveLength(51);
  });
});
