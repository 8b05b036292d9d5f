import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bulkCsvToRecords } from '../../../../connectors/salesforce/bulk-csv';
import {
  parseRecords,
  queryResult,
  toIsoDateTime,
  userRecord,
} from '../../../../connectors/salesforce/records';
import { InputError, SourceError } from '../../../../core/errors';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '../../../fixtures/salesforce/public', name), 'utf8'));

describe('toIsoDateTime', () => {
  it.each([
    ['2011-07-07T00:37:00.000+0000', '2011-07-07T00:37:00.000Z'],
    ['2026-09-30T10:00:00.000+0200', '2026-09-30T08:00:00.000Z'],
    ['2026-09-30T10:00:00Z', '2026-09-30T10:00:00.000Z'],
    ['2010-01-01', '2010-01-01T00:00:00.000Z'],
  ])('reads %s', (input, expected) => {
    // Act / Assert
    expect(toIsoDateTime(input)).toBe(expected);
  });

  it('refuses what is not a date-time', () => {
    // Act / Assert
    expect(toIsoDateTime('yesterday')).toBeUndefined();
  });
});

describe('query result pages (recorded shapes)', () => {
  it.each([
    'query-response-with-nextrecordsurl.json',
    'query-more-response.json',
    'query-response-single-page.json',
  ])('accepts %s', (name) => {
    // Act
    const page = queryResult.parse(fixture(name));
    // Assert
    expect(page.records.length).toBeGreaterThan(0);
  });

  it('keeps nextRecordsUrl of a first page', () => {
    // Act
    const page = queryResult.parse(fixture('query-response-with-nextrecordsurl.json'));
    // Assert
    expect(page).toMatchObject({
      done: false,
      totalSize: 2,
      nextRecordsUrl: '/services/data/v38.0/query/01gD',
    });
  });
});

describe('parseRecords', () => {
  it('names the file and field of a bad saved record', () => {
    // Act
    const act = () => parseRecords(userRecord, [{ Id: '005A' }], { file: '/x/users.json' });
    // Assert
    expect(act).toThrow(InputError);
    expect(act).toThrow('/x/users.json (records[0].Username)');
  });

  it('names operation and page of a bad API record', () => {
    // Act
    const act = () =>
      parseRecords(
        userRecord,
        [{ Id: '005A', Username: 'a', LastLoginDate: 'soon' }],
        {
          operation: 'SOQL User',
          page: 3,
        },
        40,
      );
    // Assert
    expect(act).toThrow(SourceError);
    expect(act).toThrow(/^SOQL User page 3: records\[40\]\.LastLoginDate: not a date-time/);
  });
});

describe('bulkCsvToRecords', () => {
  it('turns dotted headers into relationship objects, empty cells into null, and reads CSV booleans', () => {
    // Arrange
    const csv = [
      '"Id","Username","IsActive","LastLoginDate","Profile.Name","Profile.UserLicense.Name","ManagerId"',
      '"005A","a@x.com","true","2026-09-01T10:00:00.000Z","Standard, EMEA","Salesforce",""',
    ].join('\n');

    // Act
    const [raw] = bulkCsvToRecords(csv, 'Bulk2 User', 1);
    const user = userRecord.parse(raw);

    // Assert
    expect(raw).toMatchObject({
      Profile: { Name: 'Standard, EMEA', UserLicense: { Name: 'Salesforce' } },
      ManagerId: null,
    });
    expect(user).toMatchObject({
      IsActive: true,
      LastLoginDate: '2026-09-01T10:00:00.000Z',
      ManagerId: undefined,
    });
  });

  it('reports broken CSV as a failed page', () => {
    // Act / Assert
    expect(() => bulkCsvToRecords('"Id","Name"\n"005A","unterminated\n', 'Bulk2 User', 2)).toThrow(
      /^Bulk2 User page 2: Bulk API 2.0 results are not valid CSV/,
    );
  });
});
