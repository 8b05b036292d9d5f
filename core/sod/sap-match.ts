/**
 * SAP authorization matching for `sap` SoD matchers, one role (entitlement) at a time.
 *
 * SAP checks an authorization object against each authorization (AGR_1251 `AUTH`) of the user's
 * profiles separately: a check passes when ONE authorization allows every checked field. So an
 * object requirement is met by one authorization whose listed fields each allow one of the listed
 * values, never by fields taken from two authorizations. Different objects (and `S_TCODE`) are
 * separate checks: they may be met by different roles of the same user. This module reports, per
 * role and matcher, which parts (transaction, objects) the role meets; engine.ts combines the parts
 * over one user's roles.
 *
 * Field values follow PFCG: `*` allows everything, a trailing `*` a prefix, `LOW`–`HIGH` a range
 * (character order, as SAP compares), anything else itself. A value starting with `$` is an
 * organizational-level variable left unresolved: it is not evaluated and allows nothing (a note
 * says so). A rule value `*` asks for any maintained value of the field (e.g. any release code).
 */
import type { Entitlement, SapAuthorization, SapFieldValue } from '../model';
import type { SapTarget } from './compile';
import type { SapObjectRequirement } from './ruleset';

/** What one role gives towards one `sap` matcher. */
export interface SapPartMatch {
  /** Parts met (bit 0 transaction, bit 1 + i object i). */
  mask: number;
  /** How each part is met, for the evidence: `S_TCODE TCD=F110 (authorization T-AP01, value F1*)`. */
  proof: string[];
}

export type ValueCheck = 'allows' | 'denies' | 'variable';

/**
 * Whether one PFCG field value allows `wanted`.
 *
 * @example
 * valueAllows({ low: 'F1*' }, 'F110');            // 'allows'
 * valueAllows({ low: '01', high: '03' }, '02');    // 'allows'
 * valueAllows({ low: '$BUKRS' }, '1000');          // 'variable'
 */
export function valueAllows(v: SapFieldValue, wanted: string): ValueCheck {
  const { low, high } = v;
  if (low.startsWith('$')) return 'variable';
  if (high !== undefined && high !== '') return low <= wanted && wanted <= high ? 'allows' : 'denies';
  if (low === '*') return 'allows';
  if (low.endsWith('*')) return wanted.startsWith(low.slice(0, -1)) ? 'allows' : 'denies';
  return low === wanted ? 'allows' : 'denies';
}

function show(v: SapFieldValue): string {
  return v.high ? `${v.low}–${v.high}` : v.low;
}

/** The first value of `values` allowing one of `wanted`, as `FIELD=wanted (value)`; notes for variables. */
function fieldAllows(
  field: string,
  values: readonly SapFieldValue[] | undefined,
  wanted: readonly string[],
  variables: string[],
): string | undefined {
  if (!values) return undefined;
  const any = wanted.includes('*');
  for (const v of values) {
    // A rule's `*` asks for any maintained value (not empty, not an unresolved variable).
    if (any && v.low !== '' && !v.low.startsWith('$')) return `${field}=${show(v)}`;
    for (const w of wanted) {
      const check = valueAllows(v, w);
      if (check === 'allows')
        return v.low === w && !v.high ? `${field}=${w}` : `${field}=${w} (value ${show(v)})`;
      if (check === 'variable') {
        if (!variables.includes(v.low)) variables.push(v.low);
        break;
      }
    }
  }
  return undefined;
}

/** One authorization of `object` meeting every listed field, with its proof. */
function coveringAuthorization(
  auths: readonly SapAuthorization[],
  req: SapObjectRequirement,
  notes: string[],
  role: string,
): string | undefined {
  for (const a of auths) {
    const parts: string[] = [];
    const variables: string[] = [];
    let ok = true;
    for (const [field, wanted] of Object.entries(req.fields)) {
      const p = fieldAllows(field, a.fields[field], wanted, variables);
      if (p === undefined) {
        ok = false;
        if (variables.length > 0) {
          notes.push(
            `${role}: ${req.object} ${field} in authorization ${a.auth} holds unresolved variable ${variables.join(', ')}: not evaluated, counted as not allowing`,
          );
        }
        break;
      }
      parts.push(p);
    }
    if (ok) return `${req.object} ${parts.join(', ')} (authorization ${a.auth})`;
  }
  return undefined;
}

export interface SapRoleMatch {
  /** Per target index: the parts this role meets (only targets it meets at least in part). */
  parts: Map<number, SapPartMatch>;
  /** Per function: notes on values not evaluated. */
  notes: Map<number, string[]>;
}

/**
 * The parts of every `sap` matcher one role meets. A full-authorization profile (`sapAll`) meets all.
 *
 * @example
 * const m = matchSapRole(role, compiled.systems.get('sap')!.sap);
 * m.parts.get(0)?.mask === targets[0].full; // the role alone gives the function
 */
export function matchSapRole(entitlement: Entitlement, targets: readonly SapTarget[]): SapRoleMatch {
  const parts = new Map<number, SapPartMatch>();
  const notes = new Map<number, string[]>();
  if (entitlement.sapAll) {
    for (const t of targets) {
      parts.set(t.index, {
        mask: t.full,
        proof: [
          `${entitlement.name} gives every authorization (${entitlement.privilegedReason ?? 'full profile'})`,
        ],
      });
    }
    return { parts, notes };
  }
  const byObject = new Map<string, SapAuthorization[]>();
  for (const a of entitlement.sapAuthorizations ?? []) {
    const list = byObject.get(a.object);
    if (list) list.push(a);
    else byObject.set(a.object, [a]);
  }
  if (byObject.size === 0) return { parts, notes };
  const role = entitlement.nativeId;
  for (const t of targets) {
    let mask = 0;
    const proof: string[] = [];
    const fnNotes: string[] = [];
    if (t.tcodes.length > 0) {
      const p = coveringAuthorization(
        byObject.get('S_TCODE') ?? [],
        { object: 'S_TCODE', fields: { TCD: t.tcodes } },
        fnNotes,
        role,
      );
      if (p) {
        mask |= 1;
        proof.push(p);
      }
    }
    t.objects.forEach((req, i) => {
      const p = coveringAuthorization(byObject.get(req.object) ?? [], req, fnNotes, role);
      if (p) {
        mask |= 1 << (i + 1);
        proof.push(p);
      }
    });
    if (mask !== 0) parts.set(t.index, { mask, proof });
    if (fnNotes.length > 0) {
      const list = notes.get(t.fn) ?? [];
      for (const n of fnNotes) if (!list.includes(n)) list.push(n);
      notes.set(t.fn, list);
    }
  }
  return { parts, notes };
}
