/**
 * Reads and validates an AccessProof config file (DESIGN.md §8). Paths inside the file are
 * resolved relative to the file; every problem is an InputError naming the file and field.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { type Config, configSchema, type SourceConfig } from '../core/config';
import { InputError } from '../core/errors';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  file: string;
  /** SHA-256 of the config file's bytes. */
  sha256: string;
  /** Absolute ruleset paths, in config order. */
  rulesetFiles: string[];
}

/** Read a file the user named, turning "not there" into an InputError that names it. */
export function readInputFile(path: string, label = path): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`;
    throw new InputError(why, { file: label });
  }
}

/**
 * @example
 * const { config } = loadConfig('examples/demo/accessproof.yaml');
 */
export function loadConfig(path: string): LoadedConfig {
  const file = resolve(path);
  const bytes = readInputFile(file, path);
  const text = bytes.toString('utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line;
    throw new InputError(yamlError.message.split('\n')[0] ?? 'invalid YAML', {
      file: path,
      ...(line ? { line } : {}),
    });
  }
  const parsed = configSchema.safeParse(doc.toJS());
  if (!parsed.success) throw zodToInputError(parsed.error, path, doc, lineCounter);
  const config = parsed.data;
  const base = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.sources = config.sources.map((s) => resolveSourcePaths(s, abs));
  const rulesetFiles = config.policy.sodRules.map(abs);
  if (config.evidence.dir) config.evidence.dir = abs(config.evidence.dir);
  return { config, file, sha256: createHash('sha256').update(bytes).digest('hex'), rulesetFiles };
}

function resolveSourcePaths(s: SourceConfig, abs: (p: string) => string): SourceConfig {
  switch (s.system) {
    case 'erp': {
      const f = s.files;
      return {
        ...s,
        files: {
          users: abs(f.users),
          roles: abs(f.roles),
          assignments: abs(f.assignments),
          ...(f.permissions ? { permissions: abs(f.permissions) } : {}),
        },
      };
    }
    case 'aws': {
      if (!s.files) return s;
      const f = s.files;
      return {
        ...s,
        files: {
          ...(f.authorizationDetails ? { authorizationDetails: abs(f.authorizationDetails) } : {}),
          ...(f.credentialReport ? { credentialReport: abs(f.credentialReport) } : {}),
        },
      };
    }
    case 'entra':
      return s.files ? { ...s, files: { ...s.files, dir: abs(s.files.dir) } } : s;
    case 'salesforce':
      return {
        ...s,
        ...(s.files ? { files: { ...s.files, dir: abs(s.files.dir) } } : {}),
        ...(s.privateKeyFile ? { privateKeyFile: abs(s.privateKeyFile) } : {}),
      };
  }
}

/** The first zod issue, as `file:line (sources[2].system): message`. */
function zodToInputError(
  error: ZodError,
  file: string,
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
): InputError {
  const issue = error.issues[0];
  if (!issue) return new InputError('invalid configuration', { file });
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const field = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  const line = lineOf(doc, path, lines);
  return new InputError(issue.message, { file, ...(line ? { line } : {}), ...(field ? { field } : {}) });
}

/** The line of the deepest YAML node that exists along `path`. */
function lineOf(doc: ReturnType<typeof parseDocument>, path: Array<string | number>, lines: LineCounter) {
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
