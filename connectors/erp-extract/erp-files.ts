/**
 * The four CSV files of an ERP extract (docs/connectors/erp.md) as columns: which of our columns each file
 * has, which are required, and how a `columns:` mapping (ours → the export's) finds them.
 */
import type { ErpSource } from '../../core/config';
import { InputError } from '../../core/errors';
import type { CsvFileReader } from '../shared/csv';
import { describeHeader } from '../shared/file-errors';

export type ErpColumn = keyof ErpSource['columns'];

export interface FileColumns {
  required: readonly ErpColumn[];
  optional: readonly ErpColumn[];
}

/**
 * `last_login_at` is required even though its cells may be empty: without the column, "never
 * logged in" and "not exported" would look the same and every service user would seem unused.
 */
export const USERS_COLUMNS: FileColumns = {
  required: ['user_id', 'user_type', 'status', 'last_login_at'],
  optional: ['user_name', 'email', 'owner_email', 'created_at', 'employee_id'],
};
export const ROLES_COLUMNS: FileColumns = { required: ['role_id'], optional: ['role_name', 'privileged'] };
export const ASSIGNMENTS_COLUMNS: FileColumns = {
  required: ['user_id', 'role_id'],
  optional: ['granted_at'],
};
export const PERMISSIONS_COLUMNS: FileColumns = { required: ['role_id', 'permission'], optional: [] };

/** Where each of our columns is in one file: index (-1 when an optional column is absent) and header name. */
export type ColumnIndex<C extends ErpColumn> = Record<C, { index: number; name: string }>;

/**
 * Locate our columns in a file's header through the mapping. A mapped name that the header lacks
 * falls back to our own name, so one mapping serves exports that rename a column in some files only.
 */
export function locateColumns<C extends ErpColumn>(
  csv: CsvFileReader,
  spec: FileColumns,
  mapping: ErpSource['columns'],
): ColumnIndex<C> {
  const out = {} as ColumnIndex<C>;
  const find = (ours: ErpColumn) => {
    const theirs = mapping[ours];
    if (theirs !== undefined) {
      const i = csv.column(theirs);
      if (i !== -1) return { index: i, name: csv.header[i] as string };
    }
    const i = csv.column(ours);
    return { index: i, name: i === -1 ? (theirs ?? ours) : (csv.header[i] as string) };
  };
  for (const ours of spec.required) {
    const at = find(ours);
    if (at.index === -1) {
      const mapped = mapping[ours] !== undefined ? ` (mapped to "${mapping[ours]}")` : '';
      throw new InputError(
        `missing required column ${ours}${mapped}; the header has: ${describeHeader(csv.header)}`,
        {
          file: csv.file,
          line: csv.headerLine,
          field: ours,
        },
      );
    }
    (out as Record<string, unknown>)[ours] = at;
  }
  for (const ours of spec.optional) (out as Record<string, unknown>)[ours] = find(ours);
  return out;
}
