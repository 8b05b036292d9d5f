/**
 * ISO 8601 timestamps as exports write them, normalized to `Date.prototype.toISOString()` form.
 *
 * Hand-written instead of a regex or `Date.parse` because it runs once per CSV row (millions of
 * rows) and because `Date.parse` accepts forms an auditor could not interpret the same way
 * (local times without a zone, `2024-02-30` rolling over to March).
 */

const DIGIT_0 = 48;

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - DIGIT_0;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Years an access record can honestly carry: nothing in these systems predates the Unix epoch,
 * and a year past 2100 (or 0000, 9999) is a placeholder or a typo, not an instant to reason with.
 */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2100;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month === 2 && (year % 4 === 0 ? year % 100 !== 0 || year % 400 === 0 : false)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Parse `YYYY-MM-DD` (midnight UTC, a real calendar date with year 1970–2100), or `YYYY-MM-DD[T ]HH:MM[:SS[.fff…]]` followed by `Z` or an
 * offset (`+00:00`, `+0000`, `+00`). Returns the instant as `toISOString()` text, or `undefined`
 * when the text is not such a time (a date-time without a zone is refused: it names no instant).
 *
 * @example
 * parseIsoInstant('2022-08-07 12:56:48+00:00'); // '2022-08-07T12:56:48.000Z'
 * parseIsoInstant('2024-03-01');                // '2024-03-01T00:00:00.000Z'
 * parseIsoInstant('2024-03-01T10:00:00');       // undefined
 */
export function parseIsoInstant(text: string): string | undefined {
  const s =
    text.length > 0 && (text.charCodeAt(0) === 32 || text.charCodeAt(text.length - 1) === 32)
      ? text.trim()
      : text;
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (year < MIN_YEAR || year > MAX_YEAR) return undefined;
  const datePart = `${s.slice(0, 10)}T`;
  if (s.length === 10) return `${datePart}00:00:00.000Z`;

  const sep = s.charCodeAt(10);
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) return undefined;
  const hour = digits(s, 11, 2);
  if (s.charCodeAt(13) !== 58 /* : */) return undefined;
  const minute = digits(s, 14, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return undefined;
  let i = 16;
  let second = 0;
  let ms = 0;
  if (s.charCodeAt(i) === 58) {
    second = digits(s, i + 1, 2);
    if (second < 0 || second > 59) return undefined;
    i += 3;
    if (s.charCodeAt(i) === 46 /* . */ || s.charCodeAt(i) === 44 /* , */) {
      i += 1;
      const start = i;
      let scale = 100;
      while (i < s.length) {
        const d = s.charCodeAt(i) - DIGIT_0;
        if (d < 0 || d > 9) break;
        ms += d * scale; // digits after the third are dropped: the model keeps milliseconds
        scale /= 10;
        i += 1;
      }
      if (i === start) return undefined;
      ms = Math.floor(ms);
    }
  }

  // Zone designator: required.
  let offsetMinutes: number;
  const z = s.charCodeAt(i);
  if ((z === 90 /* Z */ || z === 122) && i + 1 === s.length) {
    offsetMinutes = 0;
  } else if (z === 43 /* + */ || z === 45 /* - */) {
    const rest = s.length - i - 1;
    const oh = digits(s, i + 1, 2);
    let om = 0;
    if (rest === 5 && s.charCodeAt(i + 3) === 58) om = digits(s, i + 4, 2);
    else if (rest === 4) om = digits(s, i + 3, 2);
    else if (rest !== 2) return undefined;
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMinutes = (z === 45 ? -1 : 1) * (oh * 60 + om);
  } else {
    return undefined;
  }

  if (offsetMinutes === 0) {
    return `${datePart}${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`;
  }
  // Date.UTC maps years 0–99 to 1900–1999: set the full year separately so it never does.
  const d = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  d.setUTCFullYear(year, month - 1, day);
  return new Date(d.getTime() - offsetMinutes * 60_000).toISOString();
}

/** Distinct texts a parser remembers before it starts over (a guard against a column of unique times). */
const INSTANT_MEMO_LIMIT = 4096;

/**
 * A parser that remembers what it parsed: export columns such as `granted_at` repeat a few values
 * over millions of rows, in no particular order. A repeated text skips the work and returns the
 * very string it returned before, so millions of grants share a handful of date strings instead
 * of carrying one each (70 MB at the bench's 2M grants).
 */
export function createInstantParser(): (text: string) => string | undefined {
  let lastIn = '';
  let lastOut: string | undefined;
  const memo = new Map<string, string | undefined>();
  return (text) => {
    if (text === lastIn) return lastOut;
    let out = memo.get(text);
    if (out === undefined && !memo.has(text)) {
      out = parseIsoInstant(text);
      if (memo.size >= INSTANT_MEMO_LIMIT) memo.clear();
      memo.set(text, out);
    }
    lastIn = text;
    lastOut = out;
    return out;
  };
}
