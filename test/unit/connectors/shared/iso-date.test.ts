import { describe, expect, it } from 'vitest';
import { createInstantParser, parseIsoInstant } from '../../../../connectors/shared/iso-date';

describe('parseIsoInstant', () => {
  it.each([
    ['2022-08-07T12:56:48+00:00', '2022-08-07T12:56:48.000Z'],
    ['2022-08-07T12:56:48Z', '2022-08-07T12:56:48.000Z'],
    ['2022-08-07 12:56:48+00:00', '2022-08-07T12:56:48.000Z'],
    ['2026-09-15T11:20:00+02:00', '2026-09-15T09:20:00.000Z'],
    ['2025-01-02 03:04:05-05:00', '2025-01-02T08:04:05.000Z'],
    ['2025-01-02T03:04:05-0530', '2025-01-02T08:34:05.000Z'],
    ['2025-01-02T03:04:05+01', '2025-01-02T02:04:05.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2024-03-01T10:00Z', '2024-03-01T10:00:00.000Z'],
    ['2024-03-01T10:00:00.123456Z', '2024-03-01T10:00:00.123Z'],
    ['2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    [' 2024-03-01 ', '2024-03-01T00:00:00.000Z'],
  ])('%s → %s', (input, expected) => {
    // Act / Assert
    expect(parseIsoInstant(input)).toBe(expected);
  });

  it.each([
    '',
    'N/A',
    'no_information',
    '2024-03-01T10:00:00', // a local time names no instant
    '2023-02-29', // not a leap year
    '2024-13-01',
    '2024-04-31',
    '2024-03-01T24:00:00Z',
    '2024-03-01T10:60:00Z',
    '30/04/2020',
    '2024-03-01T10:00:00+25:00',
    '2024-03-01T10:00:00Zjunk',
    '20240301',
  ])('refuses %j', (input) => {
    // Act / Assert
    expect(parseIsoInstant(input)).toBeUndefined();
  });
});

describe('createInstantParser', () => {
  it('returns the same answers as parseIsoInstant, repeated values included', () => {
    // Arrange
    const parse = createInstantParser();
    const inputs = ['2024-01-01', '2024-01-01', 'bad', 'bad', '2024-01-01', '2024-01-02T00:00:00+01:00'];

    // Act
    const out = inputs.map(parse);

    // Assert
    expect(out).toEqual(inputs.map(parseIsoInstant));
  });

  it('answers right for values that repeat out of order, bad ones included, past its memory limit', () => {
    // Arrange: a few values interleaved (granted_at by role), then more distinct values than it keeps.
    const parse = createInstantParser();
    const few = ['2024-01-03', 'nope', '2024-01-01', '2024-01-02 10:00:00+02:00', '2024-01-03'];
    const many = Array.from(
      { length: 5000 },
      (_, i) => `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(4, '0')}Z`,
    );
    const inputs = [...few, ...few, ...many, ...few, ...many.slice(0, 100)];

    // Act
    const out = inputs.map(parse);

    // Assert
    expect(out).toEqual(inputs.map(parseIsoInstant));
  });
});

describe('parseIsoInstant: real calendar dates in 1970–2100 (issue 11)', () => {
  it.each([
    '2026-02-30',
    '2026-02-29T10:00:00Z',
    '0000-01-01',
    '9999-12-31T23:59:59Z',
    '1969-12-31T23:59:59Z',
    '2101-01-01',
    '0099-12-31T23:00:00-02:00',
  ])('refuses %s', (text) => {
    expect(parseIsoInstant(text)).toBeUndefined();
  });

  it('keeps the year when an offset moves the instant across a year boundary', () => {
    expect(parseIsoInstant('1999-12-31T23:00:00-02:00')).toBe('2000-01-01T01:00:00.000Z');
    expect(parseIsoInstant('2100-12-31T23:00:00+02:00')).toBe('2100-12-31T21:00:00.000Z');
    expect(parseIsoInstant('1970-01-01T01:00:00+01:00')).toBe('1970-01-01T00:00:00.000Z');
  });
});
