/**
 * Reads an SoD ruleset (docs/rulesets.md) from YAML text. Every problem is an `InputError` naming the
 * file and line (`rules/sox-core.yaml:14: unknown function AP-PAYMNT`), because rule authors fix
 * these files by hand.
 */
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import * as z from 'zod';
import { InputError } from '../errors';
import { SEVERITIES, type Severity } from '../findings/model';
import { SYSTEMS, type System } from '../model';
import { yamlToJs } from '../yaml-limits';
import {
  type Matcher,
  OBJECT_ACTIONS,
  type ObjectAction,
  type Risk,
  type Ruleset,
  type SodFunction,
} from './ruleset';

const id = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an id of letters, digits, ".", "_" or "-"')
  .max(100);
const text = z.string().trim().min(1, 'must not be empty');
const oneOrMany = z.union([text, z.array(text).min(1, 'must list at least one value')]);

/** Which matcher keys each system understands. */
const MATCHER_KEYS: Record<System, readonly string[]> = {
  erp: ['permission', 'entitlement'],
  aws: ['action', 'resource', 'entitlement'],
  salesforce: ['objectPermission', 'permission', 'entitlement'],
  entra: ['entitlement', 'permission'],
  sap: ['tcode', 'authorizations', 'entitlement'],
  // An HR source holds people, not access: nothing to match.
  hr: [],
};
/** Systems that hold access (an HR source holds people only). */
const RULESET_SYSTEMS = SYSTEMS.filter((s) => MATCHER_KEYS[s].length > 0);
const ALL_MATCHER_KEYS = [
  'permission',
  'entitlement',
  'objectPermission',
  'action',
  'resource',
  'tcode',
  'authorizations',
] as const;

/** SAP values are text: an unquoted `01` would read as the number 1, so numbers are refused by toMatcher. */
const sapValue = z.union([z.string().trim().min(1, 'must not be empty'), z.number()]);
const sapAuthorizationSchema = z
  .object({
    object: text,
    fields: z.record(
      z.string(),
      z.union([sapValue, z.array(sapValue).min(1, 'must list at least one value')]),
    ),
  })
  .strict();

const matcherSchema = z
  .object({
    system: z.string(),
    permission: oneOrMany.optional(),
    entitlement: oneOrMany.optional(),
    objectPermission: z.object({ object: text, actions: oneOrMany }).strict().optional(),
    action: oneOrMany.optional(),
    resource: oneOrMany.optional(),
    tcode: oneOrMany.optional(),
    authorizations: z.array(sapAuthorizationSchema).min(1, 'must list at least one object').optional(),
  })
  .strict();

const functionSchema = z
  .object({
    id,
    name: text,
    process: text.optional(),
    description: text.optional(),
    grants: z.array(matcherSchema).min(1, 'a function needs at least one matcher under grants'),
  })
  .strict();

const riskSchema = z
  .object({
    id,
    title: text,
    description: text.optional(),
    functions: z.array(id),
    severity: z.enum(SEVERITIES as [Severity, ...Severity[]]),
  })
  .strict();

const rulesetSchema = z
  .object({
    version: z.literal(1),
    functions: z.array(functionSchema).min(1, 'a ruleset needs at least one function'),
    risks: z.array(riskSchema).min(1, 'a ruleset needs at least one risk'),
  })
  .strict();

/** A file of a composed set: functions only, risks only (using another file's functions), or both. */
const composableRulesetSchema = z
  .object({
    version: z.literal(1),
    functions: z.array(functionSchema).default([]),
    risks: z.array(riskSchema).default([]),
  })
  .strict()
  .refine((r) => r.functions.length + r.risks.length > 0, 'a ruleset needs at least one function or risk');

export interface ParseRulesetOptions {
  /**
   * The file is one of several composed rulesets: its risks may name functions another file defines
   * (checked by {@link parseRulesets}), and it may hold only functions or only risks.
   */
  composed?: boolean;
}

type Path = readonly (string | number)[];

/**
 * Parses and validates one ruleset file.
 *
 * @param file the path as the user gave it; only used in messages and evidence
 * @throws InputError `<file>:<line>: <problem>`
 * @example
 * const ruleset = parseRuleset(await readFile('rules/sox-core.yaml', 'utf8'), 'rules/sox-core.yaml');
 */
export function parseRuleset(source: string, file: string, options: ParseRulesetOptions = {}): Ruleset {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw new InputError(`invalid YAML: ${firstLine(yamlError.message)}`, { file, line });
  }
  if (!isMap(doc.contents)) {
    throw new InputError('a ruleset is a mapping with version, functions and risks', { file, line: 1 });
  }

  const lineAt = (path: Path, key?: string): number => lineOf(doc.contents as Node, lineCounter, path, key);
  const fail = (message: string, path: Path, key?: string): never => {
    throw new InputError(message, { file, line: lineAt(path, key) });
  };

  const parsed = (options.composed ? composableRulesetSchema : rulesetSchema).safeParse(
    yamlToJs(doc, file, lineCounter),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      fail(unknownKeyMessage(key, path), path, key);
    }
    fail(issueMessage(issue, path), path);
  }
  const data = parsed.data!;

  const functions: SodFunction[] = [];
  const functionIds = new Set<string>();
  data.functions.forEach((f, fi) => {
    if (functionIds.has(f.id)) fail(`duplicate function id ${f.id}`, ['functions', fi, 'id']);
    functionIds.add(f.id);
    const grants = f.grants.map((m, mi) => toMatcher(m, ['functions', fi, 'grants', mi], lineAt, fail));
    const fn: SodFunction = { id: f.id, name: f.name, grants, line: lineAt(['functions', fi]) };
    if (f.process !== undefined) fn.process = f.process;
    if (f.description !== undefined) fn.description = f.description;
    functions.push(fn);
  });

  const risks: Risk[] = [];
  const riskIds = new Set<string>();
  data.risks.forEach((r, ri) => {
    if (riskIds.has(r.id)) fail(`duplicate risk id ${r.id}`, ['risks', ri, 'id']);
    riskIds.add(r.id);
    const seen = new Set<string>();
    const functionLines: number[] = [];
    r.functions.forEach((fid, i) => {
      if (!functionIds.has(fid) && !options.composed)
        fail(`unknown function ${fid}`, ['risks', ri, 'functions', i]);
      functionLines.push(lineAt(['risks', ri, 'functions', i]));
      if (seen.has(fid)) fail(`function ${fid} listed twice in risk ${r.id}`, ['risks', ri, 'functions', i]);
      seen.add(fid);
    });
    if (seen.size < 2) {
      fail(`risk ${r.id} needs at least two functions (it has ${seen.size})`, ['risks', ri, 'functions']);
    }
    const risk: Risk = {
      id: r.id,
      title: r.title,
      functions: r.functions,
      severity: r.severity,
      line: lineAt(['risks', ri]),
    };
    if (options.composed) risk.functionLines = functionLines;
    if (r.description !== undefined) risk.description = r.description;
    risks.push(risk);
  });

  return { file, version: 1, functions, risks };
}

/**
 * Parses several ruleset files that compose (`sodRules: [rules/sox-core.yaml, our-risks.yaml]`):
 * a risk may use a function defined in any of the files; a function or risk id defined in two files
 * is an error naming both files and lines, and so is a risk naming a function no file defines. One
 * file alone is parsed as strictly as {@link parseRuleset}.
 *
 * @throws InputError `<file>:<line>: <problem>`
 * @example
 * const rulesets = parseRulesets([{ text: core, file: 'rules/sox-core.yaml' }, { text: ours, file: 'our-risks.yaml' }]);
 */
export function parseRulesets(inputs: readonly { text: string; file: string }[]): Ruleset[] {
  const composed = inputs.length > 1;
  const rulesets = inputs.map((i) => parseRuleset(i.text, i.file, { composed }));
  if (!composed) return rulesets;
  const functions = new Map<string, { file: string; line: number }>();
  const risks = new Map<string, { file: string; line: number }>();
  for (const r of rulesets) {
    for (const f of r.functions) {
      const other = functions.get(f.id);
      if (other) {
        throw new InputError(`duplicate function id ${f.id} (also in ${other.file}:${other.line})`, {
          file: r.file,
          line: f.line,
        });
      }
      functions.set(f.id, { file: r.file, line: f.line });
    }
  }
  for (const r of rulesets) {
    for (const risk of r.risks) {
      const other = risks.get(risk.id);
      if (other) {
        throw new InputError(`duplicate risk id ${risk.id} (also in ${other.file}:${other.line})`, {
          file: r.file,
          line: risk.line,
        });
      }
      risks.set(risk.id, { file: r.file, line: risk.line });
      risk.functions.forEach((fid, i) => {
        if (!functions.has(fid)) {
          throw new InputError(
            `unknown function ${fid} (defined in none of ${rulesets.map((x) => x.file).join(', ')})`,
            { file: r.file, line: risk.functionLines?.[i] ?? risk.line },
          );
        }
      });
    }
  }
  return rulesets;
}

type RawMatcher = z.infer<typeof matcherSchema>;

function toMatcher(
  m: RawMatcher,
  path: Path,
  lineAt: (path: Path, key?: string) => number,
  fail: (message: string, path: Path, key?: string) => never,
): Matcher {
  if (!(RULESET_SYSTEMS as readonly string[]).includes(m.system)) {
    fail(`unknown system "${m.system}" (expected ${RULESET_SYSTEMS.join(', ')})`, [...path, 'system']);
  }
  const system = m.system as System;
  const present = ALL_MATCHER_KEYS.filter((k) => m[k] !== undefined);
  for (const key of present) {
    if (!MATCHER_KEYS[system].includes(key)) {
      fail(
        `matcher key "${key}" does not apply to system ${system} (use ${MATCHER_KEYS[system].join(', ')})`,
        path,
        key,
      );
    }
  }
  if (m.tcode !== undefined || m.authorizations !== undefined) {
    const other = present.filter((k) => k !== 'tcode' && k !== 'authorizations');
    if (other.length > 0) {
      fail(
        `one matcher per list item: found ${other[0]} with tcode/authorizations (write them as separate items)`,
        path,
        other[0],
      );
    }
    return toSapMatcher(m, path, lineAt, fail);
  }
  const kinds = present.filter((k) => k !== 'resource');
  if (kinds.length === 0) {
    if (m.resource !== undefined) fail('"resource" needs "action"', path, 'resource');
    fail(`a matcher needs one of ${MATCHER_KEYS[system].filter((k) => k !== 'resource').join(', ')}`, path);
  }
  if (kinds.length > 1) {
    fail(
      `one matcher per list item: found ${kinds.join(' and ')} (write them as separate items)`,
      path,
      kinds[1],
    );
  }
  const line = lineAt(path);
  const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
  if (m.permission !== undefined)
    return { kind: 'permission', system, permissions: list(m.permission), line };
  if (m.entitlement !== undefined)
    return { kind: 'entitlement', system, patterns: list(m.entitlement), line };
  if (m.objectPermission !== undefined) {
    const actions = list(m.objectPermission.actions).map((a, i) => {
      const action = a.toLowerCase().replace(/[\s_-]/g, '');
      if (!(OBJECT_ACTIONS as readonly string[]).includes(action)) {
        fail(`unknown object action "${a}" (expected create, read, edit, delete, viewAll, modifyAll)`, [
          ...path,
          'objectPermission',
          'actions',
          ...(Array.isArray(m.objectPermission!.actions) ? [i] : []),
        ]);
      }
      return action as ObjectAction;
    });
    return { kind: 'objectPermission', system, object: m.objectPermission.object, actions, line };
  }
  const actions = list(m.action!);
  actions.forEach((a, i) => {
    if (a !== '*' && !/^[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+$/.test(a)) {
      fail(`IAM action "${a}" is not service:Action`, [
        ...path,
        'action',
        ...(Array.isArray(m.action) ? [i] : []),
      ]);
    }
  });
  return {
    kind: 'action',
    system,
    actions,
    resources: m.resource === undefined ? ['*'] : list(m.resource),
    ...(m.resource !== undefined && list(m.resource).includes('*') ? { literalAny: true } : {}),
    line,
  };
}

const SAP_NAME = /^[A-Z0-9_/]{1,30}$/;

/** `tcode` + `authorizations` (system sap): names uppercased, values kept as text and literal. */
function toSapMatcher(
  m: RawMatcher,
  path: Path,
  lineAt: (path: Path, key?: string) => number,
  fail: (message: string, path: Path, key?: string) => never,
): Matcher {
  const tcodes = (m.tcode === undefined ? [] : Array.isArray(m.tcode) ? m.tcode : [m.tcode]).map((t, i) => {
    const code = t.toUpperCase();
    if (!/^[A-Z0-9_/-]{1,20}$/.test(code)) {
      fail(`"${t}" is not a transaction code`, [...path, 'tcode', ...(Array.isArray(m.tcode) ? [i] : [])]);
    }
    return code;
  });
  const authorizations = (m.authorizations ?? []).map((a, ai) => {
    const at: Path = [...path, 'authorizations', ai];
    const object = a.object.toUpperCase();
    if (!SAP_NAME.test(object)) fail(`"${a.object}" is not an authorization object name`, [...at, 'object']);
    const fields: Record<string, string[]> = {};
    const entries = Object.entries(a.fields);
    if (entries.length === 0) fail(`object ${object} lists no fields`, at, 'fields');
    for (const [name, raw] of entries) {
      const field = name.toUpperCase();
      if (!SAP_NAME.test(field)) fail(`"${name}" is not a field name`, [...at, 'fields'], name);
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => {
        if (typeof v === 'number') {
          fail(
            `${object} ${field}: quote SAP values ("${v}"): an unquoted 01 reads as the number 1`,
            [...at, 'fields'],
            name,
          );
        }
        if ((v.includes('*') && v !== '*') || v.startsWith('$')) {
          fail(
            `${object} ${field}: "${v}" — a rule names literal values or "*" for any maintained value (the roles' values may be patterns)`,
            [...at, 'fields'],
            name,
          );
        }
        return v;
      });
      fields[field] = values;
    }
    if (objectListedBefore(object, ai, m)) fail(`object ${object} listed twice in one matcher`, at, 'object');
    return { object, fields };
  });
  if (tcodes.length === 0 && authorizations.length === 0)
    fail('a sap matcher needs tcode or authorizations', path);
  if (authorizations.length > 30) fail('a sap matcher lists at most 30 objects', path, 'authorizations');
  return { kind: 'sap', system: 'sap', tcodes, authorizations, line: lineAt(path) };
}

function objectListedBefore(object: string, index: number, m: RawMatcher): boolean {
  return (m.authorizations ?? []).slice(0, index).some((a) => a.object.toUpperCase() === object);
}

function unknownKeyMessage(key: string, path: Path): string {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (parent === 'grants' && typeof last === 'number') {
    return `unknown matcher key "${key}" (expected system and one of ${ALL_MATCHER_KEYS.join(', ')})`;
  }
  return `unknown key "${key}"${path.length > 0 ? ` in ${formatPath(path)}` : ''}`;
}

function issueMessage(issue: z.core.$ZodIssue, path: Path): string {
  const where = path.length > 0 ? `${formatPath(path)}: ` : '';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where}missing`;
  if (issue.code === 'invalid_value' && path[path.length - 1] === 'severity') {
    return `${where}severity must be one of ${SEVERITIES.join(', ')}`;
  }
  if (issue.code === 'invalid_value' && path[0] === 'version') return 'version must be 1';
  if (issue.code === 'invalid_union') return `${where}expected a string or a list of strings`;
  return `${where}${issue.message}`;
}

function formatPath(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Line of the node at `path` (or of `key` inside it); walks up to the nearest existing node, so a
 * missing field points at the item that lacks it.
 */
function lineOf(root: Node, lc: LineCounter, path: Path, key?: string): number {
  const nodes: Node[] = [root];
  let node: unknown = root;
  for (const step of path) {
    const next = childOf(node, step);
    if (next === undefined) break;
    nodes.push(next);
    node = next;
  }
  const deepest = nodes[nodes.length - 1]!;
  if (key !== undefined && nodes.length === path.length + 1 && isMap(deepest)) {
    const pair = deepest.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
    const keyNode = pair?.key as Node | undefined;
    if (keyNode?.range) return lc.linePos(keyNode.range[0]).line;
  }
  const range = deepest.range;
  return range ? lc.linePos(range[0]).line : 1;
}

function childOf(node: unknown, step: string | number): Node | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === step);
    const value = pair?.value as Node | null | undefined;
    // A key with an empty value has no node: point at the key instead.
    return value ?? (pair?.key as Node | undefined);
  }
  if (node && typeof node === 'object' && 'items' in node && Array.isArray(node.items)) {
    return typeof step === 'number' ? (node.items[step] as Node | undefined) : undefined;
  }
  return undefined;
}
