/**
 * The splitter against csv-parse on random CSV: same records and the same starting lines on every
 * file both accept, the same error on the ones they refuse, however the text is cut into pushes.
 */
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvSplitter, CsvSyntaxError } from '../../../../connectors/shared/csv-splitter';

/** csv-parse's answer, with each record's line counted as the old reader did (1 + its newlines). */
function reference(text: string, delimiter: string): { records: string[][]; lines: number[] } | string {
  try {
    const records = parse(text, { bom: true, relax_column_count: true, delimiter }) as string[][];
    const lines: number[] = [];
    let next = 1;
    for (const r of records) {
      lines.push(next);
      next += 1 + r.reduce((n, f) => n + (f.split('\n').length - 1), 0);
    }
    return { records, lines };
  } catch (err) {
    return (err as { code: string }).code;
  }
}

/** Ours, the text pushed in the pieces `cuts` makes. */
function ours(
  text: string,
  delimiter: string,
  cuts: number[],
): { records: string[][]; lines: number[] } | string {
  const s = new CsvSplitter(delimiter);
  const records: string[][] = [];
  const lines: number[] = [];
  try {
    let at = 0;
    for (const c of [...cuts].sort((a, b) => a - b)) {
      const to = Math.min(text.length, c);
      if (to > at) s.push(text.slice(at, to), records, lines);
      at = Math.max(at, to);
    }
    s.push(text.slice(at), records, lines);
    s.end(records, lines);
    return { records, lines };
  } catch (err) {
    if (err instanceof CsvSyntaxError) return err.code;
    throw err;
  }
}

const plainChar = fc.constantFrom('a', 'b', 'Z', '0', '9', ' ', '-', '.', '@', 'é', 'ß', '€', '😀', '_');

/** A field, quoted or not; a quoted one may hold delimiters, quotes and `breaks`. */
const field = (breaks: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(plainChar, { maxLength: 8 }).map((cs) => cs.join('')) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.oneof(plainChar, fc.constantFrom(',', ';', '\t', '"', "'", ...breaks)), { maxLength: 8 })
        .map((cs) => `"${cs.join('').replaceAll('"', '""')}"`),
    },
  );

/**
 * A CSV file. With `uniform`, quoted fields break lines only as the file does: csv-parse takes
 * the first line break it meets as the only one, so once a stray quote moves text out of a quoted
 * field, a file mixing breaks reads differently there (we end a record at any of them).
 */
const csvFile = (uniform: boolean) =>
  fc
    .record({
      delimiter: fc.constantFrom(',', ';', '\t'),
      eol: fc.constantFrom('\n', '\r\n'),
      bom: fc.boolean(),
      trailingEol: fc.boolean(),
    })
    .chain(({ eol, ...rest }) =>
      fc
        .array(fc.array(field(uniform ? [eol] : ['\n', '\r\n']), { minLength: 1, maxLength: 5 }), {
          maxLength: 12,
        })
        .map((rows) => ({ ...rest, eol, rows })),
    )
    .map(({ delimiter, eol, bom, trailingEol, rows }) => {
      const body = rows.map((r) => r.join(delimiter)).join(eol);
      return { delimiter, text: `${bom ? '\ufeff' : ''}${body}${trailingEol && rows.length > 0 ? eol : ''}` };
    });

const cuts = fc.array(fc.nat({ max: 400 }), { maxLength: 6 });

describe('CsvSplitter matches csv-parse', () => {
  it('on random well-formed CSV (quotes, delimiters and line breaks in fields, BOM, CRLF), cut anywhere', () => {
    fc.assert(
      fc.property(csvFile(false), cuts, ({ delimiter, text }, at) => {
        expect(ours(text, delimiter, at)).toEqual(reference(text, delimiter));
      }),
      { numRuns: 400 },
    );
  });

  it('on random CSV with a stray quote inserted: the same records or the same error', () => {
    fc.assert(
      fc.property(csvFile(true), fc.nat(), cuts, ({ delimiter, text }, where, at) => {
        let i = text.length === 0 ? 0 : where % text.length;
        // Not between CR and LF: csv-parse would then take the lone CR as the only line break.
        if (text[i - 1] === '\r') i++;
        const broken = `${text.slice(0, i)}"${text.slice(i)}`;
        expect(ours(broken, delimiter, at)).toEqual(reference(broken, delimiter));
      }),
      { numRuns: 400 },
    );
  });

  it('names the line where a malformed record starts and the index of its field', () => {
    const s = new CsvSplitter();
    const err = (() => {
      try {
        s.push('a,b\n"x\ny",1\nz,"q"w\n', [], []);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CsvSyntaxError);
    expect(err).toMatchObject({ code: 'CSV_INVALID_CLOSING_QUOTE', line: 4, index: 1 });
  });

  it('ends a record at a lone CR and at LF or CRLF in one file, counting each as a line', () => {
    const records: string[][] = [];
    const lines: number[] = [];
    const s = new CsvSplitter();
    s.push('a,b\rc,d\r', records, lines);
    s.push('\ne,f\ng,"h\ri"\r', records, lines);
    s.end(records, lines);
    expect(records).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
      ['g', 'h\ri'],
    ]);
    expect(lines).toEqual([1, 2, 3, 4]);
  });
});
