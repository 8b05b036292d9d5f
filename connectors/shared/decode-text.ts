/**
 * Bytes of an input file to text: valid UTF-8 (a BOM is dropped), or the encoding a source names
 * (`encoding: latin1 | windows-1252` for exports written that way). Invalid UTF-8 is an
 * InputError naming the file and line instead of U+FFFD sealed into the evidence (`M�ller` once
 * broke credential-report matching and raised five findings).
 */
import { InputError } from '../../core/errors';

export const ENCODINGS = ['utf-8', 'latin1', 'windows-1252'] as const;
export type InputEncoding = (typeof ENCODINGS)[number];

export function decodeInputText(bytes: Uint8Array, file: string, encoding: InputEncoding = 'utf-8'): string {
  if (encoding !== 'utf-8')
    return new TextDecoder(encoding === 'latin1' ? 'iso-8859-1' : encoding).decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new InputError(notUtf8Message(), { file, line: lineAt(bytes, at) });
  }
}

export function notUtf8Message(): string {
  return 'not valid UTF-8 (set `encoding: latin1` or `encoding: windows-1252` on the source if the export is written that way)';
}

/** 1-based line of byte `offset`. */
export function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let n = 0;
    let min = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}
