/**
 * SAP connector, files mode: the standard user and role tables as SE16N/SE16H, RFC_READ_TABLE or
 * SAP GRC extract them (docs/connectors/sap.md), read as SAP defines them:
 *
 * - USR02 → principals (`BNAME`; `USTYP` A dialog = human, B/C/S/L non-human; `UFLAG` ≠ 0 locked;
 *   `GLTGV`–`GLTGB` validity; `TRDAT`/`LTIME` last logon), USR21 + ADR6 → email, USR06 → licence;
 * - AGR_1251 → each role's authorizations (object, authorization, field values), deleted rows dropped;
 * - AGR_AGRS → composite roles, expanded to their single roles (the grant's path names the composite);
 * - AGR_USERS → role assignments with their `FROM_DAT`–`TO_DAT` validity;
 * - UST04 → the `SAP_ALL` and `SAP_NEW` profiles assigned directly.
 *
 * A connector has no as-of date: validity windows are carried on principals and grants
 * (`validFrom`/`validUntil`) and the inventory evaluates them against the scan's as-of.
 *
 * The tables are read whole in `begin` (they are keyed by user and role, and every check needs
 * them together); steps then emit entitlements, principals and grants in pages. A collection
 * resumed in another process parses the same files again.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { SapSource } from '../../core/config';
import type { CollectContext, Connector, Page } from '../../core/connector';
import { InputError } from '../../core/errors';
import {
  type Entitlement,
  type Grant,
  makeUid,
  type Principal,
  type PrincipalKind,
  type SapAuthorization,
} from '../../core/model';
import { ACTIVITY_TAG } from '../../core/rules/context';
import { CsvFileReader } from '../shared/csv';
import type { InputEncoding } from '../shared/decode-text';
import { SessionCache } from '../shared/session-cache';
import { dayAfter, parseSapDate, parseSapTime, type SapDate, startOf } from './sap-dates';
import {
  findTableFiles,
  readTable,
  TABLES,
  type TableName,
  type TableRead,
  type TableRow,
} from './sap-tables';

export const SAP_CONNECTOR_NAME = 'sap';
export const SAP_CONNECTOR_VERSION = '1.0.0';
export const SAP_PAGE_ROWS = 5_000;

/** Tables an extract must have (an empty table is a file with only its header, or no lines). */
const REQUIRED_TABLES: readonly TableName[] = ['USR02', 'AGR_USERS', 'AGR_AGRS', 'AGR_1251'];

/** Profiles that hold every authorization (UST04): their holders are privileged and hold every SAP function. */
export const FULL_PROFILES = ['SAP_ALL', 'SAP_NEW'] as const;

const USER_TYPES: Record<string, { kind: PrincipalKind; type: string; label: string }> = {
  A: { kind: 'human', type: 'sap-dialog', label: 'dialog' },
  B: { kind: 'nonhuman', type: 'sap-system', label: 'system' },
  C: { kind: 'nonhuman', type: 'sap-communication', label: 'communication' },
  S: { kind: 'nonhuman', type: 'sap-service', label: 'service' },
  L: { kind: 'nonhuman', type: 'sap-reference', label: 'reference' },
};

const PHASES = ['entitlements', 'principals', 'grants'] as const;
type Phase = (typeof PHASES)[number];

export interface SapState {
  v: 1;
  session: string;
  phase: Phase;
  done: number;
}

interface Parsed {
  entitlements: Entitlement[];
  principals: Principal[];
  grants: Grant[];
}

const sessions = new SessionCache<Parsed>();

function fail(row: TableRow, field: string, message: string): never {
  throw new InputError(message, { file: row.file, line: row.line, field });
}

function date(row: TableRow, column: string): SapDate {
  const raw = row.get(column);
  const d = parseSapDate(raw);
  if (!d)
    fail(
      row,
      column,
      `not an SAP date: "${raw}" (expected YYYYMMDD, YYYY-MM-DD or DD.MM.YYYY; 00000000 = none)`,
    );
  return d;
}

/** A validity window from an inclusive first and last day; unlimited ends are left out. */
function window(from: SapDate, to: SapDate): { validFrom?: string; validUntil?: string } {
  return {
    ...(from.kind === 'date' ? { validFrom: startOf(from) } : {}),
    ...(to.kind === 'date' ? { validUntil: dayAfter(to) } : {}),
  };
}

interface Role {
  name: string;
  line: { file: string; line: number };
  auths: Map<string, SapAuthorization>;
  text?: string;
  textRank?: number;
  /** `$` variables left in field values: not evaluated. */
  variables: number;
}

/** Reads the extract and builds every record; `record` is false when replaying after a resume. */
async function parseExtract(ctx: CollectContext<SapSource>, record: boolean): Promise<Parsed> {
  const { source } = ctx;
  const dir = source.files.dir;
  const files = await findTableFiles(dir);
  for (const t of REQUIRED_TABLES) {
    if (!files.has(t)) {
      throw new InputError(
        `no ${t} extract: expected ${t}.txt, ${t}.csv or ${t}_1.txt, ${t}_2.txt, … (an empty table is still a file)`,
        { file: dir },
      );
    }
  }
  const declared = await readDeclaredCounts(dir, source.encoding);
  const reads: TableRead[] = [];
  const warn = (m: string) => {
    if (record) ctx.warn(m);
  };
  const read = async (t: TableName, onRow: (row: TableRow) => void): Promise<TableRead | undefined> => {
    const paths = files.get(t);
    if (!paths) return undefined;
    // Rows of a second client without `client` set stop the read (readTable names file and line).
    const r = await readTable(TABLES[t], paths, source.client, onRow, source.encoding);
    reads.push(r);
    return r;
  };

  // ---- USR02: the users
  const users = new Map<string, { principal: Principal; line: number }>();
  const usr02 = await read('USR02', (row) => {
    const bname = row.get('BNAME');
    if (!bname) fail(row, 'BNAME', 'empty BNAME');
    const first = users.get(bname);
    if (first) fail(row, 'BNAME', `user ${bname} already on line ${first.line}`);
    const ustyp = row.get('USTYP').toUpperCase();
    const type = USER_TYPES[ustyp];
    if (!type) fail(row, 'USTYP', `unknown user type "${row.get('USTYP')}" (expected A, B, C, S or L)`);
    const uflagRaw = row.get('UFLAG');
    if (!/^\d*$/.test(uflagRaw)) fail(row, 'UFLAG', `UFLAG must be a number, found "${uflagRaw}"`);
    const uflag = uflagRaw === '' ? 0 : Number(uflagRaw);
    const uid = makeUid('sap', source.id, bname);
    const p: Principal = {
      uid,
      system: 'sap',
      tenant: source.id,
      sourceId: source.id,
      nativeId: bname,
      name: bname,
      kind: type.kind,
      type: type.type,
      status: uflag === 0 ? 'active' : 'disabled',
      owners: [],
      credentials: [],
      tags: { 'sap:USTYP': ustyp, 'sap:UFLAG': String(uflag) },
      kindReason: `USR02.USTYP=${ustyp} (${type.label})`,
      ...window(date(row, 'GLTGV'), date(row, 'GLTGB')),
    };
    const userClass = row.get('CLASS');
    if (userClass) p.tags['sap:CLASS'] = userClass;
    if (ustyp === 'L') {
      // A reference user cannot log on: no logon date is not "never used".
      p.tags[ACTIVITY_TAG] = 'unknown';
      p.kindReason += ': cannot log on';
    }
    const created = row.has('ERDAT') ? date(row, 'ERDAT') : ({ kind: 'none' } as SapDate);
    if (created.kind === 'date') p.createdAt = startOf(created);
    const logon = date(row, 'TRDAT');
    if (logon.kind === 'date') {
      const time = parseSapTime(row.get('LTIME'));
      if (time === undefined) fail(row, 'LTIME', `not an SAP time: "${row.get('LTIME')}" (expected HHMMSS)`);
      p.lastActivity = { at: new Date(logon.ms + time).toISOString(), source: 'USR02.TRDAT' };
    }
    const override = source.kinds[bname] ?? source.kinds[uid];
    if (override) {
      p.kind = override;
      p.kindReason = 'config:kinds';
    }
    users.set(bname, { principal: p, line: row.line });
  });
  if (usr02 && usr02.hashColumns.length > 0) {
    warn(
      `USR02 carries password hash columns (${usr02.hashColumns.join(', ')}): they were not read; extract only the columns docs/connectors/sap.md lists`,
    );
  }
  const userAt = (row: TableRow, column: string) => {
    const bname = row.get(column);
    const u = users.get(bname);
    if (!u) {
      fail(
        row,
        column,
        bname
          ? `user ${bname} is not in USR02 (extract every table from the same client at the same time)`
          : `empty ${column}`,
      );
    }
    return u.principal;
  };

  // ---- USR21 + ADR6: email through the user's person and address numbers
  const persons = new Map<string, string>();
  const usr21 = await read('USR21', (row) => {
    const p = userAt(row, 'BNAME');
    persons.set(`${row.get('ADDRNUMBER')}|${row.get('PERSNUMBER')}`, p.nativeId);
  });
  const emails = new Map<string, { email: string; rank: string }>();
  const adr6 = await read('ADR6', (row) => {
    const bname = persons.get(`${row.get('ADDRNUMBER')}|${row.get('PERSNUMBER')}`);
    const email = row.get('SMTP_ADDR');
    if (!bname || !email) return;
    // The default address first, then the lowest sequence number.
    const rank = `${row.get('FLGDEFAULT').toUpperCase() === 'X' ? '0' : '1'}${row.get('CONSNUMBER').padStart(3, '0')}`;
    const have = emails.get(bname);
    if (!have || rank < have.rank) emails.set(bname, { email, rank });
  });
  for (const [bname, { email }] of emails) users.get(bname)!.principal.email = email;
  if (!usr21 || !adr6) {
    warn(
      'no USR21 and ADR6 extract: SAP users have no email and are not correlated with people in other systems',
    );
  }

  // ---- USR06: licence type (optional)
  await read('USR06', (row) => {
    const p = userAt(row, 'BNAME');
    const lic = row.get('LIC_TYPE');
    if (lic) p.tags['sap:LIC_TYPE'] = lic;
  });

  // ---- AGR_1251: role authorizations
  const roles = new Map<string, Role>();
  const roleOf = (name: string, row: TableRow): Role => {
    let r = roles.get(name);
    if (!r) {
      r = { name, line: { file: row.file, line: row.line }, auths: new Map(), variables: 0 };
      roles.set(name, r);
    }
    return r;
  };
  const keep =
    source.objects.length > 0
      ? new Set(['S_TCODE', ...source.objects.map((o) => o.toUpperCase())])
      : undefined;
  let deleted = 0;
  let filtered = 0;
  await read('AGR_1251', (row) => {
    const agr = row.get('AGR_NAME');
    if (!agr) fail(row, 'AGR_NAME', 'empty AGR_NAME');
    const role = roleOf(agr, row);
    if (row.get('DELETED') !== '') {
      deleted++;
      return;
    }
    const object = row.get('OBJECT').toUpperCase();
    const auth = row.get('AUTH');
    const field = row.get('FIELD').toUpperCase();
    if (!object) fail(row, 'OBJECT', 'empty OBJECT');
    if (!auth) fail(row, 'AUTH', 'empty AUTH');
    if (!field) fail(row, 'FIELD', 'empty FIELD');
    if (keep && !keep.has(object)) {
      filtered++;
      return;
    }
    const key = `${object}\u0000${auth}`;
    let a = role.auths.get(key);
    if (!a) {
      a = { object, auth, fields: {} };
      role.auths.set(key, a);
    }
    const low = row.get('LOW');
    const high = row.get('HIGH');
    if (low.startsWith('$')) role.variables++;
    const values = a.fields[field] ?? [];
    values.push(high ? { low, high } : { low });
    a.fields[field] = values;
  });

  // ---- AGR_AGRS: composite → single roles
  const composites = new Map<string, string[]>();
  const compositeLines = new Map<string, TableRow>();
  await read('AGR_AGRS', (row) => {
    const parent = row.get('AGR_NAME');
    const child = row.get('CHILD_AGR');
    if (!parent) fail(row, 'AGR_NAME', 'empty AGR_NAME');
    if (!child) fail(row, 'CHILD_AGR', 'empty CHILD_AGR');
    const list = composites.get(parent) ?? [];
    if (!list.includes(child)) list.push(child);
    composites.set(parent, list);
    if (!compositeLines.has(child)) compositeLines.set(child, row);
  });
  for (const [child, row] of compositeLines) {
    if (composites.has(child)) {
      fail(
        row,
        'CHILD_AGR',
        `${child} is itself a composite role: SAP composite roles contain single roles only`,
      );
    }
  }
  for (const parent of composites.keys()) {
    const r = roles.get(parent);
    if (r && r.auths.size > 0) {
      throw new InputError(
        `composite role ${parent} has authorizations in AGR_1251: a composite holds none`,
        r.line,
      );
    }
  }

  // ---- AGR_TEXTS: descriptions (optional): line 0, English preferred
  await read('AGR_TEXTS', (row) => {
    const line = row.get('LINE');
    if (line !== '' && Number(line) !== 0) return;
    const text = row.get('TEXT');
    if (!text) return;
    const role = roleOf(row.get('AGR_NAME'), row);
    const lang = row.get('SPRAS').toUpperCase();
    const rank = lang === 'E' || lang === 'EN' ? 0 : 1;
    if (role.textRank === undefined || rank < role.textRank) {
      role.text = text;
      role.textRank = rank;
    }
  });

  // ---- entitlements: single roles, composites, full-authorization profiles
  const entitlements: Entitlement[] = [];
  const roleUid = (name: string) => makeUid('sap', source.id, name);
  const variableRoles: string[] = [];
  const emit = (name: string, role: Role | undefined) => {
    const composite = composites.has(name);
    const auths = role ? [...role.auths.values()] : [];
    const tcodes: string[] = [];
    let everyTcode = false;
    for (const a of auths) {
      if (a.object !== 'S_TCODE') continue;
      for (const v of a.fields.TCD ?? []) {
        tcodes.push(v.high ? `${v.low}..${v.high}` : v.low);
        if (v.low === '*') everyTcode = true;
      }
    }
    const e: Entitlement = {
      uid: roleUid(name),
      system: 'sap',
      tenant: source.id,
      sourceId: source.id,
      nativeId: name,
      type: composite ? 'sap-composite-role' : 'sap-role',
      name: role?.text ? `${name} — ${role.text}` : name,
      privileged: everyTcode,
      permissions: [...new Set(tcodes)].sort(),
    };
    if (!composite) e.sapAuthorizations = auths;
    if (everyTcode) e.privilegedReason = 'AGR_1251: S_TCODE TCD = * (every transaction)';
    if (role && role.variables > 0) variableRoles.push(name);
    entitlements.push(e);
  };
  const names = new Set<string>([...roles.keys(), ...composites.keys(), ...[...composites.values()].flat()]);

  // ---- AGR_USERS: assignments, composites expanded
  const grants: Grant[] = [];
  const assigned = new Set<string>();
  let viaComposite = 0;
  await read('AGR_USERS', (row) => {
    const p = userAt(row, 'UNAME');
    const agr = row.get('AGR_NAME');
    if (!agr) fail(row, 'AGR_NAME', 'empty AGR_NAME');
    // PFCG's own copy of a composite's single roles: the composite's row is expanded instead.
    if (row.get('COL_FLAG').toUpperCase() === 'X') {
      viaComposite++;
      return;
    }
    const validity = window(date(row, 'FROM_DAT'), date(row, 'TO_DAT'));
    names.add(agr);
    assigned.add(agr);
    grants.push({ principal: p.uid, entitlement: roleUid(agr), path: [], ...validity });
    for (const child of composites.get(agr) ?? []) {
      assigned.add(child);
      grants.push({ principal: p.uid, entitlement: roleUid(child), path: [roleUid(agr)], ...validity });
    }
  });
  for (const name of [...names].sort()) emit(name, roles.get(name));

  const empty = [...assigned]
    .filter((n) => !composites.has(n) && (roles.get(n)?.auths.size ?? 0) === 0)
    .sort();
  if (empty.length > 0) {
    warn(
      `${empty.length} assigned role(s) have no authorizations in AGR_1251 and no composite definition in AGR_AGRS, so they give nothing here: ${list(empty)}`,
    );
  }
  if (variableRoles.length > 0) {
    warn(
      `${variableRoles.length} role(s) keep unresolved $ variables (organizational levels not maintained) in AGR_1251 values: such values are not evaluated and allow nothing: ${list(variableRoles)}`,
    );
  }

  // ---- UST04: full-authorization profiles assigned directly
  const profiles = new Map<string, Entitlement>();
  let otherProfiles = 0;
  await read('UST04', (row) => {
    const p = userAt(row, 'BNAME');
    const profile = row.get('PROFILE').toUpperCase();
    if (!(FULL_PROFILES as readonly string[]).includes(profile)) {
      otherProfiles++;
      return;
    }
    let e = profiles.get(profile);
    if (!e) {
      e = {
        uid: makeUid('sap', source.id, `PROFILE:${profile}`),
        system: 'sap',
        tenant: source.id,
        sourceId: source.id,
        nativeId: `PROFILE:${profile}`,
        type: 'sap-profile',
        name: profile,
        privileged: true,
        privilegedReason: `UST04: profile ${profile} (every authorization)`,
        permissions: ['*'],
        sapAll: true,
      };
      profiles.set(profile, e);
      entitlements.push(e);
    }
    grants.push({ principal: p.uid, entitlement: e.uid, path: [] });
  });
  if (otherProfiles > 0) {
    warn(
      `UST04: ${otherProfiles} assignment(s) of other profiles were not evaluated (their contents are in UST10S/UST12, not read); profiles generated from roles are evaluated through AGR_1251`,
    );
  }

  if (record) {
    for (const r of reads) {
      const params: Record<string, string> = {
        files: r.files.map((f) => basename(f)).join(', '),
        header: r.headers.map((h) => (h ? 'yes' : 'no')).join(', '),
        rows: String(r.rows),
      };
      if (source.client !== undefined) {
        params.client = source.client;
        params.kept = String(r.kept);
      }
      if (r.table === 'AGR_1251') {
        params.deleted = String(deleted);
        if (keep) params.objects = [...keep].sort().join(', ');
        if (keep) params.otherObjects = String(filtered);
      }
      if (r.table === 'AGR_USERS') params.viaComposite = String(viaComposite);
      const d = declared?.get(r.table);
      if (d?.filter) params.filter = d.filter;
      if (d?.extractedAt) params.extractedAt = d.extractedAt;
      ctx.calls.record(
        `table:${r.table}`,
        { calls: r.files.length, pages: r.files.length, records: r.rows, ...(d ? { expected: d.rows } : {}) },
        params,
      );
      if (d && d.rows !== r.rows) {
        ctx.markIncomplete(`${r.table}: ${r.rows} rows read, EXTRACT declares ${d.rows}`);
      }
    }
    if (declared) {
      for (const t of declared.keys()) {
        if (!reads.some((r) => r.table === t))
          ctx.markIncomplete(`${t}: declared in EXTRACT but no file found`);
      }
    } else {
      ctx.warn(
        'no EXTRACT file: the row counts read were not confirmed against the extraction (docs/connectors/sap.md)',
      );
    }
  }

  return { entitlements, principals: [...users.values()].map((u) => u.principal), grants };
}

function list(names: readonly string[]): string {
  return names.length <= 10
    ? names.join(', ')
    : `${names.slice(0, 10).join(', ')}, … (${names.length - 10} more)`;
}

interface Declared {
  rows: number;
  filter?: string;
  extractedAt?: string;
}

/** The optional `EXTRACT` file: per table, the row count the extraction reported (SE16N "Number of Entries"). */
async function readDeclaredCounts(
  dir: string,
  encoding?: InputEncoding,
): Promise<Map<string, Declared> | undefined> {
  const names = await readdir(dir);
  const name = names.find((n) => /^extract\.(csv|txt|tsv)$/i.test(n));
  if (!name) return undefined;
  const file = join(dir, name);
  const probe = await CsvFileReader.open(file, { encoding });
  const delimiter = probe.header.length === 1 && (probe.header[0] ?? '').includes('\t') ? '\t' : undefined;
  await probe.close();
  const csv = await CsvFileReader.open(file, { encoding, ...(delimiter ? { delimiter } : {}) });
  const out = new Map<string, Declared>();
  try {
    const col = (n: string) => csv.column(n);
    if (col('TABLE') === -1 || col('ROWS') === -1) {
      throw new InputError(
        `EXTRACT needs the columns TABLE and ROWS; the header has: ${csv.header.join(', ')}`,
        {
          file,
          line: csv.headerLine,
        },
      );
    }
    for (let b = await csv.read(1000); b.records.length > 0; b = await csv.read(1000)) {
      b.records.forEach((r, i) => {
        const line = b.lines[i]!;
        const table = (r[col('TABLE')] ?? '').trim().toUpperCase();
        const rowsRaw = (r[col('ROWS')] ?? '').trim().replace(/[ ,.']/g, '');
        if (!(table in TABLES)) {
          throw new InputError(`unknown table "${table}" (expected ${Object.keys(TABLES).join(', ')})`, {
            file,
            line,
            field: 'TABLE',
          });
        }
        if (!/^\d+$/.test(rowsRaw))
          throw new InputError(`ROWS must be a number`, { file, line, field: 'ROWS' });
        const d: Declared = { rows: Number(rowsRaw) };
        const filter = col('FILTER') === -1 ? '' : (r[col('FILTER')] ?? '').trim();
        const at = col('EXTRACTED_AT') === -1 ? '' : (r[col('EXTRACTED_AT')] ?? '').trim();
        if (filter) d.filter = filter;
        if (at) d.extractedAt = at;
        out.set(table, d);
      });
    }
  } finally {
    await csv.close();
  }
  return out;
}

function slice(parsed: Parsed, state: SapState): { page: Page; next: SapState | null } {
  const all = parsed[state.phase];
  const end = Math.min(all.length, state.done + SAP_PAGE_ROWS);
  const page: Page = { [state.phase]: all.slice(state.done, end) };
  if (end < all.length) return { page, next: { ...state, done: end } };
  const next = PHASES[PHASES.indexOf(state.phase) + 1];
  return { page, next: next ? { ...state, phase: next, done: 0 } : null };
}

/**
 * @example
 * await collectSource({ connector: sapConnector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export const sapConnector: Connector<SapSource, SapState> = {
  name: SAP_CONNECTOR_NAME,
  version: SAP_CONNECTOR_VERSION,
  system: 'sap',

  async begin(ctx) {
    const parsed = await parseExtract(ctx, true);
    const id = randomUUID();
    sessions.set(id, parsed);
    return {
      state: { v: 1, session: id, phase: 'entitlements', done: 0 },
      tenant: ctx.source.id,
      mode: 'files',
    };
  },

  async step(ctx, state) {
    const parsed = await sessions.get(state.session, () => parseExtract(ctx, false));
    const out = slice(parsed, state);
    if (out.next === null) sessions.delete(state.session);
    return out;
  },
};
