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
  const col = (name: string) => csv.column(name);
  const rows: CredentialReportRow[] = [];
  let rootArn: string | undefined;
  let root: CredentialReportRow | undefined;
  csv.records.forEach((r, i) => {
    const line = csv.lines[i] as number;
    const cell = (name: string): string => {
      const c = col(name);
      return c === -1 ? '' : (r[c] as string).trim();
    };
    const date = (name: string): string | undefined => {
      const v = cell(name);
      if (NOT_A_VALUE.has(v)) return undefined;
      const iso = parseIsoInstant(v);
      if (iso === undefined) throw new InputError(`not a date: "${v}"`, { file, line, field: name });
      return iso;
    };
    const bool = (name: string): boolean | undefined => {
      const v = cell(name).toLowerCase();
      if (v === 'true') return true;
      if (v === 'false') return false;
      if (v === '' || v === 'not_supported' || v === 'n/a') return undefined;
      throw new InputError(`expected true or false, found ${describeValue(cell(name))}`, {
        file,
        line,
        field: name,
      });
    };
    const optional = (name: string) => {
      const v = cell(name);
      return NOT_A_VALUE.has(v) ? undefined : v;
    };
    const user = cell('user');
    const arn = cell('arn');
    const isRoot = user === '<root_account>';
    if (isRoot && arn) rootArn = arn;
    if (!user) throw new InputError('empty user name', { file, line, field: 'user' });
    if (!arn.startsWith('arn:')) throw new InputError(`not an ARN: "${arn}"`, { file, line, field: 'arn' });
    const accessKeys: AccessKeyReport[] = ([1, 2] as const).map((slot) => {
      const p = `access_key_${slot}_`;
      return dropUndefined({
        slot,
        active: bool(`${p}active`) ?? false,
        lastRotated: date(`${p}last_rotated`),
        lastUsedDate: date(`${p}last_used_date`),
        lastUsedService: optional(`${p}last_used_service`),
        lastUsedRegion: optional(`${p}last_used_region`),
      });
    });
    const certificates: CertificateReport[] = ([1, 2] as const).flatMap((slot) =>
      col(`cert_${slot}_active`) === -1
        ? []
        : [
            dropUndefined({
              slot,
              active: bool(`cert_${slot}_active`) ?? false,
              lastRotated: date(`cert_${slot}_last_rotated`),
            }),
          ],
    );
    const row = dropUndefined({
      line,
      user,
      arn,
      userCreationTime: date('user_creation_time'),
      passwordEnabled: bool('password_enabled'),
      passwordLastUsed: date('password_last_used'),
      passwordLastChanged: date('password_last_changed'),
      mfaActive: col('mfa_active') === -1 ? undefined : bool('mfa_active'),
      accessKeys,
      certificates,
    });
    if (isRoot) root = row;
    else rows.push(row);
  });
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

/** Optional fields absent rather than `undefined`, so records serialize the same everywhere. */
function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
