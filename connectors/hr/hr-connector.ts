/**
 * HR connector (files mode): the people export of the system of record (Workday, BambooHR,
 * SuccessFactors custom reports) and an optional manual links file. See docs/connectors/hr.md.
 *
 * The people file is read with the ERP extract's CSV rules (BOM, CRLF, quoted fields, dates with
 * or without a time). HR exports are small next to grant exports (one row per worker), so each file
 * is one step. Every bad row stops the collection with an InputError naming the file, the line and
 * the column: a leaver test built on a half-read HR file would be worse than none.
 */
import { basename } from 'node:path';
import type { HrSource } from '../../core/config';
import type { CollectContext, Connector, Page } from '../../core/connector';
import { normalizeEmail } from '../../core/correlate';
import { InputError } from '../../core/errors';
import { makeUid, PERSON_STATUSES, type Person, type PersonLink, type PersonStatus } from '../../core/model';
import { CsvFileReader } from '../shared/csv';
import { parseIsoInstant } from '../shared/iso-date';

export const HR_CONNECTOR_NAME = 'hr';
export const HR_CONNECTOR_VERSION = '1.0.0';

export interface HrState {
  v: 1;
  phase: 'people' | 'links';
}

type HrColumn = keyof HrSource['columns'];

/** `termination_date` is required although its cells may be empty: "no date" and "not exported" must differ. */
const REQUIRED: readonly HrColumn[] = ['employee_id', 'email', 'status', 'termination_date'];
const OPTIONAL: readonly HrColumn[] = [
  'display_name',
  'hire_date',
  'manager_email',
  'department',
  'title',
  'other_emails',
];

function locate(csv: CsvFileReader, mapping: HrSource['columns']): Record<HrColumn, number> {
  const out = {} as Record<HrColumn, number>;
  const find = (ours: HrColumn): number => {
    const theirs = mapping[ours];
    if (theirs !== undefined) {
      const i = csv.column(theirs);
      if (i !== -1) return i;
    }
    return csv.column(ours);
  };
  for (const ours of REQUIRED) {
    const i = find(ours);
    if (i === -1) {
      const mapped = mapping[ours] !== undefined ? ` (mapped to "${mapping[ours]}")` : '';
      throw new InputError(
        `missing required column ${ours}${mapped}; the header has: ${csv.header.join(', ')}`,
        { file: csv.file, line: csv.headerLine, field: ours },
      );
    }
    out[ours] = i;
  }
  for (const ours of OPTIONAL) out[ours] = find(ours);
  return out;
}

/** Export status text (lowercased) → our status. Configured values replace the default for that status. */
export function statusTable(values: HrSource['statusValues']): Map<string, PersonStatus> {
  const table = new Map<string, PersonStatus>();
  for (const status of PERSON_STATUSES) {
    for (const v of values[status] ?? [status]) {
      const key = v.trim().toLowerCase();
      const other = table.get(key);
      if (other !== undefined && other !== status) {
        throw new InputError(`status value "${v}" is listed for both ${other} and ${status}`, {
          field: `statusValues.${status}`,
        });
      }
      table.set(key, status);
    }
  }
  return table;
}

const cell = (r: readonly string[], i: number): string => (i === -1 ? '' : (r[i] ?? '').trim());

async function readPeople(ctx: CollectContext<HrSource>): Promise<Page> {
  const { source } = ctx;
  const file = source.files.people;
  const name = basename(file);
  const statuses = statusTable(source.statusValues);
  const csv = await CsvFileReader.open(file, { encoding: source.encoding });
  const people: Person[] = [];
  try {
    const c = locate(csv, source.columns);
    const header = (col: HrColumn) => csv.header[c[col]] ?? col;
    const seen = new Map<string, number>();
    const date = (raw: string, line: number, col: HrColumn): string | undefined => {
      if (!raw) return undefined;
      const at = parseIsoInstant(raw);
      if (at === undefined) {
        throw new InputError(
          `not an ISO 8601 date or time with Z or an offset: "${raw}" (a bare date means midnight UTC)`,
          { file, line, field: header(col) },
        );
      }
      return at;
    };
    for (let b = await csv.read(5_000); b.records.length > 0; b = await csv.read(5_000)) {
      for (let i = 0; i < b.records.length; i++) {
        const r = b.records[i]!;
        const line = b.lines[i]!;
        const employeeId = cell(r, c.employee_id);
        if (!employeeId)
          throw new InputError('empty employee_id', { file, line, field: header('employee_id') });
        const first = seen.get(employeeId);
        if (first !== undefined) {
          throw new InputError(`employee_id "${employeeId}" already defined on line ${first}`, {
            file,
            line,
            field: header('employee_id'),
          });
        }
        seen.set(employeeId, line);
        const statusText = cell(r, c.status);
        const status = statuses.get(statusText.toLowerCase());
        if (status === undefined) {
          throw new InputError(
            `unknown status "${statusText}": expected one of ${[...statuses.keys()].join(', ')} (set statusValues to map the export's values)`,
            { file, line, field: header('status') },
          );
        }
        const email = cell(r, c.email);
        const person: Person = {
          uid: makeUid('hr', source.id, employeeId),
          sourceId: source.id,
          employeeId,
          name: cell(r, c.display_name) || email || employeeId,
          status,
          statusText,
          otherEmails: cell(r, c.other_emails)
            .split(';')
            .map((e) => e.trim())
            .filter((e) => e.length > 0),
          origin: `${name}:${line}`,
        };
        if (email) person.email = email;
        const hire = date(cell(r, c.hire_date), line, 'hire_date');
        if (hire) person.hireDate = hire;
        const term = date(cell(r, c.termination_date), line, 'termination_date');
        if (term) person.terminationDate = term;
        const manager = cell(r, c.manager_email);
        if (manager) person.managerEmail = manager;
        const department = cell(r, c.department);
        if (department) person.department = department;
        const title = cell(r, c.title);
        if (title) person.title = title;
        people.push(person);
      }
    }
    ctx.calls.record(`file:${name}`, { calls: 1, pages: 1, records: people.length });
  } finally {
    await csv.close();
  }
  return { people };
}

/** Who the people file names, by employee id and by email (primary and other), to check links against. */
async function peopleKeys(source: HrSource): Promise<{ ids: Set<string>; emails: Map<string, number> }> {
  const csv = await CsvFileReader.open(source.files.people, { encoding: source.encoding });
  const ids = new Set<string>();
  // email → how many people claim it (a link through an email two people claim names nobody).
  const emails = new Map<string, number>();
  try {
    const c = locate(csv, source.columns);
    for (let b = await csv.read(5_000); b.records.length > 0; b = await csv.read(5_000)) {
      for (const r of b.records) {
        ids.add(cell(r, c.employee_id));
        const own = new Set<string>();
        for (const e of [cell(r, c.email), ...cell(r, c.other_emails).split(';')]) {
          const n = normalizeEmail(e);
          if (n) own.add(n);
        }
        for (const e of own) emails.set(e, (emails.get(e) ?? 0) + 1);
      }
    }
  } finally {
    await csv.close();
  }
  return { ids, emails };
}

/**
 * A link that names no person of the people file is not applied (core/people.ts); the snapshot says
 * so with the link's line, so the operator sees the typo and the auditor sees the link was inert.
 * Links naming an account no source collected can only be known at scan (see the scan warnings).
 */
async function warnUnknownPeople(ctx: CollectContext<HrSource>, links: readonly PersonLink[]): Promise<void> {
  if (!links.some((l) => !l.none)) return;
  const { ids, emails } = await peopleKeys(ctx.source);
  const people = basename(ctx.source.files.people);
  for (const link of links) {
    if (link.none) continue;
    if (link.employeeId !== undefined) {
      if (!ids.has(link.employeeId.trim()))
        ctx.warn(
          `${link.origin}: employee id ${link.employeeId} is not in ${people}: the link is not applied`,
        );
      continue;
    }
    const n = normalizeEmail(link.email) ?? '';
    const count = emails.get(n) ?? 0;
    if (count === 0) ctx.warn(`${link.origin}: email ${n} is not in ${people}: the link is not applied`);
    else if (count > 1)
      ctx.warn(`${link.origin}: email ${n} names ${count} people in ${people}: the link is not applied`);
  }
}

async function readLinks(ctx: CollectContext<HrSource>): Promise<Page> {
  const file = ctx.source.files.links;
  if (!file) return {};
  const name = basename(file);
  const csv = await CsvFileReader.open(file, { encoding: ctx.source.encoding });
  const links: PersonLink[] = [];
  try {
    const principalCol = csv.column('principal_uid');
    const idCol = csv.column('employee_id');
    const emailCol = csv.column('email');
    if (principalCol === -1 || (idCol === -1 && emailCol === -1)) {
      throw new InputError(
        `a links file has the columns principal_uid and employee_id or email; the header has: ${csv.header.join(', ')}`,
        { file, line: csv.headerLine },
      );
    }
    const seen = new Map<string, number>();
    for (let b = await csv.read(5_000); b.records.length > 0; b = await csv.read(5_000)) {
      for (let i = 0; i < b.records.length; i++) {
        const r = b.records[i]!;
        const line = b.lines[i]!;
        const principal = cell(r, principalCol);
        if (!principal) throw new InputError('empty principal_uid', { file, line, field: 'principal_uid' });
        const first = seen.get(principal);
        if (first !== undefined) {
          throw new InputError(`principal_uid "${principal}" already linked on line ${first}`, {
            file,
            line,
            field: 'principal_uid',
          });
        }
        seen.set(principal, line);
        const id = cell(r, idCol);
        const email = cell(r, emailCol);
        if ((id && email) || (!id && !email)) {
          throw new InputError('give exactly one of employee_id or email (or "none" to keep it apart)', {
            file,
            line,
          });
        }
        const link: PersonLink = { principal, origin: `${name}:${line}` };
        const value = id || email;
        if (value.toLowerCase() === 'none') link.none = true;
        else if (id) link.employeeId = id;
        else link.email = email;
        links.push(link);
      }
    }
    ctx.calls.record(`file:${name}`, { calls: 1, pages: 1, records: links.length });
  } finally {
    await csv.close();
  }
  await warnUnknownPeople(ctx, links);
  return { links };
}

/**
 * @example
 * await collectSource({ connector: hrConnector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export const hrConnector: Connector<HrSource, HrState> = {
  name: HR_CONNECTOR_NAME,
  version: HR_CONNECTOR_VERSION,
  system: 'hr',

  async begin(ctx) {
    // Fail fast on a bad status mapping, a missing file or column, before anything is emitted.
    statusTable(ctx.source.statusValues);
    const csv = await CsvFileReader.open(ctx.source.files.people, { encoding: ctx.source.encoding });
    try {
      locate(csv, ctx.source.columns);
    } finally {
      await csv.close();
    }
    return { state: { v: 1, phase: 'people' }, tenant: ctx.source.id, mode: 'files' };
  },

  async step(ctx, state) {
    if (state.phase === 'people') return { page: await readPeople(ctx), next: { v: 1, phase: 'links' } };
    return { page: await readLinks(ctx), next: null };
  },
};
