import { describe, expect, it } from 'vitest';
import { later, parseGraphTime } from '../../../../connectors/entra-id/graph-time';

describe('parseGraphTime', () => {
  it('reads the documented one-digit offset hour as a real offset', () => {
    // Arrange: the sign-in activity report examples write `-8:00`, which RFC 3339 does not allow
    const text = '2021-03-01T00:00:00-8:00';

    // Act
    const at = parseGraphTime(text);

    // Assert
    expect(at).toBe('2021-03-01T08:00:00.000Z');
  });

  it('keeps milliseconds of seven-digit fractions', () => {
    expect(parseGraphTime('2021-09-09T19:50:29.3086381Z')).toBe('2021-09-09T19:50:29.308Z');
  });

  it.each([[''], ['0001-01-01T00:00:00Z'], [null], [undefined]])('treats %j as never', (value) => {
    expect(parseGraphTime(value)).toBeUndefined();
  });

  it('reads a time without a zone as UTC, as Graph DateTimeOffset values are', () => {
    expect(parseGraphTime('2025-02-13T10:17:05')).toBe('2025-02-13T10:17:05.000Z');
  });

  it('answers null for text that is not a time, so the caller can say where', () => {
    expect(parseGraphTime('yesterday')).toBeNull();
    expect(parseGraphTime('2021-02-30T00:00:00Z')).toBeNull();
  });
});

describe('later', () => {
  it('picks the later instant and tolerates a missing one', () => {
    expect(later('2021-01-01T00:00:00.000Z', '2021-06-01T00:00:00.000Z')).toBe('2021-06-01T00:00:00.000Z');
    expect(later(undefined, '2021-06-01T00:00:00.000Z')).toBe('2021-06-01T00:00:00.000Z');
    expect(later('2021-01-01T00:00:00.000Z', undefined)).toBe('2021-01-01T00:00:00.000Z');
  });
});
