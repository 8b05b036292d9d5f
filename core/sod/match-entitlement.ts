/**
 * Applies every matcher of a compiled ruleset to ONE entitlement, once per scan: which functions it
 * gives outright (permission codes, names, object permissions), which an IAM Allow in it gives, and
 * which an IAM Deny in it may take away again. Denies are settled per principal (engine.ts),
 * because a Deny in one policy beats an Allow in another.
 */
import { type AllowPart, allowParts, denyTouches, unsupportedReason } from '../iam/statement';
import type { Entitlement, PolicyStatement } from '../model';
import { type CompiledRuleset, normalizePermission } from './compile';
import { matchSapRole, type SapPartMatch } from './sap-match';

export interface EntitlementMatch {
  /** Functions given by permission, entitlement and objectPermission matchers. */
  plain?: Uint32Array;
  /** Functions some IAM Allow statement of this entitlement gives, before any Deny. */
  allowBits?: Uint32Array;
  allow?: Map<number, AllowPart[]>;
  /** Functions an unconditional IAM Deny of this entitlement may remove. */
  denyBits?: Uint32Array;
  deny?: Map<number, PolicyStatement[]>;
  /** Per function: statements not evaluated as written (Condition, Principal), for the evidence. */
  notes?: Map<number, string[]>;
  /**
   * Some statements hold policy variables: they are left out here and evaluated per principal
   * (`matchStatements` on the substituted statements).
   */
  variables?: boolean;
  /** An unconditional `Allow * on *`: as a bound (SCP level, boundary) it restricts nothing. */
  allowsAll?: boolean;
  /** SAP: per `sap` target index, the parts (transaction, objects) this role meets and how. */
  sap?: Map<number, SapPartMatch>;
  /** SAP: functions this role meets only in part, settled per user with their other roles (engine.ts). */
  sapBits?: Uint32Array;
}

function setBit(bits: Uint32Array, fn: number): void {
  bits[fn >>> 5]! |= 1 << (fn & 31);
}

export function hasBit(bits: Uint32Array | undefined, fn: number): boolean {
  return bits !== undefined && (bits[fn >>> 5]! & (1 << (fn & 31))) !== 0;
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function statementLabel(entitlement: Entitlement, statement: PolicyStatement, i: number): string {
  return `${entitlement.name} statement ${statement.sid ? `"${statement.sid}"` : `#${i + 1}`}`;
}

/**
 * The functions one entitlement gives under a compiled ruleset, or undefined when it gives none.
 *
 * @example
 * const m = matchEntitlement(erpRole, compiled);
 * m?.plain && hasBit(m.plain, compiled.functions.findIndex((f) => f.id === 'AP-PAYMENT'));
 */
export function matchEntitlement(
  entitlement: Entitlement,
  compiled: CompiledRuleset,
): EntitlementMatch | undefined {
  const sys = compiled.systems.get(entitlement.system);
  if (!sys) return undefined;
  const words = compiled.words;
  let plain: Uint32Array | undefined;
  const give = (fns: readonly number[] | undefined) => {
    if (!fns) return;
    if (!plain) plain = new Uint32Array(words);
    for (const fn of fns) setBit(plain, fn);
  };

  // ERP and Salesforce grants of `*` (SAP_ALL-style roles) give every function of the system.
  if (
    (entitlement.system === 'erp' || entitlement.system === 'salesforce') &&
    entitlement.permissions.includes('*')
  ) {
    give(sys.functions);
  }
  if (sys.permissions.size > 0 || sys.objectPermissions.size > 0) {
    for (const permission of entitlement.permissions) {
      const key = normalizePermission(entitlement.system, permission);
      give(sys.permissions.get(key));
      if (sys.objectPermissions.size > 0) give(sys.objectPermissions.get(key));
    }
  }
  if (sys.names.size > 0) {
    give(sys.names.get(entitlement.name.toLowerCase()));
    give(sys.names.get(entitlement.nativeId.toLowerCase()));
  }
  for (const g of sys.globs) {
    if (g.match(entitlement.name) || g.match(entitlement.nativeId)) give([g.fn]);
  }

  const result: EntitlementMatch = {};
  if (sys.sap.length > 0 && (entitlement.sapAuthorizations || entitlement.sapAll)) {
    const m = matchSapRole(entitlement, sys.sap);
    for (const [t, part] of m.parts) {
      const target = sys.sap[t]!;
      if (part.mask === target.full) give([target.fn]);
      else {
        result.sapBits ??= new Uint32Array(words);
        setBit(result.sapBits, target.fn);
      }
    }
    if (m.parts.size > 0) result.sap = m.parts;
    if (m.notes.size > 0) result.notes = m.notes;
  }
  if (plain) result.plain = plain;
  const statements = entitlement.statements;
  if (statements && statements.length > 0 && sys.actions.length > 0) {
    const fixed: PolicyStatement[] = [];
    const indexes: number[] = [];
    statements.forEach((st, i) => {
      if (st.variables) result.variables = true;
      else {
        fixed.push(st);
        indexes.push(i);
      }
    });
    if (statements.some(allowsAll)) result.allowsAll = true;
    matchStatements(entitlement, fixed, compiled, result, undefined, indexes);
  }
  return result.plain || result.allowBits || result.denyBits || result.notes || result.variables || result.sap
    ? result
    : undefined;
}

/** An unconditional Allow of every action on every resource (`FullAWSAccess`). */
function allowsAll(st: PolicyStatement): boolean {
  return (
    st.effect === 'Allow' &&
    !st.hasCondition &&
    !st.hasPrincipal &&
    !st.variables &&
    (st.action?.includes('*') ?? false) &&
    (st.resource?.includes('*') ?? false)
  );
}

/**
 * The functions some statements of an entitlement give or deny, with `notes` added for each
 * function a statement touches (the substitution notes of policy variables). Used per principal
 * for statements with policy variables.
 */
export function matchSubstituted(
  entitlement: Entitlement,
  statements: readonly { statement: PolicyStatement; notes: readonly string[]; index: number }[],
  compiled: CompiledRuleset,
): EntitlementMatch {
  const result: EntitlementMatch = {};
  if (!compiled.systems.get(entitlement.system)) return result;
  matchStatements(
    entitlement,
    statements.map((s) => s.statement),
    compiled,
    result,
    statements.map((s) => s.notes),
    statements.map((s) => s.index),
  );
  return result;
}

function matchStatements(
  entitlement: Entitlement,
  statements: readonly PolicyStatement[],
  compiled: CompiledRuleset,
  result: EntitlementMatch,
  extraNotes?: readonly (readonly string[])[],
  indexes?: readonly number[],
): void {
  const sys = compiled.systems.get(entitlement.system)!;
  const allow = new Map<number, AllowPart[]>();
  const deny = new Map<number, PolicyStatement[]>();
  const notes = new Map<number, string[]>();
  const allowBits = new Uint32Array(compiled.words);
  const denyBits = new Uint32Array(compiled.words);
  for (const { fn, target } of sys.actions) {
    statements.forEach((statement, i) => {
      const label = statementLabel(entitlement, statement, indexes?.[i] ?? i);
      const extra = extraNotes?.[i];
      if (extra && extra.length > 0) {
        // The note goes to every function whose actions the statement names, whatever the resource.
        const { notResource: _n, ...rest } = statement;
        const loose: PolicyStatement = { ...rest, resource: ['*'], hasCondition: false };
        if (allowParts(loose, target).length > 0 || denyTouches(loose, target)) {
          for (const note of extra) pushTo(notes, fn, `${label}: ${note}`);
        }
      }
      const unsupported = unsupportedReason(statement);
      if (unsupported) {
        const asIfSupported: PolicyStatement = { ...statement, hasPrincipal: false, hasCondition: false };
        if (allowParts(asIfSupported, target).length > 0 || denyTouches(asIfSupported, target)) {
          pushTo(notes, fn, `${label}: ${unsupported}`);
        }
        return;
      }
      if (statement.effect === 'Allow') {
        const parts = allowParts(statement, target);
        if (parts.length === 0) return;
        for (const part of parts) pushTo(allow, fn, part);
        setBit(allowBits, fn);
        if (statement.hasCondition) {
          pushTo(notes, fn, `${label}: Allow with a Condition, not evaluated (counted as allowing)`);
        }
        return;
      }
      if (statement.hasCondition) {
        if (denyTouches({ ...statement, hasCondition: false }, target)) {
          pushTo(notes, fn, `${label}: Deny with a Condition, not evaluated (not counted as denying)`);
        }
        return;
      }
      if (denyTouches(statement, target)) {
        pushTo(deny, fn, statement);
        setBit(denyBits, fn);
      }
    });
  }
  if (allow.size > 0) {
    result.allow = allow;
    result.allowBits = allowBits;
  }
  if (deny.size > 0) {
    result.deny = deny;
    result.denyBits = denyBits;
  }
  if (notes.size > 0) result.notes = notes;
}
