/**
 * YAML documents as plain values, with a bound on alias expansion: a "billion laughs" document
 * (aliases of aliases) would otherwise make `toJS` throw a bare ReferenceError (exit 1) or, with
 * a higher limit, exhaust memory. Config files and rulesets never need more than a few aliases.
 */
import { type Document, isAlias, type LineCounter, visit } from 'yaml';
import { InputError } from './errors';

/** Alias uses one document may expand (yaml's default; the demo files use none). */
export const MAX_YAML_ALIASES = 100;

export function yamlToJs(doc: Document, file: string, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    let offset: number | undefined;
    visit(doc, {
      Alias(_, node) {
        if (isAlias(node) && node.range) {
          offset = node.range[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
    const line = offset === undefined ? undefined : lines.linePos(offset).line;
    throw new InputError(
      `YAML aliases expand beyond ${MAX_YAML_ALIASES} uses (a "billion laughs" document?): refused`,
      { file, ...(line ? { line } : {}) },
    );
  }
}
