import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvFileReader, parseCsvText } from '../../../../connectors/shared/csv';
import { InputError } from '../../../../core/errors';

const dir = mkdtempSync(join(tmpdir(), 'csv-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function readAll(path: string, batch = 2) {
  const csv = await CsvFileReader.open(path);
  const records: string[][] = [];
  const lines: number[] = [];
  for (let b = await csv.read(batch); b.records.length > 0; b = await csv.read(batch)) {
    records.push(...b.records);
    lines.push(...b.lines);
  }
  await csv.close();
  return { csv, records, lines };
}

const MESSY = '\ufeffId , Name\r\n1,"a, b"\r\n\r\n2,"two\r\nlines"\r\n3,"say ""hi"""\r\n  \r\n4,last';

describe('CsvFileReader', () => {
  it('strips the BOM, trims header names, skips blank lines and gives each record its starting line', async () => {
    // Arrange
    const path = file('messy.csv', MESSY);

    // Act
    const { csv, records, lines } = await readAll(path);

    // Assert
    expect(csv.header).toEqual(['Id', 'Name']);
    expect(csv.column('id')).toBe(0);
    expect(csv.column('NAME')).toBe(1);
    expect(csv.column('missing')).toBe(-1);
    expect(records).toEqual([
      ['1', 'a, b'],
      ['2', 'two\r\nlines'],
      ['3', 'say "hi"'],
      ['4', 'last'],
    ]);
    expect(lines).toEqual([2, 4, 6, 8]);
  });

  it('skip(n) resumes at the same record', async () => {
    // Arrange
    const csv = await CsvFileReader.open(file('skip.csv', MESSY));

    // Act
    await csv.skip(2);
    const b = await csv.read(10);
    await csv.close();

    // Assert
    expect(b.records[0]).toEqual(['3', 'say "hi"']);
    expect(b.lines).toEqual([6, 8]);
  });

  it('an unterminated quote late in a big file → the line where that record starts', async () => {
    // Arrange: enough rows that the stream has parsed records it has not handed out when it fails
    const rows = ['a,b'];
    for (let i = 0; i < 3000; i++) rows.push(i === 1500 ? '"x\r\ny",1' : `${i},x`);
    rows.push('"broken,1', '9,9');
    const path = file('broken.csv', rows.join('\r\n'));

    // Act
    const err = await readAll(path, 100).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toMatchObject({ file: path, line: 3003 });
    expect((err as InputError).message).toMatch(/never closed/);
  });

  it('a field count different from the header → line of the record', async () => {
    // Arrange
    const path = file('width.csv', 'a,b\n1,2\n3,4,5\n');

    // Act
    const err = await readAll(path).catch((e: unknown) => e);

    // Assert
    expect((err as InputError).location).toMatchObject({ file: path, line: 3 });
  });

  it('a last record cut off after a delimiter, without its line break → InputError at its line', async () => {
    // Arrange: assignments.csv cut mid-record, as in issue 11
    const cut = file(
      'cut.csv',
      'user_id,role_id,granted_at\nU1,R-AP,2020-01-01\nSVC_PAYROLL_IFACE,R-HR-MASTER,',
    );
    const whole = file(
      'whole.csv',
      'user_id,role_id,granted_at\nU1,R-AP,2020-01-01\nSVC_PAYROLL_IFACE,R-HR-MASTER,\n',
    );
    const noBreak = file('nobreak.csv', 'user_id,role_id,granted_at\nU1,R-AP,2020-01-01');

    // Act
    const err = await readAll(cut, 1).catch((e: unknown) => e);

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toMatchObject({ file: cut, line: 3 });
    expect((err as InputError).message).toMatch(/cut off/);
    expect((await readAll(whole)).records).toHaveLength(2);
    expect((await readAll(noBreak)).records).toHaveLength(1);
  });

  it('a last record whose quote never closes (file cut inside it) → InputError at its line', async () => {
    // Arrange
    const path = file('cut-quote.csv', 'user_id,role_id,note\nU1,R-AP,ok\nU2,R-HR,"started but');

    // Act
    const err = await readAll(path).catch((e: unknown) => e);

    // Assert
    expect((err as InputError).location).toMatchObject({ file: path, line: 3 });
    expect((err as InputError).message).toMatch(/never closed/);
  });

  it('a missing file and an empty file → InputError naming the file', async () => {
    // Act
    const missing = await CsvFileReader.open(join(dir, 'nope.csv')).catch((e: unknown) => e);
    const empty = await CsvFileReader.open(file('empty.csv', '\ufeff\r\n\r\n')).catch((e: unknown) => e);

    // Assert
    expect((missing as InputError).location.file).toBe(join(dir, 'nope.csv'));
    expect((empty as InputError).message).toMatch(/empty/);
  });
});

describe('CsvFileReader releases its file', () => {
  /** Descriptors of this process open on `path` (Linux). */
  function openOn(path: string): number {
    let n = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
      } catch {
        // closed while listing
      }
    }
    return n;
  }

  it.skipIf(process.platform !== 'linux')(
    'readers closed early, at the end or after an error hold no descriptor',
    async () => {
      // Arrange: a file larger than any read-ahead, so an early close leaves most of it unread
      const rows = ['user_id,role_id,granted_at'];
      for (let i = 0; i < 120_000; i++) rows.push(`U${i},R${i % 97},2024-01-01`);
      const big = file('big.csv', `${rows.join('\n')}\n`);
      const bad = file('bad.csv', `${rows.slice(0, 5000).join('\n')}\n"never closed,1,2\n`);

      // Act: 20 readers left after one batch, 5 closed right after open, 2 read to the end, 3 failing
      for (let i = 0; i < 20; i++) {
        const csv = await CsvFileReader.open(big);
        await csv.read(100);
        await csv.close();
      }
      for (let i = 0; i < 5; i++) await (await CsvFileReader.open(big)).close();
      for (let i = 0; i < 2; i++) await readAll(big, 50_000);
      for (let i = 0; i < 3; i++) await readAll(bad, 1000).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));

      // Assert
      expect(openOn(big)).toBe(0);
      expect(openOn(bad)).toBe(0);
    },
  );
});

describe('parseCsvText', () => {
  it('follows the same rules as the file reader', async () => {
    // Act
    const text = parseCsvText(MESSY, 'messy.csv');
    const fromFile = await readAll(file('same.csv', MESSY));

    // Assert
    expect(text.records).toEqual(fromFile.records);
    expect(text.lines).toEqual(fromFile.lines);
    expect(text.headerLine).toBe(1);
  });

  it('refuses a last record cut off after a delimiter, naming its line', () => {
    // Act
    const err = (() => {
      try {
        parseCsvText('a,b\n1,2\n3,', 'r.csv');
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect((err as InputError).location).toMatchObject({ file: 'r.csv', line: 3 });
  });

  it('names the line of a record whose quote never closes', () => {
    // Act
    const err = (() => {
      try {
        parseCsvText('a,b\n1,2\n"3,4\n5,6\n', 'r.csv');
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect((err as InputError).location).toEqual({ file: 'r.csv', line: 3 });
  });
});
