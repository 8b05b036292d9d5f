import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVIEW_RULE_IDS, RULE_IDS } from '../../core/findings/model';
import { accessproof, tempDir } from './cli-helpers';

/** Every pack folder under an evidence root, oldest first. */
function packs(evidence: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (!statSync(p).isDirectory()) continue;
      if (depth === 3) out.push(p);
      else walk(p, depth + 1);
    }
  };
  if (existsSync(join(evidence, 'packs'))) walk(join(evidence, 'packs'), 0);
  return out.sort();
}

describe('accessproof scan --demo, twice, then verify', () => {
  const out = tempDir();
  const evidence = join(out, 'evidence');
  let first: ReturnType<typeof accessproof>;
  let second: ReturnType<typeof accessproof>;

  beforeAll(() => {
    first = accessproof(['scan', '--demo', '--out', out]);
    second = accessproof(['scan', '--demo', '--out', out]);
  }, 240_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('seals a pack per run and says where it is', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(second.code).toBe(0);
    expect(first.stdout).toMatch(/Evidence pack #1: /);
    expect(second.stdout).toMatch(/Evidence pack #2: /);
    expect(packs(evidence)).toHaveLength(2);
  });

  it('fires every rule on the demo tenant', () => {
    // Review rules need decisions in the state folder, not only the tenant: revocation-proof.test.ts fires them.
    for (const rule of RULE_IDS.filter((r) => !REVIEW_RULE_IDS.includes(r))) {
      expect(first.stdout, rule).toMatch(new RegExp(`^\\s+${rule}\\s+[1-9]\\d*$`, 'm'));
    }
  });

  it('chains the second pack to the first', () => {
    const [a, b] = packs(evidence);
    const manifestA = readFileSync(join(a!, 'manifest.json'));
    const manifestB = JSON.parse(readFileSync(join(b!, 'manifest.json'), 'utf8'));
    expect(manifestB.previous.manifestSha256).toBe(createHash('sha256').update(manifestA).digest('hex'));
    expect(manifestB.sequence).toBe(2);
  });

  it('verifies the chain, printing the signing key fingerprint', () => {
    const r = accessproof(['verify', evidence]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[0-9a-f]{64}/);
  });

  it('fails on a flipped byte, naming the file', () => {
    const [a] = packs(evidence);
    const file = join(a!, 'findings.jsonl');
    const original = readFileSync(file);
    const flipped = Buffer.from(original);
    flipped[10] = flipped[10]! ^ 0x01;
    writeFileSync(file, flipped);
    try {
      const r = accessproof(['verify', evidence]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toContain('findings.jsonl');
    } finally {
      writeFileSync(file, original);
    }
  });

  it('fails on an edited manifest', () => {
    const [, b] = packs(evidence);
    const file = join(b!, 'manifest.json');
    const original = readFileSync(file);
    writeFileSync(
      file,
      original
        .toString('utf8')
        .replace('"organization": "Halvorsen Industrial"', '"organization": "Halvorsen Industriel"'),
    );
    try {
      const r = accessproof(['verify', evidence]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/signature/i);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('fails when a pack of the chain lost its manifest', () => {
    const [a] = packs(evidence);
    const file = join(a!, 'manifest.json');
    const original = readFileSync(file);
    rmSync(file);
    try {
      const r = accessproof(['verify', evidence]);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/manifest/i);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('fails when the newest pack is gone, against the head the findings store recorded', () => {
    // Guards against deleting the last pack: the chain alone still looks whole.
    const newest = packs(evidence).at(-1)!;
    const aside = `${out}/newest-aside`;
    renameSync(newest, aside);
    try {
      const r = accessproof(['verify', evidence]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/chain-head-missing/);
    } finally {
      renameSync(aside, newest);
    }
  });

  it('passes again once the pack is restored, and fails when --key pins another key', () => {
    expect(accessproof(['verify', evidence]).code).toBe(0);
    const other = join(out, 'other.fingerprint');
    writeFileSync(other, `${'ab'.repeat(32)}\n`);
    const r = accessproof(['verify', evidence, '--key', other]);
    expect(r.code).toBe(1);
  });

  it('finds conflicts that only show across systems, and honours an IAM Deny', () => {
    const r = accessproof(['findings', '--out', out, '--format', 'jsonl']);
    const sod = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((f) => f.rule === 'SOD-CONFLICT');
    // Identities are the HR people: the title ends with the person's HR name.
    const risk = (name: string, riskId: string) =>
      sod.find((f) => f.title.endsWith(`: ${name}`) && f.detail.riskId === riskId);
    // Credit limits in Salesforce (through a permission set group) + credit memos in the ERP.
    const credit = risk('Nadia Zielinski', 'O2C-01');
    expect(credit?.subject.principals.map((p: string) => p.split(':')[0]).sort()).toEqual([
      'erp',
      'salesforce',
    ]);
    // Vendor master in the ERP + payment-file upload in AWS through the payments-ops group.
    const payments = risk('Mara Eriksen', 'P2P-01');
    expect(payments?.subject.principals.map((p: string) => p.split(':')[0]).sort()).toEqual(['aws', 'erp']);
    // Same group, but an inline Deny on the payment bucket: no conflict.
    expect(risk('Sofia Ivanova', 'P2P-01')).toBeUndefined();
  });

  it('lists findings from the local state', () => {
    const r = accessproof(['findings', '--out', out, '--format', 'jsonl']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.every((f) => typeof f.id === 'string' && f.id.length === 24)).toBe(true);
  });

  it('exits 1 with --fail-on when an open finding is at or above the severity', () => {
    const r = accessproof(['scan', '--demo', '--out', out, '--fail-on', 'critical']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Evidence pack #3: /); // the pack is still sealed
  });
});
