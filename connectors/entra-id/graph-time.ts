/**
 * Graph timestamps, normalized to `toISOString()` form.
 *
 * Graph's documentation (and, at times, Graph itself) writes times the shared ISO parser refuses:
 * one-digit offset hours (`2021-03-01T00:00:00-8:00`), seven fractional digits, an empty string
 * or `0001-01-01T00:00:00Z` for "never". Those are fixed up here before the strict parse.
 */
import { parseIsoInstant } from '../shared/iso-date';

/** Values Graph uses for "no time": they mean the event never happened, not an error. */
function isNever(text: string): boolean {
  return text.length === 0 || text.startsWith('0001-01-01');
}

/**
 * Parse a Graph DateTimeOffset. Returns `undefined` for null, `''` and `0001-01-01…`; `null` for
 * text that is not a time (the caller reports where).
 *
 * @example
 * parseGraphTime('2021-03-01T00:00:00-8:00'); // '2021-03-01T08:00:00.000Z'
 * parseGraphTime('');                        // undefined
 */
export function parseGraphTime(value: string | null | undefined): string | undefined | null {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (isNever(text)) return undefined;
  // `-8:00` → `-08:00`: a one-digit offset hour, as in the sign-in activity report examples.
  const fixed = text.replace(/([+-])(\d):(\d\d)$/, '$10$2:$3');
  // A zone-less time is UTC in Graph (DateTimeOffset values are always UTC).
  const zoned = /(Z|[+-]\d\d:?\d\d)$/i.test(fixed) || fixed.length === 10 ? fixed : `${fixed}Z`;
  return parseIsoInstant(zoned) ?? null;
}

/** The later of two ISO instants (either may be missing). */
export function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a >= b ? a : b;
}
