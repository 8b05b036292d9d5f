/**
 * The SAP tables the connector reads, and how one table's extract is found and read:
 *
 * - files: `<TABLE>.txt|.csv|.tsv` in the source's folder, or an export split in parts
 *   `<TABLE>_1.txt`, `<TABLE>_2.txt`, … (numbered from 1 without gaps, read in number order);
 * - separator: tab, semicolon or comma, detected per file from its first line;
 * - header: a first line naming the table's key column (`BNAME`, `AGR_NAME`, …) is the header;
 *   otherwise the file has no header and its columns are the documented order below (exactly
 *   these, optionally preceded by the client column `MANDT`);
 * - cells are trimmed (SE16N pads them with spaces); the client column selects `client`.
 *
 * Tokenizing is the shared CSV reader's (quotes, CRLF, BOM, line numbers); what a row means is the
 * connector's.
 */
import { type FileHandle, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors';
import { CsvFileReader } from '../shared/csv';
import type { InputEncoding } from '../shared/decode-text';
import { describeFileError } from '../shared/file-errors';
import { openInputFile } from '../shared/input-file';

export interface TableSpec {
  name: string;
  /** Columns a header must name. */
  required: readonly string[];
  /** Every column read, in the order a file without a header must have them (SAP's field order). */
  order: readonly string[];
  /** A header line names this column; a data line never holds it. */
  key: string;
  /** The client column (ADR6 calls it `CLIENT`). */
  clientColumn: string;
  optionalTable: boolean;
}

const spec = (
  name: string,
  order: string[],
  required: string[],
  optionalTable = false,
  clientColumn = 'MANDT',
): TableSpec => ({ name, order, required, key: required[0]!, clientColumn, optionalTable });

/** The tables, in reading order. Column orders follow the tables' ABAP Dictionary order. */
export const TABLES = {
  USR02: spec(
    'USR02',
    ['BNAME', 'GLTGV', 'GLTGB', 'USTYP', 'CLASS', 'UFLAG', 'ERDAT', 'TRDAT', 'LTIME'],
    ['BNAME', 'USTYP', 'UFLAG', 'GLTGV', 'GLTGB', 'TRDAT'],
  ),
  USR21: spec('USR21', ['BNAME', 'PERSNUMBER', 'ADDRNUMBER'], ['BNAME', 'PERSNUMBER', 'ADDRNUMBER'], true),
  ADR6: spec(
    'ADR6',
    ['ADDRNUMBER', 'PERSNUMBER', 'DATE_FROM', 'CONSNUMBER', 'FLGDEFAULT', 'SMTP_ADDR'],
    ['ADDRNUMBER', 'PERSNUMBER', 'SMTP_ADDR'],
    true,
    'CLIENT',
  ),
  AGR_USERS: spec(
    'AGR_USERS',
    ['AGR_NAME', 'UNAME', 'FROM_DAT', 'TO_DAT', 'COL_FLAG'],
    ['AGR_NAME', 'UNAME', 'FROM_DAT', 'TO_DAT'],
  ),
  AGR_AGRS: spec('AGR_AGRS', ['AGR_NAME', 'CHILD_AGR'], ['AGR_NAME', 'CHILD_AGR'], true),
  AGR_1251: spec(
    'AGR_1251',
    ['AGR_NAME', 'COUNTER', 'OBJECT', 'AUTH', 'VARIANT', 'FIELD', 'LOW', 'HIGH', 'MODIFIED', 'DELETED'],
    ['AGR_NAME', 'OBJECT', 'AUTH', 'FIELD', 'LOW', 'HIGH', 'DELETED'],
  ),
  AGR_TEXTS: spec('AGR_TEXTS', ['AGR_NAME', 'SPRAS', 'LINE', 'TEXT'], ['AGR_NAME', 'TEXT'], true),
  USR06: spec('USR06', ['BNAME', 'LIC_TYPE'], ['BNAME', 'LIC_TYPE'], true),
  UST04: spec('UST04', ['BNAME', 'PROFILE'], ['BNAME', 'PROFILE'], true),
} as const;

export type TableName = keyof typeof TABLES;

/** USR02 columns holding password hashes: never read, and their presence is reported. */
export const HASH_COLUMNS = ['BCODE', 'PASSCODE', 'PWDSALTEDHASH', 'PWDHISTORY'] as const;

const EXTENSIONS = ['txt', 'csv', 'tsv'];

/** The files of every table in `dir`, by table name. Unknown files are ignored. */
export async function findTableFiles(dir: string): Promise<Map<string, string[]>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new InputError(`cannot read the SAP extract folder: ${describeFileError(err)}`, { file: dir });
  }
  const whole = new Map<string, string>();
  const parts = new Map<string, Map<number, string>>();
  for (const file of names.sort()) {
    const m = /^([A-Za-z0-9_]+?)(?:_(\d+))?\.([A-Za-z]+)$/.exec(file);
    if (!m || !EXTENSIONS.includes(m[3]!.toLowerCase())) continue;
    let table = m[1]!.toUpperCase();
    let part = m[2] === undefined ? undefined : Number(m[2]);
    // AGR_1251 is itself "name_digits": it is a whole file, not part 1251 of AGR.
    if (part !== undefined && !(table in TABLES) && `${table}_${m[2]}` in TABLES) {
      table = `${table}_${m[2]}`;
      part = undefined;
    }
    if (!(table in TABLES)) continue;
    const path = join(dir, file);
    if (part === undefined) {
      const other = whole.get(table);
      if (other) throw new InputError(`two files for table ${table}: ${other} and ${file}`, { file: path });
      whole.set(table, path);
    } else {
      let map = parts.get(table);
      if (!map) {
        map = new Map();
        parts.set(table, map);
      }
      if (map.has(part)) throw new InputError(`two files for part ${part} of table ${table}`, { file: path });
      map.set(part, path);
    }
  }
  const out = new Map<string, string[]>();
  for (const [table, path] of whole) {
    if (parts.has(table)) {
      throw new InputError(
        `table ${table} is both a whole file and split in parts (${table}_1…): keep one of them`,
        { file: path },
      );
    }
    out.set(table, [path]);
  }
  for (const [table, map] of parts) {
    const numbers = [...map.keys()].sort((a, b) => a - b);
    numbers.forEach((n, i) => {
      if (n !== i + 1) {
        throw new InputError(
          `table ${table} is split in parts but part ${i + 1} is missing (found ${numbers.join(', ')}): parts are numbered 1, 2, 3, …`,
          { file: map.get(n)! },
        );
      }
    });
    out.set(
      table,
      numbers.map((n) => map.get(n)!),
    );
  }
  return out;
}

/** One row: cells by column name (trimmed), the file and line it came from. */
export interface TableRow {
  get(column: string): string;
  has(column: string): boolean;
  file: string;
  line: number;
}

export interface TableRead {
  table: string;
  files: string[];
  /** Data rows in the files. */
  rows: number;
  /** Rows of the selected client (all rows when the table has no client column). */
  kept: number;
  /** Whether the files name their columns in a header line, per file. */
  headers: boolean[];
  /** Distinct clients seen. */
  clients: string[];
  /** Columns a file carried that must never be extracted (password hashes). */
  hashColumns: string[];
}

/** Separator of a file, from its first non-blank line: tab, else `;` or `,` whichever is more frequent. */
function detect(firstLine: string): string {
  if (firstLine.includes('\t')) return '\t';
  const semis = firstLine.split(';').length;
  const commas = firstLine.split(',').length;
  return semis > commas ? ';' : ',';
}

async function firstLine(path: string): Promise<string> {
  let handle: FileHandle | undefined;
  try {
    // Regular files inside the input roots only: a FIFO here would block, a planted symlink leave the folder.
    handle = await openInputFile(path, 'export');
    const buffer = Buffer.alloc(65_536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    for (const line of text.split(/\r?\n/)) if (line.trim() !== '') return line;
    return '';
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(describeFileError(err), { file: path });
  } finally {
    await handle?.close();
  }
}

/** A cell whose quotes a header line may carry: `"BNAME"` → `BNAME`. */
function bare(cell: string): string {
  return cell
    .trim()
    .replace(/^"(.*)"$/, '$1')
    .trim()
    .toUpperCase();
}

/**
 * Reads every row of one table (all its parts), calling `onRow` for each row of the selected client.
 *
 * @throws InputError naming the file and line of a malformed row or a missing column
 */
export async function readTable(
  spec: TableSpec,
  files: readonly string[],
  client: string | undefined,
  onRow: (row: TableRow) => void,
  encoding?: InputEncoding,
): Promise<TableRead> {
  const read: TableRead = {
    table: spec.name,
    files: [...files],
    rows: 0,
    kept: 0,
    headers: [],
    clients: [],
    hashColumns: [],
  };
  for (const file of files) {
    const line = await firstLine(file);
    if (line === '') continue; // an empty part: no rows
    const delimiter = detect(line);
    const cells = line.split(delimiter).map(bare);
    const hasHeader = cells.includes(spec.key);
    let columns: string[] | undefined;
    if (!hasHeader) {
      // Without a header: the documented order, optionally led by the client column (three
      // digits); a separator at the end of every line adds one empty column.
      const n = cells.length;
      const want = spec.order.length;
      const trailing = cells[n - 1] === '' ? 1 : 0;
      if (n === want + 1 && /^\d{3}$/.test(cells[0] ?? '')) columns = [spec.clientColumn, ...spec.order];
      else if (n === want + 2 && trailing && /^\d{3}$/.test(cells[0] ?? ''))
        columns = [spec.clientColumn, ...spec.order, ''];
      else if (n === want) columns = [...spec.order];
      else if (n === want + 1 && trailing) columns = [...spec.order, ''];
      else {
        throw new InputError(
          `no header line naming ${spec.key}, and ${n} columns where a file without a header has ${want} (${spec.order.join(', ')}), optionally preceded by ${spec.clientColumn}`,
          { file, line: 1 },
        );
      }
    }
    read.headers.push(hasHeader);
    const csv = await CsvFileReader.open(file, { delimiter, encoding, ...(columns ? { columns } : {}) });
    try {
      const index = new Map<string, number>();
      csv.header.forEach((h, i) => {
        const name = bare(h);
        if (name !== '' && !index.has(name)) index.set(name, i);
      });
      for (const col of spec.required) {
        if (!index.has(col)) {
          throw new InputError(
            `missing column ${col} of ${spec.name}; the header has: ${csv.header.join(', ')}`,
            { file, line: csv.headerLine, field: col },
          );
        }
      }
      for (const h of HASH_COLUMNS)
        if (index.has(h) && !read.hashColumns.includes(h)) read.hashColumns.push(h);
      const clientAt = index.get(spec.clientColumn);
      for (let b = await csv.read(5000); b.records.length > 0; b = await csv.read(5000)) {
        for (let i = 0; i < b.records.length; i++) {
          const record = b.records[i]!;
          read.rows++;
          if (clientAt !== undefined) {
            const c = (record[clientAt] ?? '').trim();
            if (!read.clients.includes(c)) {
              read.clients.push(c);
              if (client === undefined && read.clients.length > 1) {
                throw new InputError(
                  `${spec.name} holds rows of several clients (${read.clients.sort().join(', ')}): set the source's client`,
                  { file, line: b.lines[i]!, field: spec.clientColumn },
                );
              }
            }
            if (client !== undefined && c !== client) continue;
          }
          read.kept++;
          const lineNo = b.lines[i]!;
          onRow({
            get: (column) => {
              const at = index.get(column);
              return at === undefined ? '' : (record[at] ?? '').trim();
            },
            has: (column) => index.has(column),
            file,
            line: lineNo,
          });
        }
      }
    } finally {
      await csv.close();
    }
  }
  return read;
}
