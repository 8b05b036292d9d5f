/**
 * SAP dates and times as table extracts write them. The tables store `DATS` (`YYYYMMDD`) and `TIMS`
 * (`HHMMSS`); SE16N's spreadsheet export and GRC extracts may instead write the user's format
 * (`YYYY-MM-DD`, `DD.MM.YYYY`, `HH:MM:SS`). `00000000` (or empty) means no date and `99991231`
 * means unlimited. `MM/DD/YYYY` and `DD/MM/YYYY` are refused: they cannot be told apart.
 *
 * SAP stores these in the system's time zone without saying which; they are read as UTC days
 * (docs/connectors/sap.md says so), which moves an edge by at most the zone's offset.
 */

export type SapDate =
  | { kind: 'none' }
  | { kind: 'unlimited' }
  /** `iso` is `YYYY-MM-DD`; `ms` its midnight UTC. */
  | { kind: 'date'; iso: string; ms: number };

const NONE: SapDate = { kind: 'none' };
const UNLIMITED: SapDate = { kind: 'unlimited' };

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : (DAYS_IN_MONTH[m - 1] ?? 0));
}

/**
 * Parses a `DATS` value; `undefined` when it is not a date in a form listed above.
 *
 * @example
 * parseSapDate('20260930'); // { kind: 'date', iso: '2026-09-30', ms: 1790726400000 }
 * parseSapDate('00000000'); // { kind: 'none' }
 * parseSapDate('99991231'); // { kind: 'unlimited' }
 */
export function parseSapDate(text: string): SapDate | undefined {
  const t = text.trim();
  if (t === '' || /^0{8}$/.test(t) || t === '0000-00-00' || t === '00.00.0000') return NONE;
  let y: number;
  let m: number;
  let d: number;
  let match = /^(\d{4})(\d{2})(\d{2})$/.exec(t) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (match) {
    y = Number(match[1]);
    m = Number(match[2]);
    d = Number(match[3]);
  } else {
    match = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(t);
    if (!match) return undefined;
    d = Number(match[1]);
    m = Number(match[2]);
    y = Number(match[3]);
  }
  if (y === 9999 && m === 12 && d === 31) return UNLIMITED;
  if (!validDay(y, m, d)) return undefined;
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return { kind: 'date', iso, ms: Date.UTC(y, m - 1, d) };
}

/**
 * Parses a `TIMS` value (`HHMMSS` or `HH:MM:SS`) to milliseconds after midnight; empty is 0.
 *
 * @example
 * parseSapTime('143005'); // 52205000
 */
export function parseSapTime(text: string): number | undefined {
  const t = text.trim();
  if (t === '') return 0;
  const match = /^(\d{2}):?(\d{2}):?(\d{2})$/.exec(t);
  if (!match) return undefined;
  const [h, m, s] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (h > 23 || m > 59 || s > 59) return undefined;
  return ((h * 60 + m) * 60 + s) * 1000;
}

/** The first instant of the day after `date` (an inclusive last day becomes an exclusive end). */
export function dayAfter(date: { ms: number }): string {
  return new Date(date.ms + 86_400_000).toISOString();
}

export function startOf(date: { ms: number }): string {
  return new Date(date.ms).toISOString();
}
