/**
 * CSV reading shared by the file-mode connectors, on our streaming splitter (csv-splitter.ts),
 * with the physical line where each record starts (a quoted field may span lines), so every error
 * names file and line.
 *
 * Accepts a UTF-8 BOM, CRLF, LF or CR, quoted fields holding delimiters, quotes and line breaks,
 * and blank lines (skipped). A record whose field count differs from the header's is an error.
 */

import type { FileHandle } from 'node:fs/promises';
import { TextDecoder } from 'node:util';
import { InputError } from '../../core/errors';
import { CsvSplitter, type CsvSyntaxCode, CsvSyntaxError } from './csv-splitter';
import { firstInvalidUtf8, type InputEncoding, lineAt, notUtf8Message } from './decode-text';
import { describeFileError } from './file-errors';
import { openInputFile } from './input-file';

export interface CsvOpenOptions {
  /** Field separator (default `,`). */
  delimiter?: string;
  /** The file has no header line: its columns, in order. */
  columns?: readonly string[];
  /** The file's encoding when not UTF-8 (a source's `encoding:`). */
  encoding?: InputEncoding | undefined;
}

/** Records of one read, with the 1-based physical line each starts on. */
export interface CsvBatch {
  records: string[][];
  lines: number[];
}

/** A blank (or whitespace-only) line parses as one field; real records of our files have at least two. */
function isBlank(record: readonly string[]): boolean {
  return record.length === 1 && (record[0] === '' || (record[0] as string).trim() === '');
}

function describeCsvError(code: CsvSyntaxCode): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (truncated file or stray quote)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by text instead of a comma or line end';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside an unquoted field (quote the whole field and double its quotes)';
  }
}

/**
 * Bytes read per step. Small on purpose: the records split from one chunk are young garbage the
 * next batch drops; 1 MiB chunks kept ~40k records alive across scavenges and split at a third
 * of the speed.
 */
const CHUNK_BYTES = 64 * 1024;

/**
 * Records of one open file, split as its bytes are read. Owns the file handle: it is closed at
 * the end of the file, on an error, and by {@link close} (also while the open is still pending).
 */
class RecordSource {
  private fh: FileHandle | undefined;
  private closed = false;
  private eof = false;
  /** Records split but not handed out yet. */
  private records: string[][] = [];
  private lines: number[] = [];
  /** An error met after the queued records: thrown once they are handed out. */
  private failure: unknown;
  private readonly splitter: CsvSplitter;
  private readonly decoder: TextDecoder;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(
    readonly file: string,
    encoding: InputEncoding = 'utf-8',
    delimiter = ',',
  ) {
    this.splitter = new CsvSplitter(delimiter);
    // A declared single-byte encoding decodes every byte: nothing to refuse.
    this.decoder =
      encoding === 'utf-8'
        ? new TextDecoder('utf-8', { fatal: true })
        : new TextDecoder(encoding === 'latin1' ? 'iso-8859-1' : encoding);
  }

  async open(): Promise<void> {
    const fh = await openInputFile(this.file, 'export');
    if (this.closed) {
      await fh.close();
      return;
    }
    this.fh = fh;
  }

  /** The last character of the file's text, once it has ended. */
  get lastChar(): string {
    return this.splitter.lastChar;
  }

  /** Up to `max` records (fewer only at the end of the file), with their lines. */
  async take(max: number, header: readonly string[]): Promise<CsvBatch> {
    while (this.records.length < max && !this.eof && this.failure === undefined) await this.fill();
    const end = Math.min(this.records.length, max);
    if (end === 0 && this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      this.eof = true;
      throw syntaxError(this.file, failure, header);
    }
    const batch = {
      records: this.records.slice(0, end),
      lines: this.lines.slice(0, end),
    };
    // Keep only what is left (less than a chunk): the queue must not grow with the file.
    this.records = this.records.slice(end);
    this.lines = this.lines.slice(end);
    return batch;
  }

  /** Reads one chunk and splits it; errors are kept for after the records already split. */
  private async fill(): Promise<void> {
    const fh = this.fh;
    if (fh === undefined || this.closed) {
      this.eof = true;
      return;
    }
    let text: string;
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(this.buffer, 0, CHUNK_BYTES, null));
    } catch (err) {
      this.fail(new InputError(describeFileError(err), { file: this.file }));
      return;
    }
    try {
      text =
        n === 0 ? this.decoder.decode() : this.decoder.decode(this.buffer.subarray(0, n), { stream: true });
    } catch {
      if (n === 0) {
        this.fail(
          new InputError(`${notUtf8Message()} (the file ends inside a character)`, {
            file: this.file,
            line: this.splitter.pendingLine(),
          }),
        );
      } else this.fail(new InputError(notUtf8Message(), { file: this.file, line: this.badByteLine(n) }));
      return;
    }
    try {
      if (text.length > 0) this.splitter.push(text, this.records, this.lines);
      if (n === 0) {
        this.splitter.end(this.records, this.lines);
        this.eof = true;
        await this.release();
      }
    } catch (err) {
      this.fail(err); // named with the header when thrown (it may be read while looking for it)
    }
  }

  /** Line of the first invalid byte in the chunk just read (the decoder refused it). */
  private badByteLine(n: number): number {
    const chunk = this.buffer.subarray(0, n);
    // Continuation bytes at the start finish a character begun in the previous chunk.
    let skip = 0;
    while (skip < 3 && skip < n && ((chunk[skip] as number) & 0xc0) === 0x80) skip++;
    const rest = chunk.subarray(skip);
    const at = firstInvalidUtf8(rest);
    const within = at >= rest.length ? 0 : lineAt(rest, at) - 1;
    return this.splitter.pendingLine() + within;
  }

  private fail(err: unknown): void {
    this.failure = err;
    void this.release();
  }

  private async release(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.records = [];
    this.lines = [];
    await this.release();
  }
}

function syntaxError(file: string, err: unknown, header: readonly string[]): unknown {
  if (!(err instanceof CsvSyntaxError)) return err;
  const field = header[err.index];
  return new InputError(describeCsvError(err.code), { file, line: err.line, ...(field ? { field } : {}) });
}

/**
 * Reads a CSV file as batches of records, streaming: memory stays at one batch.
 *
 * @example
 * const csv = await CsvFileReader.open('/data/users.csv');
 * const id = csv.column('user_id');
 * for (let b = await csv.read(5000); b.records.length > 0; b = await csv.read(5000)) { … }
 */
export class CsvFileReader {
  readonly header: string[];
  /** Line of the header record. */
  readonly headerLine: number;
  private readonly byName = new Map<string, number>();
  /** The last record handed out and its line: checked for a cut-off end once the file has ended. */
  private last: { record: string[]; line: number } | undefined;
  private endChecked = false;

  private constructor(
    readonly file: string,
    private readonly source: RecordSource,
    header: string[],
    headerLine: number,
  ) {
    this.header = header;
    this.headerLine = headerLine;
    header.forEach((name, i) => {
      const key = name.toLowerCase();
      if (!this.byName.has(key)) this.byName.set(key, i);
    });
  }

  /**
   * Open `path` and read its header. Missing or empty file → InputError naming it.
   * `options.delimiter` reads tab- or semicolon-separated files; `options.columns` reads a file
   * without a header line (SAP table extracts): its first record is data, named by these columns.
   */
  static async open(path: string, options: CsvOpenOptions = {}): Promise<CsvFileReader> {
    const source = new RecordSource(path, options.encoding, options.delimiter);
    try {
      await source.open();
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(describeFileError(err), { file: path });
    }
    if (options.columns) return new CsvFileReader(path, source, [...options.columns], 0);
    try {
      for (;;) {
        const b = await source.take(1, []);
        const r = b.records[0];
        if (r === undefined)
          throw new InputError('the file is empty: expected a header line', { file: path });
        if (isBlank(r)) continue;
        return new CsvFileReader(
          path,
          source,
          r.map((h) => h.trim()),
          b.lines[0] as number,
        );
      }
    } catch (err) {
      await source.close();
      throw err;
    }
  }

  /** Index of a column by name (case-insensitive), or -1. */
  column(name: string): number {
    return this.byName.get(name.trim().toLowerCase()) ?? -1;
  }

  /** Up to `max` records; an empty batch at the end of the file. */
  async read(max: number): Promise<CsvBatch> {
    const records: string[][] = [];
    const lines: number[] = [];
    const width = this.header.length;
    while (records.length < max) {
      const b = await this.source.take(max - records.length, this.header);
      if (b.records.length === 0) {
        this.checkEnd();
        break;
      }
      for (let i = 0; i < b.records.length; i++) {
        const r = b.records[i] as string[];
        const line = b.lines[i] as number;
        if (r.length !== width) {
          if (isBlank(r)) continue;
          throw new InputError(`expected ${width} fields as in the header, found ${r.length}`, {
            file: this.file,
            line,
          });
        }
        records.push(r);
        lines.push(line);
      }
      const at = records.length - 1;
      if (at >= 0) this.last = { record: records[at] as string[], line: lines[at] as number };
    }
    return { records, lines };
  }

  /** At the end of the file: refuse a last record that looks cut off (see {@link cutOffMessage}). */
  private checkEnd(): void {
    if (this.endChecked) return;
    this.endChecked = true;
    const message = this.last ? cutOffMessage(this.last.record, this.source.lastChar) : undefined;
    if (message && this.last) throw new InputError(message, { file: this.file, line: this.last.line });
  }

  /** Skip `n` records (resuming a collection in a new process). */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const b = await this.read(Math.min(left, 10_000));
      if (b.records.length === 0) return;
      left -= b.records.length;
    }
  }

  /** Releases the file: call it whenever the reader is left before its end. */
  async close(): Promise<void> {
    await this.source.close();
  }
}

/**
 * Why the last record of a file looks cut off, or undefined. A file that ends without a line break
 * right after a delimiter (`SVC_PAYROLL_IFACE,R-HR-MASTER,`) was cut mid-record: the empty last
 * field is where the rest of the record was, and taking it as complete would resolve findings.
 */
export function cutOffMessage(record: readonly string[], lastChar: string): string | undefined {
  if (lastChar === '\n' || lastChar === '\r' || lastChar === '') return undefined;
  if (record.length < 2 || record[record.length - 1] !== '') return undefined;
  return 'the file ends inside this record (no line break after it and its last field is empty): it looks cut off; export it again';
}

/** A whole CSV text parsed at once (small inputs: credential reports). */
export interface CsvText {
  header: string[];
  headerLine: number;
  records: string[][];
  lines: number[];
  column(name: string): number;
}

/**
 * Parse CSV text held in memory, with the same rules and errors as {@link CsvFileReader}.
 *
 * @example
 * const csv = parseCsvText(text, 'credential-report.csv');
 * csv.records.forEach((r, i) => console.log(csv.lines[i], r[csv.column('arn')]));
 */
export function parseCsvText(text: string, file: string): CsvText {
  const all: string[][] = [];
  const starts: number[] = [];
  try {
    const splitter = new CsvSplitter();
    splitter.push(text, all, starts);
    splitter.end(all, starts);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new InputError(describeCsvError(err.code), { file, line: err.line });
  }
  let h = 0;
  while (h < all.length && isBlank(all[h] as string[])) h++;
  const headerRecord = all[h];
  if (headerRecord === undefined) throw new InputError('the file is empty: expected a header line', { file });
  const header = headerRecord.map((x) => x.trim());
  const records: string[][] = [];
  const lines: number[] = [];
  for (let i = h + 1; i < all.length; i++) {
    const r = all[i] as string[];
    const line = starts[i] as number;
    if (r.length !== header.length) {
      if (isBlank(r)) continue;
      throw new InputError(`expected ${header.length} fields as in the header, found ${r.length}`, {
        file,
        line,
      });
    }
    records.push(r);
    lines.push(line);
  }
  const lastRecord = records[records.length - 1];
  const cutOff = lastRecord ? cutOffMessage(lastRecord, text.slice(-1)) : undefined;
  if (cutOff) throw new InputError(cutOff, { file, line: lines[lines.length - 1] as number });
  const byName = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.toLowerCase();
    if (!byName.has(key)) byName.set(key, i);
  });
  return {
    header,
    headerLine: starts[h] as number,
    records,
    lines,
    column: (name) => byName.get(name.trim().toLowerCase()) ?? -1,
  };
}
