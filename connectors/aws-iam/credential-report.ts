/**
 * The IAM credential report (CSV): one row per user with password and access-key use.
 *
 * Cells that are not values: `N/A` (no such credential), `no_information` (never used, or used
 * before IAM tracked it) and `not_supported` (the root account's password fields). The
 * `<root_account>` row is kept apart (`root`): the root user is no IAM principal, but its keys, MFA
 * and use are the account's own controls (AWS-ROOT-* rules).
 */
import { InputError } from '../../core/errors';
import { parseCsvText } from '../shared/csv';
import { describeValue } from '../shared/file-errors';
import { parseIsoInstant } from '../shared/iso-date';

export interface AccessKeyReport {
  /** 1 or 2: the report has no key id, only the slot. */
  slot: 1 | 2;
  active: boolean;
  lastRotated?: string;
  lastUsedDate?: string;
  lastUsedService?: string;
  lastUsedRegion?: string;
}

export interface CertificateReport {
  slot: 1 | 2;
  active: boolean;
  lastRotated?: string;
}

export interface CredentialReportRow {
  /** Line in the report file, for messages. */
  line: number;
  user: string;
  arn: string;
  userCreationTime?: string;
  /** `undefined` when the report says `not_supported`. */
  passwordEnabled?: boolean;
  passwordLastUsed?: string;
  passwordLastChanged?: string;
  mfaActive?: boolean;
  accessKeys: AccessKeyReport[];
  certificates: CertificateReport[];
}

export interface CredentialReport {
  file: string;
  /** Rows in file order, `<root_account>` excluded, one per ARN. */
  rows: CredentialReportRow[];
  /** ARNs listed more than once, with their lines: the later row is the one kept. */
  duplicates?: { arn: string; lines: number[] }[];
  /** The root row's ARN, when present (names the account). */
  rootArn?: string;
  /** The `<root_account>` row, when present. */
  root?: CredentialReportRow;
}

const REQUIRED = [
  'user',
  'arn',
  'user_creation_time',
  'password_enabled',
  'password_last_used',
  'password_last_changed',
  'access_key_1_active',
  'access_key_1_last_rotated',
  'access_key_1_last_used_date',
  'access_key_2_active',
  'access_key_2_last_rotated',
  'access_key_2_last_used_date',
] as const;

/** A column's index in the file (-1: absent) and its name, for messages. */
interface Column {
  index: number;
  name: string;
}

const NOT_A_VALUE = new Set(['', 'N/A', 'no_information', 'not_supported']);

/**
 * Parse a credential report (the CSV of `aws iam get-credential-report`, base64-decoded).
 *
 * @example
 * const report = parseCredentialReport(await readFile(path, 'utf8'), path);
 * report.rows.find((r) => r.user === 'deploy-bot')?.accessKeys[0]?.lastUsedDate;
 */
export function parseCredentialReport(text: string, file: string): CredentialReport {
  const start = text.trimStart();
  if (start.startsWith('{') || start.startsWith('[')) {
    // A saved API answer (e.g. a ReportInProgress error) instead of the decoded report.
    throw new InputError('not an IAM credential report: the file holds JSON, expected the CSV', {
      file,
      line: 1,
    });
  }
  const csv = parseCsvText(text, file);
  for (const name of REQUIRED) {
    if (csv.column(name) === -1) {
      throw new InputError(`not an IAM credential report: the header has no "${name}" column`, {
        file,
        line: csv.headerLine,
        field: name,
      });
    }
  }
  // Column indexes once (not a lookup per cell), and records built field by field in their fixed
  // order with only the values present (no object with `undefined` fields to delete from: a
  // deleted field turns an object into a slow dictionary).
  const col = (name: string): Column => ({ index: csv.column(name), name });
  const cols = {
    user: col('user'),
    arn: col('arn'),
    created: col('user_creation_time'),
    passwordEnabled: col('password_enabled'),
    passwordLastUsed: col('password_last_used'),
    passwordLastChanged: col('password_last_changed'),
    mfaActive: col('mfa_active'),
  };
  const keyCols = ([1, 2] as const).map((slot) => {
    const p = `access_key_${slot}_`;
    return {
      slot,
      active: col(`${p}active`),
      lastRotated: col(`${p}last_rotated`),
      lastUsedDate: col(`${p}last_used_date`),
      lastUsedService: col(`${p}last_used_service`),
      lastUsedRegion: col(`${p}last_used_region`),
    };
  });
  const certCols = ([1, 2] as const).flatMap((slot) =>
    csv.column(`cert_${slot}_active`) === -1
      ? []
      : [{ slot, active: col(`cert_${slot}_active`), lastRotated: col(`cert_${slot}_last_rotated`) }],
  );
  const rows: CredentialReportRow[] = [];
  let rootArn: string | undefined;
  let root: CredentialReportRow | undefined;
  for (let i = 0; i < csv.records.length; i++) {
    const r = csv.records[i] as string[];
    const line = csv.lines[i] as number;
    const cell = (c: Column): string => (c.index === -1 ? '' : (r[c.index] as string).trim());
    const date = (c: Column): string | undefined => {
      const v = cell(c);
      if (NOT_A_VALUE.has(v)) return undefined;
      const iso = parseIsoInstant(v);
      if (iso === undefined) throw new InputError(`not a date: "${v}"`, { file, line, field: c.name });
      return iso;
    };
    const bool = (c: Column): boolean | undefined => {
      const v = cell(c).toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (v === '' || v === 'not_supported' || v === 'n/a') return undefined;
      throw new InputError(`expected true or false, found ${describeValue(cell(c))}`, {
        file,
        line,
        field: c.name,
      });
    };
    const optional = (c: Column) => {
      const v = cell(c);
      return NOT_A_VALUE.has(v) ? undefined : v;
    };
    const user = cell(cols.user);
    const arn = cell(cols.arn);
    const isRoot = user === '<root_account>';
    if (isRoot && arn) rootArn = arn;
    if (!user) throw new InputError('empty user name', { file, line, field: 'user' });
    if (!arn.startsWith('arn:')) throw new InputError(`not an ARN: "${arn}"`, { file, line, field: 'arn' });
    const accessKeys: AccessKeyReport[] = keyCols.map((k) => {
      const key: AccessKeyReport = { slot: k.slot, active: bool(k.active) ?? false };
      const lastRotated = date(k.lastRotated);
      if (lastRotated !== undefined) key.lastRotated = lastRotated;
      const lastUsedDate = date(k.lastUsedDate);
      if (lastUsedDate !== undefined) key.lastUsedDate = lastUsedDate;
      const lastUsedService = optional(k.lastUsedService);
      if (lastUsedService !== undefined) key.lastUsedService = lastUsedService;
      const lastUsedRegion = optional(k.lastUsedRegion);
      if (lastUsedRegion !== undefined) key.lastUsedRegion = lastUsedRegion;
      return key;
    });
    const certificates: CertificateReport[] = certCols.map((k) => {
      const cert: CertificateReport = { slot: k.slot, active: bool(k.active) ?? false };
      const lastRotated = date(k.lastRotated);
      if (lastRotated !== undefined) cert.lastRotated = lastRotated;
      return cert;
    });
    const row: CredentialReportRow = { line, user, arn } as CredentialReportRow;
    const userCreationTime = date(cols.created);
    if (userCreationTime !== undefined) row.userCreationTime = userCreationTime;
    const passwordEnabled = bool(cols.passwordEnabled);
    if (passwordEnabled !== undefined) row.passwordEnabled = passwordEnabled;
    const passwordLastUsed = date(cols.passwordLastUsed);
    if (passwordLastUsed !== undefined) row.passwordLastUsed = passwordLastUsed;
    const passwordLastChanged = date(cols.passwordLastChanged);
    if (passwordLastChanged !== undefined) row.passwordLastChanged = passwordLastChanged;
    const mfaActive = cols.mfaActive.index === -1 ? undefined : bool(cols.mfaActive);
    if (mfaActive !== undefined) row.mfaActive = mfaActive;
    row.accessKeys = accessKeys;
    row.certificates = certificates;
    if (isRoot) root = row;
    else rows.push(row);
  }
  // Recorded reports have been seen listing a user twice; the later row wins, in the earlier's place.
  const byArn = new Map<string, number>();
  const unique: CredentialReportRow[] = [];
  const duplicates = new Map<string, number[]>();
  for (const row of rows) {
    const at = byArn.get(row.arn);
    if (at === undefined) {
      byArn.set(row.arn, unique.length);
      unique.push(row);
      continue;
    }
    const earlier = unique[at] as CredentialReportRow;
    const lines = duplicates.get(row.arn) ?? [earlier.line];
    lines.push(row.line);
    duplicates.set(row.arn, lines);
    unique[at] = row;
  }
  const out: CredentialReport = { file, rows: unique };
  if (rootArn) out.rootArn = rootArn;
  if (root && rootArn) out.root = root;
  if (duplicates.size > 0) out.duplicates = [...duplicates].map(([arn, lines]) => ({ arn, lines }));
  return out;
}
