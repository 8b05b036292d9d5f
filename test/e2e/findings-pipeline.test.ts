/**
 * The CLI in a pipeline: machine formats (one JSON array, lines, CSV, OCSF) on stdout or into a
 * file, filters, `rules list`, `--fail-on`, `--quiet`, and `verify` on the folder a scan wrote.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_IDS, SEVERITIES } from '../../core/findings/model';
import { loadOcsfSchema } from '../support/ocsf-schema';
import { accessproof, CLI_SHELL, ROOT, tempDir } from './cli-helpers';
import { HOSTILE, hostileDemo } from './hostile-demo';

interface Line {
  id: string;
  title: string;
  rule: string;
  severity: string;
  status: string;
  sources: string[];
  display?: string;
  dueAt?: string;
  overdue?: boolean;
  subject: { identity: string; principals: string[] };
}

const schema = loadOcsfSchema(join(ROOT, 'test/fixtures/ocsf-schema'), 'detection_finding');

describe('accessproof findings in a pipeline (demo tenant)', () => {
  const out = tempDir();
  let all: Line[] = [];
  beforeAll(() => {
    const scan = accessproof(['scan', '--demo', '--out', out, '--quiet'], ROOT, { CI: '' });
    expect(scan.code, scan.stderr).toBe(0);
    // --quiet, and stderr is not a terminal: nothing at all, and no progress escape codes.
    expect(scan.stdout).toBe('');
    expect(scan.stderr).toBe('');
    all = JSON.parse(accessproof(['findings', '--out', out, '--format', 'json']).stdout) as Line[];
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('--format json is one JSON array, also into --output FILE; jsonl is one finding per line', () => {
    const file = join(out, 'f.json');
    const r = accessproof(['findings', '--out', out, '--format', 'json', '--output', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const fromFile = JSON.parse(readFileSync(file, 'utf8')) as Line[];
    expect(Array.isArray(fromFile)).toBe(true);
    expect(fromFile.map((f) => f.id)).toEqual(all.map((f) => f.id));
    expect(all.length).toBeGreaterThan(100);
    // Nothing half-written is left beside it.
    expect(readdirSync(out).filter((n) => n.includes('.partial'))).toEqual([]);

    const lines = accessproof(['findings', '--out', out, '--format', 'jsonl']).stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Line).id)).toEqual(all.map((f) => f.id));
  });

  it('every finding carries dueAt, overdue and the display name; the table shows due and source', () => {
    expect(all.every((f) => typeof f.dueAt === 'string' && typeof f.display === 'string')).toBe(true);
    // One name per identity everywhere, whichever of its principals a finding is about.
    const names = new Map<string, Set<string>>();
    for (const f of all)
      names.set(f.subject.identity, (names.get(f.subject.identity) ?? new Set()).add(f.display!));
    expect([...names].filter(([, n]) => n.size > 1)).toEqual([]);
    // The ERP's "Ellis, Ines" is shown as the directory names her.
    const ines = all.filter((f) => f.display === 'Ines Ellis');
    expect(ines.length).toBeGreaterThan(1);
    expect(all.filter((f) => f.display === 'Ellis, Ines')).toEqual([]);
    // Titles name a person by the same display name ("Dormant user Lena Murphy", not "Murphy, Lena").
    const people = all.filter((f) => f.subject.identity.startsWith('person:'));
    expect(people.length).toBeGreaterThan(50);
    expect(people.filter((f) => !f.title.includes(f.display!)).map((f) => f.title)).toEqual([]);
    const table = accessproof(['findings', '--out', out, '--rule', 'SOD-CONFLICT', '--system', 'erp']);
    expect(table.stdout.split('\n')[0]).toMatch(/ID\s+SEVERITY\s+RULE\s+STATUS\s+DUE\s+SOURCE\s+TITLE/);
    expect(table.stdout).toMatch(/2026-10-08\s+netsuite/);
    expect(table.stdout).not.toContain('\x1b['); // no colour when stdout is not a terminal
  });

  it('writes OCSF Detection Findings that validate against the schema, as an array or as lines', () => {
    const file = join(out, 'f.ocsf.json');
    expect(accessproof(['findings', '--out', out, '--format', 'ocsf', '--output', file]).code).toBe(0);
    const events = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>[];
    expect(events).toHaveLength(all.length);
    const problems = events.flatMap((e, i) => schema.validate(e).map((p) => `event ${i}: ${p}`));
    expect(problems).toEqual([]);
    const lines = accessproof(['findings', '--out', out, '--format', 'ocsf-jsonl', '--severity', 'critical'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { severity_id: number; class_uid: number });
    expect(lines.length).toBe(all.filter((f) => f.severity === 'critical').length);
    expect(lines.every((e) => e.severity_id === 5 && e.class_uid === 2004)).toBe(true);
    // The pack carries the same events.
    const packs = join(out, 'evidence', 'packs');
    const packFile = findFile(packs, 'findings.ocsf.json');
    const packed = JSON.parse(readFileSync(packFile, 'utf8')) as Record<string, unknown>[];
    expect(packed).toHaveLength(all.length);
    expect(packed.flatMap((e) => schema.validate(e))).toEqual([]);
  });

  it("the pack's policy.json says how dueAt, overdue and display are derived, and the SLA they use", () => {
    const packs = join(out, 'evidence', 'packs');
    const policy = JSON.parse(readFileSync(findFile(packs, 'policy.json'), 'utf8')) as {
      thresholds: { slaDays: Record<string, number> };
      findingFields: Record<string, string>;
    };
    expect(Object.keys(policy.findingFields).sort()).toEqual(['display', 'dueAt', 'overdue']);
    expect(policy.findingFields.dueAt).toContain('thresholds.slaDays');
    // Every finding of the demo's first run is due its severity's SLA after the demo's as-of.
    const asOf = Date.parse('2026-10-01T00:00:00Z');
    const days = (f: Line) => (Date.parse(f.dueAt!) - asOf) / 86_400_000;
    expect(all.filter((f) => days(f) !== policy.thresholds.slaDays[f.severity])).toEqual([]);
  });

  it('filters by severity (at or above), rule, source, system, status and identity', () => {
    const ids = (args: string[]) =>
      (JSON.parse(accessproof(['findings', '--out', out, '--format', 'json', ...args]).stdout) as Line[]).map(
        (f) => f.id,
      );
    const high = ids(['--severity', 'high']);
    expect(high.sort()).toEqual(
      all
        .filter((f) => f.severity === 'critical' || f.severity === 'high')
        .map((f) => f.id)
        .sort(),
    );
    expect(high.length).toBeGreaterThan(0);
    expect(ids(['--rule', 'nhi-dormant,USER-DORMANT']).sort()).toEqual(
      all
        .filter((f) => f.rule === 'NHI-DORMANT' || f.rule === 'USER-DORMANT')
        .map((f) => f.id)
        .sort(),
    );
    expect(ids(['--source', 'salesforce']).sort()).toEqual(
      all
        .filter((f) => f.sources.includes('salesforce'))
        .map((f) => f.id)
        .sort(),
    );
    expect(ids(['--system', 'aws', '--rule', 'SOD-CONFLICT']).sort()).toEqual(
      all
        .filter((f) => f.rule === 'SOD-CONFLICT' && f.subject.principals.some((p) => p.startsWith('aws:')))
        .map((f) => f.id)
        .sort(),
    );
    expect(ids(['--status', 'resolved'])).toEqual([]);
    expect(ids(['--identity', 'INES.ELLIS']).sort()).toEqual(
      all
        .filter((f) => f.subject.identity.includes('ines.ellis'))
        .map((f) => f.id)
        .sort(),
    );
    expect(ids(['--overdue'])).toEqual([]); // the first run: nothing is past due yet
    const bad = accessproof(['findings', '--out', out, '--severity', 'urgent']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--severity.*urgent/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  }, 300_000);

  it('a closed pipe (| head) ends quietly with exit 0, for JSON and for the table', () => {
    // Well over a pipe's 64 KB buffer, so the writer does meet the closed pipe.
    for (const format of ['jsonl', 'table']) {
      // bash reports the CLI's exit status from PIPESTATUS (the pipeline's own status is head's).
      const script = `${CLI_SHELL} findings --out "$OUT" --format "$FORMAT" | head -n 1 >/dev/null; echo "exit $\{PIPESTATUS[0]}" >&2`;
      const r = spawnSync('bash', ['-c', script], {
        cwd: ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          OUT: out,
          FORMAT: format,
          CI: 'true',
        },
      });
      expect(r.stderr, format).toBe('exit 0\n');
    }
  });

  it('rules list shows every rule with severity, thresholds in force and description, as a table or JSON', () => {
    const r = accessproof(['rules', 'list', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const rules = JSON.parse(r.stdout) as { id: string; thresholds: string[]; description: string }[];
    expect(rules.map((x) => x.id)).toEqual([...RULE_IDS]);
    expect(rules.find((x) => x.id === 'NHI-DORMANT')?.thresholds).toEqual(['dormantDays=90']);
    expect(rules.every((x) => x.description.length > 10)).toBe(true);
    const table = accessproof(['rules', 'list']);
    expect(table.stdout).toMatch(/NHI-CRED-STALE\s+Credentials are rotated/);
    expect(table.stdout).toMatch(/thresholds: credentialMaxAgeDays=90/);
  });

  it('verify on the folder a scan wrote says it holds an evidence folder and verifies it', () => {
    const r = accessproof(['verify', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      `${out} holds an evidence folder: verifying ${join(out, 'evidence')}`,
    );
  });

  it('--fail-on names what tripped it; --fail-on none never fails; later, open findings fall overdue', () => {
    const tripped = accessproof(['scan', '--demo', '--out', out, '--quiet', '--fail-on', 'critical']);
    expect(tripped.code).toBe(1);
    const critical = all
      .filter((f) => f.severity === 'critical')
      .map((f) => f.id)
      .sort();
    expect(tripped.stderr).toContain(
      `--fail-on critical: ${critical.length} open finding(s) at or above critical (critical ${critical.length})`,
    );
    for (const id of critical.slice(0, 10)) expect(tripped.stderr).toContain(id);
    expect(tripped.stderr).not.toContain(critical[10]!);
    expect(tripped.stderr).toContain(`and ${critical.length - 10} more`);

    const late = accessproof([
      'scan',
      '--demo',
      '--out',
      out,
      '--quiet',
      '--fail-on',
      'none',
      '--as-of',
      '2026-11-15T00:00:00Z',
    ]);
    expect(late.code, late.stderr).toBe(0);
    const after = JSON.parse(accessproof(['findings', '--out', out, '--format', 'json']).stdout) as Line[];
    const overdue = after
      .filter((f) => f.overdue)
      .map((f) => f.id)
      .sort();
    // Critical (7 days) and high (30 days) findings opened on 1 October fell due before 15 November.
    const asOf = Date.parse('2026-11-15T00:00:00Z');
    expect(overdue).toEqual(
      after
        .filter((f) => f.status === 'open' && Date.parse(f.dueAt!) < asOf)
        .map((f) => f.id)
        .sort(),
    );
    expect(overdue.length).toBeGreaterThan(90);
    expect(after.filter((f) => f.overdue && SEVERITIES.indexOf(f.severity as never) > 1)).toEqual([]);
    const filtered = JSON.parse(
      accessproof(['findings', '--out', out, '--format', 'json', '--overdue']).stdout,
    ) as Line[];
    expect(filtered.map((f) => f.id).sort()).toEqual(overdue);
  }, 300_000);
});

describe('CSV output neutralises cells a spreadsheet would execute (hostile names from the input)', () => {
  const demo = hostileDemo();
  const out = join(demo.dir, 'out');
  afterAll(() => rmSync(demo.dir, { recursive: true, force: true }));

  it('prefixes =, +, -, @, tab and CR cells with a quote and quotes every cell', () => {
    const scan = accessproof([
      'scan',
      '--config',
      demo.config,
      '--as-of',
      '2026-10-01T00:00:00Z',
      '--out',
      out,
      '-q',
    ]);
    expect(scan.code, scan.stderr).toBe(0);
    const file = join(out, 'f.csv');
    expect(accessproof(['findings', '--out', out, '--format', 'csv', '--output', file]).code).toBe(0);
    const csv = readFileSync(file, 'utf8');
    const cells = parseCsv(csv);
    const flat = cells.flat();
    // The hostile names reach the CSV (display column), each only as inert text.
    for (const name of [HOSTILE.formula, HOSTILE.at, HOSTILE.minus]) {
      expect(flat).toContain(`'${name}`);
      expect(flat).not.toContain(name);
    }
    for (const cell of flat) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // Every cell is quoted: a quote inside a name cannot end its cell.
    for (const line of csv.trim().split('\n').slice(1)) expect(line.startsWith('"')).toBe(true);
  }, 300_000);
});

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(p, name);
      if (found) return found;
    } else if (entry.name === name) return p;
  }
  return '';
}

/** RFC 4180, enough for the test: quoted cells with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  expect(existsSync).toBeDefined();
  return rows;
}
