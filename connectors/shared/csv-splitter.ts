/**
 * A streaming CSV splitter, specialised to the exports we read: most records hold no quote, so a
 * record is found with one `indexOf` for its line end and split natively; only a record with a
 * quote goes through the character-by-character state machine. It replaced csv-parse on the file
 * readers (about four times faster on the ERP exports, see docs/benchmarks.md) with the same
 * answers on the files both accept (test/unit/connectors/shared/csv-splitter.test.ts compares them
 * on random CSV).
 *
 * Rules (RFC 4180 plus what real exports do):
 * - a UTF-8 BOM at the start of the text is dropped;
 * - a record ends at `\n`, `\r\n` or a lone `\r` outside quotes (a file may mix them);
 * - a field that starts with `"` is quoted: it may hold the delimiter, `""` (one quote) and line
 *   breaks, kept as they are; after its closing quote comes the delimiter, a line break or the end;
 * - a quote inside an unquoted field is an error (quote the whole field), as is a quote never closed;
 * - a blank line is a record of one empty field (the readers skip it);
 * - every record carries the 1-based physical line it starts on.
 */

export type CsvSyntaxCode = 'CSV_QUOTE_NOT_CLOSED' | 'CSV_INVALID_CLOSING_QUOTE' | 'INVALID_OPENING_QUOTE';

/** A record that cannot be split: its code, the line the record starts on, the field's index. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly code: CsvSyntaxCode,
    readonly line: number,
    readonly index: number,
  ) {
    super(`${code} at line ${line}, field ${index}`);
    this.name = 'CsvSyntaxError';
  }
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
/** Index past any real position: "no quote/CR ahead". */
const NONE = Number.MAX_SAFE_INTEGER;

/** Thrown inside the state machine when the record runs past the text received so far. */
const NEED_MORE = Symbol('need more');

export class CsvSplitter {
  private buf = '';
  /** Line of `buf`'s first character. */
  private line = 1;
  private started = false;
  private ended = false;
  /** The last character of all text pushed (the cut-off check reads it). */
  lastChar = '';
  private readonly delim: number;
  private readonly delimiter: string;

  constructor(delimiter = ',') {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r')
      throw new Error(`unsupported CSV delimiter ${JSON.stringify(delimiter)}`);
    this.delimiter = delimiter;
    this.delim = delimiter.charCodeAt(0);
  }

  /**
   * Split the complete records of `text` (appended to what is left from earlier pushes) into
   * `records`/`lines`. A record not yet ended waits for the next push or {@link end}.
   *
   * @throws CsvSyntaxError for a malformed record (records before it are already in `records`)
   */
  push(text: string, records: string[][], lines: number[]): void {
    if (this.ended) throw new Error('push after end');
    if (text.length === 0) return;
    this.lastChar = text[text.length - 1] as string;
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    this.split(false, records, lines);
  }

  /** The text has ended: split what is left. */
  end(records: string[][], lines: number[]): void {
    if (this.ended) return;
    this.ended = true;
    this.split(true, records, lines);
  }

  /** Line where the text not yet split begins, plus the line breaks held in it (error positions). */
  pendingLine(): number {
    let n = this.line;
    for (let i = this.buf.indexOf('\n'); i !== -1; i = this.buf.indexOf('\n', i + 1)) n++;
    return n;
  }

  private split(final: boolean, records: string[][], lines: number[]): void {
    let buf = this.buf;
    let pos = 0;
    if (!this.started) {
      if (buf.length === 0 && !final) return;
      this.started = true;
      if (buf.charCodeAt(0) === 0xfeff) pos = 1;
    }
    const len = buf.length;
    const delimiter = this.delimiter;
    let line = this.line;
    let nextQuote = -1;
    let nextCr = -1;
    let nextDelim = -1;
    try {
      while (pos < len) {
        const lf = buf.indexOf('\n', pos);
        // `nl` = where the line ends: its LF, or the end of the text received so far.
        const nl = lf === -1 ? len : lf;
        if (nextQuote !== NONE && nextQuote < pos) {
          nextQuote = buf.indexOf('"', pos);
          if (nextQuote === -1) nextQuote = NONE;
        }
        if (nextCr !== NONE && nextCr < pos) {
          nextCr = buf.indexOf('\r', pos);
          if (nextCr === -1) nextCr = NONE;
        }
        if (nextQuote < nl) {
          pos = this.quoted(buf, pos, final, line, records, lines);
          line = this.line;
          continue;
        }
        // No quote before the line end: the record is the line (or up to a lone CR ending it).
        let end: number;
        let next: number;
        if (nextCr < nl) {
          if (nextCr === nl - 1 && lf !== -1) {
            end = nextCr; // CRLF
            next = lf + 1;
          } else if (nextCr === len - 1 && !final) {
            break; // a CR at the end of the text may be half a CRLF
          } else {
            end = nextCr; // a lone CR
            next = nextCr + 1;
          }
        } else {
          if (lf === -1 && !final) break;
          end = nl;
          next = nl + 1;
        }
        // Split by hand: String#split costs about four times more on these short records.
        const record: string[] = [];
        let from = pos;
        for (;;) {
          if (nextDelim !== NONE && nextDelim < from) {
            nextDelim = buf.indexOf(delimiter, from);
            if (nextDelim === -1) nextDelim = NONE;
          }
          if (nextDelim >= end) {
            record.push(buf.slice(from, end));
            break;
          }
          record.push(buf.slice(from, nextDelim));
          from = nextDelim + 1;
        }
        records.push(record);
        lines.push(line);
        line++;
        pos = next;
      }
    } catch (err) {
      if (err !== NEED_MORE) throw err;
    }
    if (pos > 0) buf = pos >= len ? '' : buf.slice(pos);
    this.buf = buf;
    this.line = line;
  }

  /**
   * One record holding a quote, character by character, from `start`. Returns the position after
   * it; throws NEED_MORE (having moved nothing) when the text ends inside it and more may come.
   */
  private quoted(
    buf: string,
    start: number,
    final: boolean,
    line: number,
    records: string[][],
    lines: number[],
  ): number {
    const len = buf.length;
    const delim = this.delim;
    const fields: string[] = [];
    let i = start;
    let breaks = 0;
    for (;;) {
      let value: string;
      if (buf.charCodeAt(i) === QUOTE) {
        i++;
        value = '';
        let from = i;
        for (;;) {
          const q = buf.indexOf('"', i);
          if (q === -1) {
            if (!final) throw NEED_MORE;
            throw new CsvSyntaxError('CSV_QUOTE_NOT_CLOSED', line, fields.length);
          }
          if (q + 1 >= len && !final) throw NEED_MORE;
          if (buf.charCodeAt(q + 1) === QUOTE) {
            value += buf.slice(from, q + 1);
            i = q + 2;
            from = i;
            continue;
          }
          value += buf.slice(from, q);
          i = q + 1;
          break;
        }
        breaks += lineBreaks(value);
        if (i < len) {
          const c = buf.charCodeAt(i);
          if (c !== delim && c !== LF && c !== CR)
            throw new CsvSyntaxError('CSV_INVALID_CLOSING_QUOTE', line, fields.length);
        }
      } else {
        let j = i;
        for (; j < len; j++) {
          const c = buf.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          if (c === QUOTE) throw new CsvSyntaxError('INVALID_OPENING_QUOTE', line, fields.length);
        }
        if (j >= len && !final) throw NEED_MORE;
        value = buf.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (i >= len) break; // end of the text (final)
      const c = buf.charCodeAt(i);
      if (c === delim) {
        i++;
        if (i >= len && !final) throw NEED_MORE;
        if (i >= len) {
          fields.push('');
          break;
        }
        continue;
      }
      if (c === CR) {
        if (i + 1 >= len && !final) throw NEED_MORE;
        i += buf.charCodeAt(i + 1) === LF ? 2 : 1;
      } else i++; // LF
      break;
    }
    records.push(fields);
    lines.push(line);
    this.line = line + 1 + breaks;
    return i;
  }
}

/** Physical line breaks in a quoted value: `\r\n`, `\n` or a lone `\r`. */
function lineBreaks(value: string): number {
  let n = 0;
  let i = value.indexOf('\n');
  while (i !== -1) {
    n++;
    i = value.indexOf('\n', i + 1);
  }
  for (let r = value.indexOf('\r'); r !== -1; r = value.indexOf('\r', r + 1))
    if (value.charCodeAt(r + 1) !== LF) n++;
  return n;
}
