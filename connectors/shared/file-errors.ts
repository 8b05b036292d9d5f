/**
 * A file-system failure as a person reads it, for InputError messages: `file not found (ENOENT)`.
 */
const PLAIN: Record<string, string> = {
  ENOENT: 'file not found',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ENOTDIR: 'a folder on the path is a file',
};

/**
 * @example
 * describeFileError(Object.assign(new Error(), { code: 'ENOENT' })); // 'file not found (ENOENT)'
 */
export function describeFileError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code) return `cannot read the file (${err instanceof Error ? err.message : String(err)})`;
  const plain = PLAIN[code];
  return plain ? `${plain} (${code})` : `cannot read the file (${code})`;
}

/**
 * A value from an input file, for an error message: quoted only when it is short and plain (a
 * column name, `yes`, `2026-01-01`). Anything else is described, never quoted: the file may not be
 * the export it was meant to be (`/etc/shadow` named as a CSV once had its first line printed).
 */
export function describeValue(value: string): string {
  return /^[\w .@:+/()-]{0,40}$/.test(value) ? `"${value}"` : `a value of ${value.length} characters`;
}

/** A header line's names, for "missing column" messages, under the same rule. */
export function describeHeader(header: readonly string[]): string {
  if (header.length <= 60 && header.every((h) => /^[\w .()-]{1,40}$/.test(h))) return header.join(', ');
  return `${header.length} field(s) that do not look like column names (is this the right file?)`;
}
