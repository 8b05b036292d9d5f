/**
 * Colour for a terminal: only when stdout is one, `NO_COLOR` is unset (no-color.org) and the
 * command was not given `--no-color`. Files and pipes never get escape codes.
 */
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

export function paint(text: string, style: string, color: boolean): string {
  const code = CODES[style];
  return color && code ? `${code}${text}\x1b[0m` : text;
}
