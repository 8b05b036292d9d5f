/**
 * Issue 10's defects, where a user meets them: the CLI on a private copy of the demo tenant.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo } from './cli-helpers';

interface FindingLine {
  id: string;
  rule: string;
  status: string;
  severity: string;
  dueAt?: string;
  sources: string[];
  subject: { identity: string; principals: string[]; anchors?: string[] };
  detail: Record<string, unknown>;
  exception?: { approver: string };
  resolution?: { runId: string; reason?: string };
  history: { event: string; note?: string; reason?: string }[];
}

function findings(out: string): FindingLine[] {
  const r = accessproof(['findings', '--out', out, '--format', 'jsonl']);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FindingLine);
}

/** Every pack folder under `out`, oldest first. */
function packDirs(out: string): string[] {
  const root = join(out, 'evidence', 'packs');
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => p.endsWith('manifest.json'))
    .map((p) => join(root, p.replace(/manifest\.json$/, '')))
    .sort();
}

const BEN = 'ben.lindqvist@halvorsen-industrial.example';
const BEN_ENTRA_ID = '610c3f13-8caa-41fe-bab7-34164415d799';

describe('defect 1: a conflict that still holds keeps its finding when a correlated principal goes', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the id, the exception and the SLA, records the change, and writes no remediation row', () => {
    // Arrange: a first run, and an exception on Ben Lindqvist's R2R-01 conflict.
    expect(
      accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]).code,
    ).toBe(0);
    const ben = findings(out).find(
      (f) =>
        f.rule === 'SOD-CONFLICT' &&
        f.detail.riskId === 'R2R-01' &&
        f.subject.anchors?.includes(`email:${BEN}`),
    )!;
    expect(ben.subject.identity).toBe('person:employee:HI-10134');
    const added = accessproof([
      'exception',
      'add',
      ben.id,
      '--config',
      config,
      '--out',
      out,
      '--as-of',
      '2026-10-01T00:00:00Z',
      '--approver',
      'cfo@halvorsen-industrial.example',
      '--rationale',
      'Two-person close team until the January hire; the controller reviews every journal.',
      '--compensating-control',
      'Controller reviews the journal register weekly',
      '--expires',
      '2026-12-31',
    ]);
    expect(added.code, added.stderr).toBe(0);
    // His Entra user (which carries none of his R2R-01 functions: they are all in NetSuite) is deleted.
    const usersFile = join(dir, 'examples', 'demo', 'entra', 'users.json');
    const users = JSON.parse(readFileSync(usersFile, 'utf8'));
    users.value = users.value.filter((u: { id: string }) => u.id !== BEN_ENTRA_ID);
    writeFileSync(usersFile, JSON.stringify(users));

    // Act: a week later.
    const second = accessproof(['scan', '--config', config, '--as-of', '2026-10-08T00:00:00Z', '--out', out]);

    // Assert: the HR export still names his employee id, so his identity key does not move.
    expect(second.code, second.stderr).toBe(0);
    const benNow = (list: FindingLine[]) =>
      list.filter(
        (f) =>
          f.rule === 'SOD-CONFLICT' &&
          f.detail.riskId === 'R2R-01' &&
          f.subject.anchors?.includes(`email:${BEN}`),
      );
    const same = benNow(findings(out));
    expect(same.map((f) => f.id)).toEqual([ben.id]);
    expect(same[0]).toMatchObject({
      status: 'risk-accepted',
      dueAt: ben.dueAt,
      exception: { approver: 'cfo@halvorsen-industrial.example' },
    });
    expect(same[0]!.subject.identity).toBe('person:employee:HI-10134');
    expect(readFileSync(join(packDirs(out).at(-1)!, 'remediation.jsonl'), 'utf8')).not.toContain(ben.id);

    // Act: his HR record goes too, so no principal carries his employee id any more: the key becomes
    // his email (the defect: the key moved, a new finding opened and the old one "remediated").
    const hrFile = join(dir, 'examples', 'demo', 'hr', 'people.csv');
    writeFileSync(
      hrFile,
      readFileSync(hrFile, 'utf8')
        .split('\n')
        .filter((l) => !l.startsWith('HI-10134,'))
        .join('\n'),
    );
    const third = accessproof(['scan', '--config', config, '--as-of', '2026-10-15T00:00:00Z', '--out', out]);

    // Assert: same finding, same exception and SLA, the change in its history, no remediation row.
    expect(third.code, third.stderr).toBe(0);
    const later = benNow(findings(out));
    expect(later.map((f) => f.id)).toEqual([ben.id]);
    expect(later[0]).toMatchObject({
      status: 'risk-accepted',
      dueAt: ben.dueAt,
      exception: { approver: 'cfo@halvorsen-industrial.example' },
    });
    expect(later[0]!.subject.identity).toBe(`person:${BEN}`);
    expect(later[0]!.history.at(-1)).toMatchObject({ event: 'subject-changed' });
    expect(later[0]!.history.at(-1)!.note).toContain('person:employee:HI-10134 → person:ben.lindqvist');
    for (const pack of packDirs(out)) {
      expect(readFileSync(join(pack, 'remediation.jsonl'), 'utf8')).not.toContain(ben.id);
    }
    expect(accessproof(['verify', join(out, 'evidence')]).code).toBe(0);
  }, 300_000);
});

describe('defect 5: a credential report of another account is refused', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming both accounts, and seals nothing', () => {
    const report = join(dir, 'examples', 'demo', 'aws', 'credential-report.csv');
    writeFileSync(report, readFileSync(report, 'utf8').replaceAll(':210987654321:', ':123456789012:'));
    const r = accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/123456789012/);
    expect(r.stderr).toMatch(/210987654321/);
    expect(r.stderr).toMatch(/credential report/);
  }, 300_000);
});

describe('defect 8: no local path in sealed files; policy.json recomputes configSha256', () => {
  const a = copyDemo();
  const b = copyDemo();
  afterAll(() => {
    rmSync(a.dir, { recursive: true, force: true });
    rmSync(b.dir, { recursive: true, force: true });
  });

  it('seals the same bytes from two folders, except times and run ids', () => {
    const scan = (d: { dir: string; config: string }) =>
      accessproof([
        'scan',
        '--config',
        d.config,
        '--as-of',
        '2026-10-01T00:00:00Z',
        '--out',
        join(d.dir, 'out'),
      ]);
    expect(scan(a).code).toBe(0);
    expect(scan(b).code).toBe(0);
    const [pa] = packDirs(join(a.dir, 'out'));
    const [pb] = packDirs(join(b.dir, 'out'));
    const runA = JSON.parse(readFileSync(join(pa!, 'manifest.json'), 'utf8'));
    const runB = JSON.parse(readFileSync(join(pb!, 'manifest.json'), 'utf8'));
    const policy = readFileSync(join(pa!, 'policy.json'));
    // configSha256 is the hash of policy.json, recomputable from the pack alone.

    expect(createHash('sha256').update(policy).digest('hex')).toBe(runA.configSha256);
    const normalize = (text: string, run: { runId: string; startedAt: string; finishedAt: string }) =>
      text.replaceAll(run.runId, 'RUN').replaceAll(run.startedAt, 'T').replaceAll(run.finishedAt, 'T');
    for (const file of ['findings.jsonl', 'exceptions.jsonl', 'remediation.jsonl', 'policy.json']) {
      const ta = normalize(readFileSync(join(pa!, file), 'utf8'), runA);
      const tb = normalize(readFileSync(join(pb!, file), 'utf8'), runB);
      expect(ta, file).not.toContain(a.dir);
      expect(ta, file).not.toContain('/work/');
      expect(ta, file).toBe(tb);
    }
  }, 300_000);
});
