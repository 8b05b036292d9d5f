import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCredentialReport } from '../../../../connectors/aws-iam/credential-report';
import { InputError } from '../../../../core/errors';

const FIXTURES = new URL('../../../fixtures/aws/', import.meta.url).pathname;
const read = (name: string) => readFileSync(`${FIXTURES}${name}`, 'utf8');

describe('parseCredentialReport', () => {
  it('skips <root_account> (even with an access key), keeps its ARN, and reads N/A / no_information as absent', () => {
    // Act
    const report = parseCredentialReport(read('credential-report-b.csv'), 'b.csv');

    // Assert
    expect(report.rootArn).toBe('arn:aws:iam::619193117841:root');
    expect(report.rows.map((r) => r.user)).toEqual([
      'charmworld',
      'Hazmat',
      'kaleb',
      'kapilt',
      'rome',
      'syracuse',
      'tyre',
    ]);
    const kaleb = report.rows.find((r) => r.user === 'kaleb');
    expect(kaleb).toMatchObject({
      passwordEnabled: true,
      passwordLastChanged: '2016-07-05T23:59:36.000Z',
      line: 5,
    });
    expect(kaleb?.passwordLastUsed).toBeUndefined(); // no_information
    expect(report.rows.find((r) => r.user === 'syracuse')?.accessKeys[0]).toEqual({
      slot: 1,
      active: true,
      lastRotated: '2016-11-25T14:21:05.000Z',
      lastUsedDate: '2016-11-25T14:22:00.000Z',
      lastUsedService: 's3', // region N/A is absent
    });
  });

  it('keeps one row per ARN (the later) and records the duplicate lines', () => {
    // Act
    const report = parseCredentialReport(read('credential-report-a.csv'), 'a.csv');

    // Assert
    expect(report.rows).toHaveLength(19);
    expect(report.duplicates).toEqual([
      { arn: 'arn:aws:iam::644160558196:user/christopher', lines: [9, 10] },
    ]);
    expect(report.rows.find((r) => r.user === 'christopher')?.passwordLastUsed).toBe(
      '2016-11-21T14:42:22.000Z',
    );
  });

  it('a bad date → InputError with file, line and column', () => {
    // Arrange
    const text = read('credential-report-b.csv').replace('2016-11-25T09:38:00+00:00', 'yesterday');

    // Act
    const err = (() => {
      try {
        parseCredentialReport(text, 'b.csv');
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location).toEqual({
      file: 'b.csv',
      line: 7,
      field: 'access_key_1_last_used_date',
    });
  });

  it('a report without the key columns → InputError naming the first one missing', () => {
    // Act
    const err = (() => {
      try {
        parseCredentialReport('user,arn\nx,arn:aws:iam::1:user/x\n', 'r.csv');
      } catch (e) {
        return e;
      }
    })();

    // Assert
    expect((err as InputError).location).toEqual({ file: 'r.csv', line: 1, field: 'user_creation_time' });
  });
});
