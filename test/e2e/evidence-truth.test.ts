/**
 * Issue 10's defects, where a user meets them: the CLI on a private copy of the demo tenant.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('defects 2, 6, 7 and 8 (two clocks), where the user meets them', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  const asOf = '2026-10-01T00:00:00Z';
  let first: FindingLine[] = [];
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const add = (id: string, approver: string, extra: string[] = []) =>
    accessproof([
      'exception',
      'add',
      id,
      '--config',
      config,
      '--out',
      out,
      '--as-of',
      asOf,
      '--approver',
      approver,
      '--rationale',
      'Two-person team until the January hire; reviewed weekly.',
      ...extra,
    ]);

  beforeAll(() => {
    // Ben is listed as an approver of critical findings: he still may not approve his own.
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(
        'critical: [cfo@halvorsen-industrial.example]',
        `critical: [cfo@halvorsen-industrial.example, ${BEN}]`,
      ),
    );
    const r = accessproof(['scan', '--config', config, '--as-of', asOf, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    first = findings(out);
  }, 300_000);

  it('defect 2: refuses the subject as approver, an approver not listed, and a critical acceptance without a compensating control', () => {
    const ben = first.find(
      (f) =>
        f.rule === 'SOD-CONFLICT' &&
        f.detail.riskId === 'R2R-01' &&
        f.subject.anchors?.includes(`email:${BEN}`),
    )!;
    const critical = first.find((f) => f.severity === 'critical' && f.status === 'open')!;
    const self = add(ben.id, BEN, ['--compensating-control', 'none', '--expires', '2026-12-31']);
    const nobody = add(ben.id, 'n/a', ['--compensating-control', 'none', '--expires', '2026-12-31']);
    const bare = add(critical.id, 'cfo@halvorsen-industrial.example', ['--expires', '2026-12-31']);
    expect(self.code).toBe(2);
    expect(self.stderr).toMatch(/is the subject of finding .*independent approver/);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toMatch(/approver n\/a is not listed/);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/critical: accepting it needs a compensating control/);
    expect(findings(out).find((f) => f.id === ben.id)?.status).toBe('open');
  }, 120_000);

  it("defect 8: an exception takes effect at the run's --as-of (not the wall clock) and records when it was entered", () => {
    const high = first.find(
      (f) =>
        f.severity === 'high' &&
        f.status === 'open' &&
        !f.subject.anchors?.some((a) => a.includes('controller@halvorsen-industrial.example')),
    )!;
    // Expires before today's wall clock, after the as-of: valid for the run it describes.
    const r = add(high.id, 'controller@halvorsen-industrial.example', ['--expires', '2026-10-20']);
    expect(r.code, r.stderr).toBe(0);
    const after = findings(out).find((f) => f.id === high.id) as FindingLine & {
      exception?: { grantedAt: string; enteredAt?: string };
    };
    expect(after.exception?.grantedAt).toBe('2026-10-01T00:00:00.000Z');
    expect(Date.parse(after.exception?.enteredAt ?? '')).toBeGreaterThan(Date.parse('2026-10-02T00:00:00Z'));
  }, 120_000);

  it('defect 6: a failed sign-in is not activity, nor is a last login in the future: the dormancy stays, unresolved', () => {
    const entraDormant = first.find(
      (f) => f.rule === 'USER-DORMANT' && f.subject.principals[0]!.startsWith('entra:'),
    )!;
    const erpDormant = first.find(
      (f) => f.rule === 'USER-DORMANT' && f.subject.principals[0]!.startsWith('erp:'),
    )!;
    expect(entraDormant).toBeDefined();
    expect(erpDormant).toBeDefined();
    // The Entra user has only a (failed) sign-in attempt yesterday; the ERP user "logs in" in 2030.
    const usersFile = join(dir, 'examples', 'demo', 'entra', 'users.json');
    const users = JSON.parse(readFileSync(usersFile, 'utf8'));
    const entraId = entraDormant.subject.principals[0]!.split(':').at(-1);
    const u = users.value.find((x: { id: string }) => x.id === entraId);
    u.signInActivity = { lastSignInDateTime: '2026-09-30T08:00:00Z' };
    writeFileSync(usersFile, JSON.stringify(users));
    const erpFile = join(dir, 'examples', 'demo', 'erp', 'users.csv');
    const erpId = erpDormant.subject.principals[0]!.split(':').at(-1)!;
    writeFileSync(
      erpFile,
      readFileSync(erpFile, 'utf8')
        .split('\n')
        .map((l) =>
          l.startsWith(`${erpId},`) ? l.replace(/,(\d{4}-\d{2}-\d{2}T[^,]*),/, ',2030-01-01T00:00:00Z,') : l,
        )
        .join('\n'),
    );
    const second = accessproof(['scan', '--config', config, '--as-of', '2026-10-02T00:00:00Z', '--out', out]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`${erpId}.*2030-01-01.*not counted; its activity is unknown`));
    const now = findings(out);
    for (const f of [entraDormant, erpDormant]) {
      expect(now.find((x) => x.id === f.id)?.status, f.subject.principals[0]).not.toBe('resolved');
    }
    const remediation = readFileSync(join(packDirs(out).at(-1)!, 'remediation.jsonl'), 'utf8');
    expect(remediation).not.toContain(entraDormant.id);
    expect(remediation).not.toContain(erpDormant.id);
  }, 300_000);

  it('defect 7: raising dormantDays records policy-changed naming the field, never remediated', () => {
    writeFileSync(config, readFileSync(config, 'utf8').replace('dormantDays: 90', 'dormantDays: 365'));
    const third = accessproof(['scan', '--config', config, '--as-of', '2026-10-03T00:00:00Z', '--out', out]);
    expect(third.code, third.stderr).toBe(0);
    const rows = readFileSync(join(packDirs(out).at(-1)!, 'remediation.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { findingId: string; rule?: string; reason?: string; policyChanges?: string[] },
      );
    const dormancy = rows.filter((r) => {
      const f = first.find((x) => x.id === r.findingId);
      return f?.rule === 'USER-DORMANT' || f?.rule === 'NHI-DORMANT';
    });
    expect(dormancy.length).toBeGreaterThan(0);
    for (const r of dormancy) {
      expect(r.reason, r.findingId).toBe('policy-changed');
      expect(r.policyChanges?.join(' ')).toMatch(/policy\.dormantDays: 90 → 365/);
    }
  }, 300_000);
});
