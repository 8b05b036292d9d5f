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
