import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo, type KeptState, keepState } from './cli-helpers';

/** Each case breaks one input of a private demo copy; the run must exit 2, name the place, seal nothing. */
const cases: Array<{ name: string; breakIt: (demo: string) => void; expect: RegExp }> = [
  {
    name: 'unknown system',
    breakIt: (d) => edit(join(d, 'accessproof.yaml'), (t) => t.replace('system: erp', 'system: oracle')),
    expect: /accessproof\.yaml:\d+ \(sources\[1\]\.system\)/, // sources[0] is the HR export
  },
  {
    name: 'missing file',
    breakIt: (d) => rmSync(join(d, 'erp', 'roles.csv')),
    expect: /roles\.csv: .*(not found|ENOENT)/,
  },
  {
    name: 'malformed CSV row',
    breakIt: (d) => edit(join(d, 'erp', 'assignments.csv'), (t) => t.replace(/\n(U\d+),/, '\n"$1,')),
    expect: /assignments\.csv:\d+/,
  },
  {
    name: 'truncated JSON',
    breakIt: (d) =>
      edit(join(d, 'aws', 'authorization-details.json'), (t) => t.slice(0, Math.floor(t.length / 2))),
    expect: /authorization-details\.json/,
  },
  {
    name: 'unknown function in a risk',
    breakIt: (d) =>
      edit(join(d, '..', '..', 'rules', 'sox-core.yaml'), (t) =>
        t.replace('functions: [AP-VENDOR-MAINT, AP-PAYMENT]', 'functions: [AP-VENDOR-MAINT, AP-PAYMNT]'),
      ),
    expect: /sox-core\.yaml:\d+: .*AP-PAYMNT/,
  },
  {
    name: 'a non-number where a number belongs',
    breakIt: (d) =>
      edit(join(d, 'accessproof.yaml'), (t) => t.replace('dormantDays: 90', 'dormantDays: ninety')),
    expect: /accessproof\.yaml:\d+ \(policy\.dormantDays\)/,
  },
  {
    // Found by the connector when it opens the source, not by the schema: still file:line (field).
    name: 'an Entra source to collect live without its app (client) id',
    breakIt: (d) => edit(join(d, 'accessproof.yaml'), (t) => t.replace('    files: { dir: entra/ }\n', '')),
    expect: /accessproof\.yaml:\d+ \(sources\[3\]\.clientId\): the app \(client\) id is missing/,
  },
  {
    // Issue 11: the last record cut mid-record, without its line break, was taken as complete.
    name: 'an assignments.csv cut off mid-record',
    breakIt: (d) =>
      edit(join(d, 'erp', 'assignments.csv'), (t) => `${t.trimEnd()}\nSVC_PAYROLL_IFACE,R-HR-MASTER,`),
    expect: /assignments\.csv:\d+: the file ends inside this record .*cut off/,
  },
  {
    name: 'a duplicate user in an AWS authorization export',
    breakIt: (d) => duplicateFirst(join(d, 'aws', 'authorization-details.json'), 'UserDetailList'),
    expect:
      /authorization-details\.json \(Arn\): Arn "arn:aws:iam::[^"]+" occurs twice \(UserDetailList\[0\] and UserDetailList\[\d+\]\)/,
  },
  {
    name: 'a duplicate user in an Entra export',
    breakIt: (d) => duplicateFirst(join(d, 'entra', 'users.json'), 'value'),
    expect: /users\.json \(id\): id "[^"]+" occurs twice \(item 1 and item \d+\)/,
  },
  {
    name: 'a duplicate user in a Salesforce export',
    breakIt: (d) => duplicateFirst(join(d, 'salesforce', 'users.json'), 'records'),
    expect: /users\.json \(Id\): Id "[^"]+" occurs twice \(records\[0\] and records\[\d+\]\)/,
  },
];

/** Append a copy of the first item of `list` in a JSON export. */
function duplicateFirst(file: string, list: string) {
  edit(file, (t) => {
    const json = JSON.parse(t) as Record<string, unknown[]>;
    const items = json[list]!;
    items.push(items[0]);
    return JSON.stringify(json, null, 2);
  });
}

function edit(file: string, change: (text: string) => string) {
  const before = readFileSync(file, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`test setup: ${file} did not change`);
  writeFileSync(file, after);
}

describe('bad input: exit 2, one message naming the file and line or field, nothing sealed', () => {
  // Arrange (every case): a good first run, so there is state and a pack that must stay untouched.
  // Scanned once; each case starts from exactly that state, put back at the same path.
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  let scanned: KeptState | undefined;
  beforeAll(() => {
    expect(
      accessproof(['scan', '--config', config, '--as-of', '2026-10-01T00:00:00Z', '--out', out]).code,
    ).toBe(0);
    scanned = keepState(dir);
  }, 300_000);
  afterAll(() => {
    scanned?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of cases) {
    it(c.name, () => {
      // Arrange: the state of the good first run
      scanned!.restore();
      const stateBefore = readFileSync(join(out, 'state', 'findings.db'));
      const packsBefore = listTree(join(out, 'evidence'));
      c.breakIt(join(dir, 'examples', 'demo'));

      // Act
      const r = accessproof(['scan', '--config', config, '--as-of', '2026-10-02T00:00:00Z', '--out', out]);

      // Assert
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(listTree(join(out, 'evidence'))).toEqual(packsBefore);
      expect(readFileSync(join(out, 'state', 'findings.db')).equals(stateBefore)).toBe(true);
    }, 300_000);
  }

  it('rejects an --as-of that is not a time', () => {
    const r = accessproof(['scan', '--demo', '--as-of', 'yesterday', '--out', join(copyDemo().dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--as-of/);
  });
});

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}
