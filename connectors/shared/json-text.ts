/**
 * JSON exports parsed with errors that name the file and line but never quote the file: Node's
 * JSON.parse message echoes a piece of the text, which may hold a secret or a person's data.
 */
import { InputError } from '../../core/errors';

/** 1-based line of a character offset. */
export function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Parse a JSON export (a leading BOM is dropped).
 *
 * @throws InputError naming the file and line: "the JSON ends early (truncated file?)" or "invalid JSON"
 * @example
 * const raw = parseJsonExport(text, 'org/policies.json');
 */
export function parseJsonExport(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const position = errorOffset(body, err);
    const truncated =
      /end of (JSON|data)/i.test(message) || (position !== undefined && position >= body.trimEnd().length);
    throw new InputError(truncated ? 'the JSON ends early (truncated file?)' : 'invalid JSON', {
      file,
      ...(position === undefined ? {} : { line: lineAtOffset(body, position) }),
    });
  }
}

/**
 * The 1-based line JSON.parse stopped at in `text` (as parsed: without its BOM), without quoting
 * the text; undefined when the error does not say.
 *
 * @example
 * try { JSON.parse(text) } catch (err) { jsonErrorLine(text, err) } // 3
 */
export function jsonErrorLine(text: string, err: unknown): number | undefined {
  const offset = errorOffset(text, err);
  return offset === undefined ? undefined : lineAtOffset(text, offset);
}

/**
 * Where JSON.parse stopped: its `position N`, else the excerpt Node quotes around an unexpected
 * token (`Unexpected token 'w', ..."Note": wJal"... is not valid JSON`) found again in the text.
 */
function errorOffset(text: string, err: unknown): number | undefined {
  const message = err instanceof Error ? err.message : '';
  const at = /position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  const quoted = /, (?:\.\.\.)?"([\s\S]*)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  if (!quoted?.[1]) return undefined;
  const where = text.indexOf(quoted[1]);
  if (where === -1) return undefined;
  const token = /Unexpected token '([\s\S])'/.exec(message)?.[1];
  const inExcerpt = token === undefined ? -1 : quoted[1].indexOf(token);
  return where + Math.max(inExcerpt, 0);
}
