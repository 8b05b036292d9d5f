/**
 * A validator for OCSF events written from the published schema files (test/fixtures/ocsf-schema):
 * the event class is resolved through `extends` down to `base_event`, `$include`d profiles are
 * merged in, and every attribute is looked up in `dictionary.json` (its type, array-ness, enum) and,
 * when it is an object, in `objects/` (through that object's own `extends`). It then checks
 * required attributes, unknown attributes, enums and their captions, primitive types (regex,
 * range, length), object constraints (`at_least_one`, `just_one`) and the class's uid arithmetic.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

type Requirement = 'required' | 'recommended' | 'optional';

interface AttributeSpec {
  type?: string;
  is_array?: boolean;
  enum?: Record<string, { caption: string }>;
  requirement?: Requirement;
  sibling?: string;
  /** The profile that brings the attribute in; `null`/absent: always part of the class. */
  profile?: string | null;
}

interface Definition {
  name: string;
  uid?: number;
  category?: string;
  attributes: Map<string, AttributeSpec>;
  constraints?: { at_least_one?: string[]; just_one?: string[] };
}

interface TypeSpec {
  type?: string;
  regex?: string;
  range?: [number, number];
  max_len?: number;
  values?: unknown[];
}

export interface OcsfSchema {
  version: string;
  /** Every problem with `event`, as `path: message`; empty when it validates. */
  validate(event: unknown): string[];
  /** Schema files read so far (relative paths), to list what a fixture must carry. */
  filesRead(): string[];
}

export function loadOcsfSchema(root: string, className: string): OcsfSchema {
  const read = new Set<string>();
  const json = <T>(rel: string): T => {
    read.add(rel);
    return JSON.parse(readFileSync(join(root, rel), 'utf8')) as T;
  };
  const dictionary = json<{
    attributes: Record<string, AttributeSpec & { type: string }>;
    types: { attributes: Record<string, TypeSpec> };
  }>('dictionary.json');
  const categories = json<{ attributes: Record<string, { uid: number }> }>('categories.json');
  const version = json<{ version: string }>('version.json').version;

  const eventFiles = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir))) {
      const rel = join(dir, entry);
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (entry.endsWith('.json')) eventFiles.set(entry.slice(0, -5), rel);
    }
  };
  walk('events');

  /** Merge a definition file's attributes (and its `$include`s) over `into`. */
  const mergeAttributes = (
    into: Map<string, AttributeSpec>,
    attributes: Record<string, unknown>,
    profile: string | null,
  ) => {
    for (const inc of (attributes.$include as string[] | undefined) ?? []) {
      const included = json<{ name: string; meta?: string; attributes: Record<string, unknown> }>(inc);
      mergeAttributes(into, included.attributes, included.meta === 'profile' ? included.name : profile);
    }
    for (const [name, raw] of Object.entries(attributes)) {
      if (name === '$include') continue;
      const spec = raw as AttributeSpec;
      const prev = into.get(name) ?? {};
      const merged: AttributeSpec = { ...prev, ...spec };
      if (prev.enum || spec.enum) merged.enum = { ...(prev.enum ?? {}), ...(spec.enum ?? {}) };
      // An attribute a profile brings in stays gated unless a definition says `profile: null`.
      if (!('profile' in spec)) merged.profile = prev.profile ?? profile;
      into.set(name, merged);
    }
  };

  const resolve = (kind: 'event' | 'object', name: string): Definition => {
    const rel = kind === 'event' ? eventFiles.get(name) : `objects/${name}.json`;
    if (!rel) throw new Error(`OCSF ${kind} "${name}" is not in the schema`);
    const file = json<{
      name: string;
      uid?: number;
      category?: string;
      extends?: string;
      attributes: Record<string, unknown>;
      constraints?: Definition['constraints'];
    }>(rel);
    const base: Definition = file.extends
      ? resolve(kind, file.extends)
      : { name: file.name, attributes: new Map() };
    const attributes = new Map(base.attributes);
    mergeAttributes(attributes, file.attributes, null);
    return {
      name: file.name,
      ...(file.uid !== undefined ? { uid: file.uid } : base.uid !== undefined ? { uid: base.uid } : {}),
      ...((file.category ?? base.category) ? { category: file.category ?? base.category } : {}),
      attributes,
      ...((file.constraints ?? base.constraints)
        ? { constraints: file.constraints ?? base.constraints }
        : {}),
    };
  };

  const objects = new Map<string, Definition>();
  const objectDef = (name: string) => {
    let def = objects.get(name);
    if (!def) {
      def = resolve('object', name);
      objects.set(name, def);
    }
    return def;
  };
  const eventClass = resolve('event', className);
  const categoryUid = categories.attributes[eventClass.category ?? '']?.uid;
  if (categoryUid === undefined || eventClass.uid === undefined)
    throw new Error(`OCSF class ${className} has no category or uid`);
  const classUid = categoryUid * 1000 + eventClass.uid;

  const baseType = (type: string): { base: string; checks: TypeSpec[] } => {
    const checks: TypeSpec[] = [];
    let t = type;
    for (;;) {
      const spec = dictionary.types.attributes[t];
      if (!spec) throw new Error(`type ${t} is not in dictionary.json`);
      checks.push(spec);
      if (!spec.type) return { base: t, checks };
      t = spec.type;
    }
  };

  const checkPrimitive = (value: unknown, type: string, path: string, problems: string[]) => {
    const { base, checks } = baseType(type);
    const ok =
      base === 'string_t'
        ? typeof value === 'string'
        : base === 'integer_t' || base === 'long_t'
          ? typeof value === 'number' && Number.isInteger(value)
          : base === 'float_t'
            ? typeof value === 'number' && Number.isFinite(value)
            : base === 'boolean_t'
              ? typeof value === 'boolean'
              : base === 'json_t'
                ? value !== undefined
                : false;
    if (!ok) {
      problems.push(`${path}: ${JSON.stringify(value)} is not a ${type} (${base})`);
      return;
    }
    for (const c of checks) {
      if (c.regex && typeof value === 'string' && !new RegExp(c.regex).test(value))
        problems.push(`${path}: "${value}" does not match ${type}'s pattern`);
      if (c.max_len !== undefined && typeof value === 'string' && value.length > c.max_len)
        problems.push(`${path}: longer than ${c.max_len}`);
      if (c.range && typeof value === 'number' && (value < c.range[0] || value > c.range[1]))
        problems.push(`${path}: ${value} is outside ${c.range.join('..')}`);
    }
  };

  const checkObject = (
    value: unknown,
    def: Definition,
    path: string,
    profiles: ReadonlySet<string>,
    problems: string[],
  ) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push(`${path}: expected a ${def.name} object`);
      return;
    }
    const record = value as Record<string, unknown>;
    for (const [name, spec] of def.attributes) {
      const gated = spec.profile ? !profiles.has(spec.profile) : false;
      if (spec.requirement === 'required' && !gated && record[name] === undefined)
        problems.push(`${path}.${name}: required by ${def.name}`);
    }
    for (const [name, v] of Object.entries(record)) {
      const spec = def.attributes.get(name);
      const at = `${path}.${name}`;
      if (!spec) {
        problems.push(`${at}: not an attribute of ${def.name}`);
        continue;
      }
      if (spec.profile && !profiles.has(spec.profile)) {
        problems.push(`${at}: belongs to profile "${spec.profile}", which metadata.profiles does not list`);
        continue;
      }
      const dict = dictionary.attributes[name];
      if (!dict) {
        problems.push(`${at}: not in dictionary.json`);
        continue;
      }
      const type = spec.type ?? dict.type;
      // The uids of the classification are derived (checked by arithmetic below), not enumerated.
      const enumeration = path === '$' && DERIVED.has(name) ? undefined : (spec.enum ?? dict.enum);
      const checkOne = (item: unknown, itemPath: string) => {
        if (type.endsWith('_t')) checkPrimitive(item, type, itemPath, problems);
        else if (type === 'object') {
          if (typeof item !== 'object' || item === null || Array.isArray(item))
            problems.push(`${itemPath}: expected a JSON object`);
        } else checkObject(item, objectDef(type), itemPath, profiles, problems);
        if (enumeration && !Object.hasOwn(enumeration, String(item)))
          problems.push(
            `${itemPath}: ${JSON.stringify(item)} is not one of ${Object.keys(enumeration).join(', ')}`,
          );
      };
      if (dict.is_array) {
        if (!Array.isArray(v)) problems.push(`${at}: expected an array`);
        else
          v.forEach((item, i) => {
            checkOne(item, `${at}[${i}]`);
          });
      } else checkOne(v, at);
      // A caption sibling (`severity` for `severity_id`) must name the enum value unless it is Other.
      const sibling = dict.sibling;
      if (enumeration && sibling && record[sibling] !== undefined && String(v) !== '99') {
        const caption = enumeration[String(v)]?.caption;
        if (caption !== undefined && record[sibling] !== caption)
          problems.push(
            `${path}.${sibling}: "${String(record[sibling])}" is not the caption "${caption}" of ${name} ${String(v)}`,
          );
      }
    }
    const present = (n: string) => record[n] !== undefined;
    const c = def.constraints;
    if (c?.at_least_one && !c.at_least_one.some(present))
      problems.push(`${path}: ${def.name} needs at least one of ${c.at_least_one.join(', ')}`);
    if (c?.just_one && c.just_one.filter(present).length !== 1)
      problems.push(`${path}: ${def.name} needs exactly one of ${c.just_one.join(', ')}`);
  };

  return {
    version,
    validate(event) {
      const problems: string[] = [];
      const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
      const meta = record.metadata as { profiles?: unknown } | undefined;
      const profiles = new Set(Array.isArray(meta?.profiles) ? (meta.profiles as string[]) : []);
      checkObject(event, eventClass, '$', profiles, problems);
      if (record.class_uid !== classUid) problems.push(`$.class_uid: expected ${classUid}`);
      if (record.category_uid !== categoryUid) problems.push(`$.category_uid: expected ${categoryUid}`);
      if (typeof record.activity_id === 'number' && record.type_uid !== classUid * 100 + record.activity_id)
        problems.push(`$.type_uid: expected ${classUid * 100 + record.activity_id}`);
      return problems;
    },
    filesRead: () => [...read].map((f) => relative('.', f)).sort(),
  };
}

const DERIVED = new Set(['class_uid', 'category_uid', 'type_uid']);
