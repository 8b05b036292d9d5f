/**
 * A config file's text (YAML or JSON; README.md "Configuration") turned into a validated `Config`. One parser for
 * every reader — `accessproof scan`, the plan/scan Lambdas and `cdk synth` — so a mistake gets the
 * same `file:line (field): message` wherever it is found. Reading files and resolving paths stay
 * with the callers: this module does no I/O.
 */
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ZodError, ZodType, z } from 'zod';
import { type Config, configSchema } from './config';
import { InputError } from './errors';
import { yamlToJs } from './yaml-limits';

/**
 * Parse and validate a config file's text. Paths inside stay as written (relative to the file).
 *
 * @throws InputError naming `file`, the line and the field (`sources[2].system`) of the first problem
 * @example
 * const config = parseConfigText('organization: Ex\nsources: […]\n', 'accessproof.yaml');
 */
export function parseConfigText(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // `linePos` is only filled with prettyErrors (which also rewrites the message): count from `pos`.
    const line = yamlError.linePos?.[0]?.line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw new InputError(yamlError.message.split('\n')[0] ?? 'invalid YAML', {
      file,
      ...(line ? { line } : {}),
    });
  }
  const parsed = configSchema.safeParse(yamlToJs(doc, file, lineCounter));
  if (!parsed.success) throw zodToInputError(parsed.error, file, doc, lineCounter);
  return parsed.data;
}

/**
 * Any YAML file checked with a zod schema, with the same `file:line (field): message` errors as
 * the config (used by `owners.yaml`).
 *
 * @example
 * const catalog = parseYamlWithSchema(text, 'owners.yaml', ownersSchema);
 */
export function parseYamlWithSchema<S extends ZodType>(text: string, file: string, schema: S): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw new InputError(yamlError.message.split('\n')[0] ?? 'invalid YAML', {
      file,
      ...(line ? { line } : {}),
    });
  }
  const parsed = schema.safeParse(yamlToJs(doc, file, lineCounter));
  if (!parsed.success) throw zodToInputError(parsed.error, file, doc, lineCounter);
  return parsed.data;
}

/** `sources[2].system`: how a field path reads in messages. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .filter((p): p is string | number => typeof p !== 'symbol')
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join('');
}

/** The first zod issue, as `file:line (sources[2].system): message`. */
function zodToInputError(error: ZodError, file: string, doc: Document, lines: LineCounter): InputError {
  const issue = error.issues[0];
  if (!issue) return new InputError('invalid configuration', { file });
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  // An unknown key is reported at its parent: point at the key itself, line and name.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = fieldPath(path);
  const line = lineOf(doc, path, lines);
  return new InputError(issue.message, { file, ...(line ? { line } : {}), ...(field ? { field } : {}) });
}

/**
 * Where `sources.<id>.<key>` is written in a config text: the key's line if it is there, else the
 * line of the source's entry, with the field as `sources[2].clientId`. For problems found after
 * loading (a connector missing a setting it needs), so they still name file:line.
 *
 * @example
 * sourceFieldLocation(text, 'entra', 'clientId'); // { line: 28, field: 'sources[3].clientId' }
 */
export function sourceFieldLocation(
  text: string,
  sourceId: string,
  key: string | undefined,
): { line?: number; field: string } | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) return undefined;
  const sources = (doc.toJS({ maxAliasCount: 100 }) as { sources?: { id?: unknown }[] } | null)?.sources;
  const index = Array.isArray(sources) ? sources.findIndex((s) => s?.id === sourceId) : -1;
  if (index < 0) return undefined;
  const path: Array<string | number> = ['sources', index, ...(key ? [key] : [])];
  const line = lineOf(doc, path, lines);
  return { ...(line ? { line } : {}), field: fieldPath(path) };
}

/**
 * Where a field is written in a config text: `configFieldLocation(text, ['policy', 'sodRules', 0])`
 * gives `{ line: 57, field: 'policy.sodRules[0]' }` (the line of the deepest part that exists).
 */
export function configFieldLocation(
  text: string,
  path: Array<string | number>,
): { line?: number; field: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const line = doc.errors.length ? undefined : lineOf(doc, path, lines);
  return { ...(line ? { line } : {}), field: fieldPath(path) };
}

/** The line of the deepest YAML node that exists along `path`. */
function lineOf(doc: Document, path: Array<string | number>, lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
      if (!pair) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}
