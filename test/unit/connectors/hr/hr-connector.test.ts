import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hrConnector } from '../../../../connectors/hr';
import { type HrSource, hrSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';
import type { Person, PersonLink } from '../../../../core/model';
import { collectAll } from '../shared/memory-staging';

const dir = mkdtempSync(join(tmpdir(), 'hr-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(dir, `f${++n}.csv`);
  writeFileSync(path, text);
  return path;
}
function source(people: string, extra: Record<string, unknown> = {}, links?: string): HrSource {
  return hrSourceSchema.parse({
    id: 'hris',
    system: 'hr',
    files: { people, ...(links ? { links } : {}) },
    ...extra,
  });
}
async function collect(s: HrSource) {
  const snap = await collectAll(hrConnector, s);
  const records = snap.text
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as { person?: Person; link?: PersonLink });
  return {
    header: snap.header,
    people: records.flatMap((r) => (r.person ? [r.person] : [])),
    links: records.flatMap((r) => (r.link ? [r.link] : [])),
  };
}
async function errorOf(s: HrSource): Promise<string> {
  try {
    await collect(s);
  } catch (err) {
    if (err instanceof InputError) return err.message;
    throw err;
  }
  throw new Error('expected an InputError');
}

const WORKDAY =
  '\uFEFFWorker ID,Email,Name,Worker Status,Hire Date,Termination Date,Manager,Dept,Job Title,other_emails\r\n' +
  'W-1,ann@example.com,"Roe, Ann",Active,2020-01-06,,boss@example.com,Finance,"Accountant, AP",\r\n' +
  'W-2,ben@example.com,Ben Bay,Inactive,2019-05-01,2026-09-30 17:00:00+02:00,,IT,Engineer,ben.b@example.com; old.ben@example.com\r\n' +
  '\r\n' +
  'W-3,,Cy Contract,On Leave,2024-02-01,,,,,\r\n';
const MAPPING = {
  columns: {
    employee_id: 'Worker ID',
    email: 'Email',
    display_name: 'Name',
    status: 'Worker Status',
    hire_date: 'Hire Date',
    termination_date: 'Termination Date',
    manager_email: 'Manager',
    department: 'Dept',
    title: 'Job Title',
  },
  statusValues: { active: ['Active'], leave: ['On Leave'], terminated: ['Terminated', 'inactive'] },
};

describe('hrConnector', () => {
  it('reads a Workday-style report (BOM, CRLF, quoted commas, mapped columns and statuses, dates with and without times)', async () => {
    const { header, people } = await collect(source(file(WORKDAY), MAPPING));
    expect(header).toMatchObject({
      system: 'hr',
      sourceId: 'hris',
      complete: true,
      counts: { people: 3, principals: 0 },
    });
    expect(people.map((p) => [p.uid, p.name, p.status, p.statusText, p.origin])).toEqual([
      ['hr:hris:W-1', 'Roe, Ann', 'active', 'Active', expect.stringMatching(/\.csv:2$/)],
      ['hr:hris:W-2', 'Ben Bay', 'terminated', 'Inactive', expect.stringMatching(/\.csv:3$/)],
      ['hr:hris:W-3', 'Cy Contract', 'leave', 'On Leave', expect.stringMatching(/\.csv:5$/)],
    ]);
    expect(people[1]).toMatchObject({
      terminationDate: '2026-09-30T15:00:00.000Z',
      hireDate: '2019-05-01T00:00:00.000Z',
      otherEmails: ['ben.b@example.com', 'old.ben@example.com'],
      department: 'IT',
    });
    expect(people[0]).toMatchObject({ title: 'Accountant, AP', managerEmail: 'boss@example.com' });
    expect(people[2]?.email).toBeUndefined();
  });

  it('reads a links file: employee id, email, or none', async () => {
    const people = file('employee_id,email,status,termination_date\nE1,a@example.com,active,\n');
    const links = file(
      'principal_uid,employee_id,email\naws:1:u/x,E1,\nerp:e:AP,,none\nsf:o:005,,A@example.com\n',
    );
    const out = await collect(source(people, {}, links));
    expect(out.links.map(({ origin, ...l }) => l)).toEqual([
      { principal: 'aws:1:u/x', employeeId: 'E1' },
      { principal: 'erp:e:AP', none: true },
      { principal: 'sf:o:005', email: 'A@example.com' },
    ]);
  });

  it('warns, naming the link line, when a link names no person or an email two people claim', async () => {
    const people = file(
      'employee_id,email,status,termination_date,other_emails\nE1,a@example.com,active,,\nE2,b@example.com,active,,A@example.com\n',
    );
    const links = file(
      'principal_uid,employee_id,email\naws:1:u/x,E1,\naws:1:u/y,E9,\nerp:e:AP,,none\nsf:o:005,,b@example.com\nsf:o:006,,gone@example.com\nsf:o:007,, a@EXAMPLE.com\n',
    );
    const out = await collect(source(people, {}, links));
    expect(out.links).toHaveLength(6); // every link is kept; the resolver applies the ones that name one person
    const name = links.split('/').at(-1);
    expect(out.header.warnings).toEqual([
      `${name}:3: employee id E9 is not in ${people.split('/').at(-1)}: the link is not applied`,
      `${name}:6: email gone@example.com is not in ${people.split('/').at(-1)}: the link is not applied`,
      `${name}:7: email a@example.com names 2 people in ${people.split('/').at(-1)}: the link is not applied`,
    ]);
  });

  it('names the file, line and column of bad input', async () => {
    const bad = (rows: string) => file(`employee_id,email,status,termination_date\n${rows}`);
    expect(await errorOf(source(bad('E1,a@x,retired,\n')))).toMatch(
      /\.csv:2 \(status\): unknown status "retired"/,
    );
    expect(await errorOf(source(bad('E1,a@x,active,\nE1,b@x,active,\n')))).toMatch(
      /\.csv:3 \(employee_id\): employee_id "E1" already defined on line 2/,
    );
    expect(await errorOf(source(bad('E1,a@x,terminated,30/09/2026\n')))).toMatch(
      /\.csv:2 \(termination_date\): not an ISO 8601 date/,
    );
    expect(await errorOf(source(file('employee_id,email,status\nE1,a@x,active\n')))).toMatch(
      /missing required column termination_date/,
    );
    expect(
      await errorOf(source(bad('E1,a@x,active,\n'), { statusValues: { active: ['x'], leave: ['X'] } })),
    ).toMatch(/"X" is listed for both active and leave/);
  });

  it('a latin-1 people file is refused naming file:line, and read right with `encoding: latin1`', async () => {
    // Arrange: a name that needs latin-1, written in latin-1
    const path = join(dir, 'latin1.csv');
    writeFileSync(
      path,
      Buffer.from(
        'employee_id,email,display_name,status,termination_date\nE-1,jm@example.com,"Müller, Jürgen",active,\n',
        'latin1',
      ),
    );

    // Act
    const refused = await errorOf(source(path));
    const { people } = await collect(source(path, { encoding: 'latin1' }));

    // Assert
    expect(refused).toMatch(/latin1\.csv:2: not valid UTF-8/);
    expect(people.map((p) => p.name)).toEqual(['Müller, Jürgen']);
  });
});
