/**
 * Colour for a terminal: only when stdout is one, `NO_COLOR` is unset (no-color.org) and the
 * command was not given `--no-color`. Files and pipes never get escape codes.
 *
 * The console output shows every control character from data as a visible escape (output.ts), so
 * `paint` cannot put ESC into a line: it wraps text in markers carrying a per-process random nonce,
 * and `renderStyles` turns only those markers (after the escaping) into colour codes. Data cannot
 * forge a marker without the nonce, so input never colours, hides or moves anything.
 */
import { randomBytes } from 'node:crypto';

const CODES: Record<string, string> = {
  critical: '\x1b[1;31m',
  high: '\x1b[31m',
  medium: '\x1b[33m',
  low: '\x1b[36m',
  overdue: '\x1b[1;35m',
  ok: '\x1b[32m',
  dim: '\x1b[2m',
};

export function colorWanted(flag: boolean | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  return flag !== false && Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

const NONCE = randomBytes(12).toString('hex');
/** A marker as it reads after output.ts escaped its NUL bytes. */
const MARKER = new RegExp(`\\\\x00${NONCE}:(\\w+)\\\\x00`, 'g');

export function paint(text: string, style: string, color: boolean): string {
  return color && CODES[style] ? `\u0000${NONCE}:${style}\u0000${text}\u0000${NONCE}:reset\u0000` : text;
}

/** After control characters were escaped: `paint`'s markers become the colour codes. */
export function renderStyles(escaped: string): string {
  return escaped.replace(MARKER, (_, style: string) =>
    style === 'reset' ? '\x1b[0m' : (CODES[style] ?? ''),
  );
}
