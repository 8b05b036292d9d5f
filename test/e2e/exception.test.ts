import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeSqlite } from '../../stores/sqlite-findings/node-sqlite';
import { findingsDbFile } from '../../stores/sqlite-findings/sqlite-findings-repository';
import { accessproof, tempDir } from './cli-helpers';

describe('accessproof exception add', () => {
  const out = tempDir();
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  /** `findings --format jsonl` parsed, with the filter arguments given. */
  const findingsOf = (...filter: string[]) =>
    accessproof(['findings', '--out', out, ...filter, '--format', 'jsonl'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; rule: string; status: string });
  /** `exception add` of finding `id`, with approver, rationale, compensating control and expiry. */
  const acceptance = (id: string) => [
    'exception',
    'add',
    id,
    '--demo',
    '--approver',
    'cfo@halvorsen-industrial.example',
    '--rationale',
    'Two-person team until the Q1 hire; every payment run is reviewed by the controller.',
    '--compensating-control',
    'Controller reviews the payment-run log weekly',
    '--expires',
    // The demo is as of 2026-10-01: `--demo` makes the acceptance take effect then (issue 10).
    '2026-12-31',
    '--out',
    out,
  ];

  it('accepts a risk with approver, rationale and expiry; the next pack carries it', () => {
    // Arrange
    expect(accessproof(['scan', '--demo', '--out', out]).code).toBe(0);
    const sod = findingsOf('--status', 'open').find((f) => f.rule === 'SOD-CONFLICT')!;

    // Act
    const missingRationale = accessproof([
      'exception',
      'add',
      sod.id,
      '--demo',
      '--approver',
      'cfo@halvorsen-industrial.example',
      '--rationale',
      'ok',
      '--expires',
      '2099-01-01',
      '--out',
      out,
    ]);
    const added = accessproof(acceptance(sod.id));
    const rescan = accessproof(['scan', '--demo', '--out', out]);

    // Assert
    expect(missingRationale.code).toBe(2);
    expect(missingRationale.stderr).toMatch(/rationale/);
    expect(added.code, added.stderr).toBe(0);
    expect(rescan.code).toBe(0);
    const after = findingsOf().find((f) => f.id === sod.id);
    expect(after).toMatchObject({
      status: 'risk-accepted',
      exception: { approver: 'cfo@halvorsen-industrial.example' },
    });
    const packs = join(out, 'evidence', 'packs');
    const second = readdirSync(packs, { recursive: true, encoding: 'utf8' })
      .filter((p) => p.endsWith('exceptions.jsonl'))
      .sort()
      .at(-1);
    expect(readFileSync(join(packs, second!), 'utf8')).toContain(sod.id);
    // Three CLI runs: slow on a shared machine.
  }, 300_000);

  it('while a seal holds the store, `findings` still reads and `exception add` fails saying so, changing nothing', () => {
    // Arrange: the first test's folder; a seal's write transaction stands in for a large scan's
    const { DatabaseSync } = loadNodeSqlite();
    const sealing = new DatabaseSync(findingsDbFile(join(out, 'state')));
    const open = findingsOf('--status', 'open');
    const target = open.find((f) => f.rule === 'SOD-CONFLICT');
    sealing.exec('BEGIN IMMEDIATE');
    try {
      // Act
      const listed = accessproof(['findings', '--out', out, '--status', 'open', '--format', 'jsonl']);
      const refused = accessproof(acceptance(target!.id));
      // Assert
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout.trim().split('\n')).toHaveLength(open.length);
      expect(refused.code, refused.stderr).toBe(1);
      expect(refused.stderr).toMatch(/state store is busy: .*scan sealing.*nothing was changed/);
    } finally {
      sealing.exec('ROLLBACK');
      sealing.close();
    }
    expect(findingsOf().find((f) => f.id === target!.id)?.status).toBe('open');
  }, 120_000);
});
