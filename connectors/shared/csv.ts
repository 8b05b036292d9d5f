/**
 * CSV reading shared by the file-mode connectors: csv-parse underneath, with the physical line
 * where each record starts (a quoted field may span lines), so every error names file and line.
 *
 * Accepts a UTF-8 BOM, CRLF or LF, quoted fields holding commas, quotes and newlines, and blank
 * lines (skipped). A record whose field count differs from the header's is an error.
 */

import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { type CsvError, type Parser, parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { InputError } from '../../core/errors';
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

/** Counts physical lines: a record spans 1 + the newlines inside its quoted fields. */
class LineCounter {
  next = 1;
  /** Returns the line the record starts on and moves past it. */
  advance(record: readonly string[]): number {
    const start = this.next;
    let span = 1;
    for (let i = 0; i < record.length; i++) {
      const f = record[i] as string;
      // indexOf first: almost no field holds a newline, and the loop below is then skipped.
      let at = f.indexOf('\n');
      while (at !== -1) {
        span += 1;
        at = f.indexOf('\n', at + 1);
      }
    }
    this.next += span;
    return start;
  }
}

/** A blank (or whitespace-only) line parses as one field; real records of our files have at least two. */
function isBlank(record: readonly string[]): boolean {
  return record.length === 1 && (record[0] === '' || (record[0] as string).trim() === '');
}

const PARSE_OPTIONS = { bom: true, relax_column_count: true } as const;
type ParseOptions = typeof PARSE_OPTIONS & { delimiter?: string; encoding?: InputEncoding | undefined };

/** csv-parse's options: ours without the encoding (the text reaching csv-parse is already decoded). */
function csvParseOptions(options: ParseOptions): Omit<ParseOptions, 'encoding'> {
  const { encoding: _encoding, ...rest } = options;
  return rest;
}

function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (truncated file or stray quote)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by text instead of a comma or line end';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote appears inside an unquoted field (quote the whole field and double its quotes)';
    default:
      return `malformed CSV (${err.code})`;
  }
}

function isCsvError(err: unknown): err is CsvError {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && 'lines' in err;
}

function headerField(header: readonly string[], index: unknown): string | undefined {
  return typeof index === 'number' ? header[index] : undefined;
}

/**
 * Pulls records from a csv-parse stream with `read()`: a promise per record (async iteration)
 * costs more than the parsing itself at millions of rows.
 */
class RecordSource {
  private ended = false;
  private error: unknown;

  constructor(
    readonly file: string,
    private readonly stream: Parser,
    private readonly options: ParseOptions = PARSE_OPTIONS,
    /** The file's last character, known once the stream has ended. */
    readonly tail: FileTail = { last: '' },
  ) {
    stream.on('end', () => {
      this.ended = true;
    });
    stream.on('error', (err: unknown) => {
      this.error = err;
    });
  }

  /** The next record, or undefined at the end of the file. */
  async next(header: readonly string[]): Promise<string[] | undefined> {
    for (;;) {
      const r = this.stream.read() as string[] | null;
      if (r !== null) return r;
      if (this.error !== undefined) throw await inputErrorOf(this.file, this.error, header, this.options);
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('readable', done);
          this.stream.off('end', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('readable', done);
        this.stream.on('end', done);
        this.stream.on('error', done);
      });
    }
  }

  close(): void {
    this.stream.destroy();
  }
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
    private readonly counter: LineCounter,
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
    try {
      const s = await stat(path);
      if (!s.isFile()) throw new InputError('not a file', { file: path });
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(describeFileError(err), { file: path });
    }
    const parseOptions: ParseOptions = {
      ...PARSE_OPTIONS,
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
      ...(options.encoding ? { encoding: options.encoding } : {}),
    };
    const tail: FileTail = { last: '' };
    const source = new RecordSource(
      path,
      parseFile(path, parse(csvParseOptions(parseOptions)), tail, parseOptions.encoding),
      parseOptions,
      tail,
    );
    const counter = new LineCounter();
    if (options.columns) return new CsvFileReader(path, source, counter, [...options.columns], 0);
    for (;;) {
      const r = await source.next([]);
      if (r === undefined) {
        source.close();
        throw new InputError('the file is empty: expected a header line', { file: path });
      }
      const line = counter.advance(r);
      if (isBlank(r)) continue;
      return new CsvFileReader(
        path,
        source,
        counter,
        r.map((h) => h.trim()),
        line,
      );
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
      const r = await this.source.next(this.header);
      if (r === undefined) {
        this.checkEnd();
        break;
      }
      const line = this.counter.advance(r);
      if (r.length !== width) {
        if (isBlank(r)) continue;
        throw new InputError(`expected ${width} fields as in the header, found ${r.length}`, {
          file: this.file,
          line,
        });
      }
      records.push(r);
      lines.push(line);
      this.last = { record: r, line };
    }
    return { records, lines };
  }

  /** At the end of the file: refuse a last record that looks cut off (see {@link cutOffMessage}). */
  private checkEnd(): void {
    if (this.endChecked) return;
    this.endChecked = true;
    const message = this.last ? cutOffMessage(this.last.record, this.source.tail.last) : undefined;
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

  async close(): Promise<void> {
    this.source.close();
  }
}

async function inputErrorOf(
  file: string,
  err: unknown,
  header: readonly string[],
  options: ParseOptions = PARSE_OPTIONS,
): Promise<InputError> {
  if (!isCsvError(err)) {
    return new InputError(describeFileError(err), { file });
  }
  // The stream drops records it had parsed but not yet handed out when it fails, so the line we
  // counted is behind: parse the file again, counting in csv-parse's own callback, to find it.
  const where = await locateCsvError(file, options);
  const field = headerField(header, (err as { index?: unknown }).index);
  return new InputError(describeCsvError(err), {
    file,
    ...(where !== undefined ? { line: where } : {}),
    ...(field ? { field } : {}),
  });
}

/** The last character of a file, as its text streams past. */
interface FileTail {
  last: string;
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

/** Feeds the file to the parser; `pipe` does not pass read errors on, so they are forwarded by hand. */
function parseFile(path: string, parser: Parser, tail?: FileTail, encoding?: InputEncoding): Parser {
  // Regular files only (a FIFO would block the open, /dev/zero never end), within the size limit.
  void openInputFile(path, 'export').then(
    (fh) => {
      const file = fh.createReadStream({ highWaterMark: 1 << 20 });
      file.on('error', (err) => parser.destroy(err));
      file
        .pipe(utf8Checked(path, tail, encoding))
        .on('error', (err) => parser.destroy(err))
        .pipe(parser);
    },
    (err) => parser.destroy(err),
  );
  return parser;
}

/**
 * Bytes to text for csv-parse, refusing invalid UTF-8 with the file and line (csv-parse would
 * put U+FFFD in its place and the mangled name would be sealed).
 */
function utf8Checked(path: string, tail?: FileTail, encoding: InputEncoding = 'utf-8'): Transform {
  // A declared single-byte encoding decodes every byte: nothing to refuse.
  const decoder =
    encoding === 'utf-8'
      ? new TextDecoder('utf-8', { fatal: true })
      : new TextDecoder(encoding === 'latin1' ? 'iso-8859-1' : encoding);
  let line = 1;
  let pending = new Uint8Array(0);
  return new Transform({
    readableObjectMode: false,
    transform(chunk: Buffer, _enc, done) {
      try {
        const text = decoder.decode(chunk, { stream: true });
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) line++;
        pending = new Uint8Array(0);
        if (tail && text.length > 0) tail.last = text[text.length - 1] as string;
        done(null, text);
      } catch {
        const joined = Buffer.concat([pending, chunk]);
        done(
          new InputError(notUtf8Message(), {
            file: path,
            line: line - 1 + lineAt(joined, firstInvalidUtf8(joined)),
          }),
        );
      }
    },
    flush(done) {
      try {
        done(null, decoder.decode());
      } catch {
        done(new InputError(`${notUtf8Message()} (the file ends inside a character)`, { file: path, line }));
      }
    },
  });
}

/** The line where the record that fails to parse starts. */
async function locateCsvError(
  file: string,
  options: ParseOptions = PARSE_OPTIONS,
): Promise<number | undefined> {
  const counter = new LineCounter();
  const stream = parseFile(
    file,
    parse({
      ...csvParseOptions(options),
      on_record: (r: string[]) => {
        counter.advance(r);
        return r;
      },
    }),
    undefined,
    options.encoding,
  );
  try {
    for await (const _ of stream) {
      // counting happens in on_record, before the stream buffers the record
    }
  } catch {
    return counter.next;
  }
  return undefined;
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
  const counter = new LineCounter();
  const starts: number[] = [];
  let all: string[][];
  try {
    all = parseSync(text, {
      ...PARSE_OPTIONS,
      on_record: (r: string[]) => {
        starts.push(counter.advance(r));
        return r;
      },
    }) as string[][];
  } catch (err) {
    if (!isCsvError(err)) throw err;
    throw new InputError(describeCsvError(err), { file, line: counter.next });
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
