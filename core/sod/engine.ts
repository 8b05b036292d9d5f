/**
 * The SoD engine (docs/rulesets.md): finds every identity that holds all functions of a risk.
 *
 * Work is proportional to grants + identities × the risks they could hit, never to pairs of grants:
 *   1. matchers run once per entitlement (match-entitlement.ts), memoized;
 *   2. one pass over each active principal's grants ORs the entitlements' function bitsets
 *      (Uint32Array words); IAM Denies are settled here, per principal, only for the functions
 *      where that principal reaches both an Allow and a Deny;
 *   3. each identity's bitset is the OR of its active principals';
 *   4. each risk is indexed under its rarest function, so an identity is only tested against the
 *      risks whose rarest function it holds.
 * Evidence (which grants give which function) is rebuilt only for the conflicts found.
 */
import { displayName } from '../findings/display';
import type { EvidenceItem, FindingDraft, Severity } from '../findings/model';
import { type AllowPart, denyCovers } from '../iam/statement';
import { displayResource, LITERAL_STAR } from '../iam/variables';
import type { Inventory, PrincipalGrants } from '../inventory';
import type { Entitlement, Grant, Identity, PolicyStatement, Principal } from '../model';
import type { CompiledRisk, CompiledRuleset, SapTarget } from './compile';
import { type EntitlementMatch, hasBit, matchEntitlement } from './match-entitlement';
import { BoundsIndex, type EntitlementLookup, PrincipalIam } from './principal-iam';
import { buildRoleReach, type RoleReach, reachableRoles } from './role-reach';
import { rulesetId } from './ruleset-id';

export type { EntitlementLookup } from './principal-iam';

/** Phase 1–3 result: every identity's function bitset. */
export interface IdentityFunctions {
  /** `inv.identities[i]` owns words `[i*words, (i+1)*words)`. */
  bits: Uint32Array;
  words: number;
  /** Identities holding each function. */
  holders: Uint32Array;
  /** The memoized per-entitlement matches, reused for evidence. */
  lookup: EntitlementLookup;
  /** Per principal: boundary, SCP levels, policy variables (AWS). */
  bounds: BoundsIndex;
  /** Who can assume which AWS role (trust policies), when any role has one. */
  reach?: RoleReach;
}

export interface SodConflict {
  identity: Identity;
  risk: CompiledRisk;
}

/** Memoizes `matchEntitlement` over the inventory's entitlements, by dense index. */
export function entitlementLookup(inv: Inventory, compiled: CompiledRuleset): EntitlementLookup {
  const memo: (EntitlementMatch | null | undefined)[] = new Array(inv.index.entitlementCount);
  return (index) => {
    let m = memo[index];
    if (m === undefined) {
      const entitlement = inv.entitlements.get(inv.index.entitlementUidAt(index));
      m = (entitlement && matchEntitlement(entitlement, compiled)) || null;
      memo[index] = m;
    }
    return m ?? undefined;
  };
}

/** Per entitlement, what the grant pass must do with it. */
const UNSEEN = 0;
const NOTHING = 1;
const PLAIN = 2;
/** Carries IAM Allow or Deny statements: settled per principal. */
const IAM = 3;
/** An SAP role meeting some function only in part: its parts are combined per user (sapFunctions). */
const SAP = 5;
/** Carries IAM statements with policy variables: settled per principal, substituted. */
const IAM_VARIABLES = 4;

/**
 * Phases 1–3: the functions every identity holds through its active principals. A pass over the
 * typed-array grant graph (`inv.index`): per grant, one array read and an OR of a few words.
 *
 * @example
 * const held = computeIdentityFunctions(inventory, compiled);
 */
export function computeIdentityFunctions(inv: Inventory, compiled: CompiledRuleset): IdentityFunctions {
  const words = compiled.words;
  const ix = inv.index;
  const { active, grantOffsets, grantEntitlements, identityOffsets, identityPrincipals } = ix;
  const identityCount = inv.identities.length;
  const bits = new Uint32Array(identityCount * words);
  const holders = new Uint32Array(compiled.functions.length);
  const lookup = entitlementLookup(inv, compiled);
  // Each entitlement's plain function bits, flattened so the grant loop reads one typed array.
  const state = new Uint8Array(ix.entitlementCount);
  const plainBits = new Uint32Array(ix.entitlementCount * words);
  const resolve = (e: number): number => {
    const m = lookup(e);
    let st = NOTHING;
    if (m?.plain) {
      plainBits.set(m.plain, e * words);
      st = PLAIN;
    }
    if (m?.allowBits || m?.denyBits) st = IAM;
    if (m?.variables) st = IAM_VARIABLES;
    if (m?.sapBits) st = SAP;
    state[e] = st;
    return st;
  };
  const scratch = new Scratch(words);
  const sapTargets = compiled.systems.get('sap')?.sap ?? NO_TARGETS;
  const bounds = new BoundsIndex(inv);

  /** ORs principal `p`'s own functions into `out[offset…]`. */
  const principalInto = (p: number, out: Uint32Array, offset: number): void => {
    const g0 = grantOffsets[p]!;
    const g1 = grantOffsets[p + 1]!;
    let iam = false;
    let variables = false;
    let sap = false;
    for (let g = g0; g < g1; g++) {
      const e = grantEntitlements[g]!;
      let st = state[e]!;
      if (st === UNSEEN) st = resolve(e);
      if (st === NOTHING) continue;
      if (st === IAM) iam = true;
      else if (st === IAM_VARIABLES) variables = true;
      else if (st === SAP) sap = true;
      const base = e * words;
      for (let w = 0; w < words; w++) out[offset + w]! |= plainBits[base + w]!;
    }
    if (sap) sapFunctions(grantEntitlements.subarray(g0, g1), lookup, sapTargets, out, offset);
    if (!iam && !variables) return;
    const grants = grantEntitlements.subarray(g0, g1);
    const context = bounds.of(p);
    // Unbounded and without variables (most principals): entitlement bitsets settle it.
    if (!variables && (!context || (context.bounds.length === 0 && context.resourceControls.length === 0))) {
      iamFunctions(grants, lookup, scratch, out, offset);
    } else {
      new PrincipalIam(grants, lookup, inv, compiled, context).addBits(
        out,
        offset,
        scratch.allow,
        scratch.deny,
        scratch.bound,
      );
    }
  };
  // Roles reached through trust policies: their own functions, computed once per role.
  const reach = buildRoleReach(inv, bounds);
  const roleBits = new Map<number, Uint32Array>();
  const bitsOfRole = (r: number): Uint32Array => {
    let b = roleBits.get(r);
    if (!b) {
      b = new Uint32Array(words);
      if (active[r] === 1) principalInto(r, b, 0);
      roleBits.set(r, b);
    }
    return b;
  };

  for (let j = 0; j < identityCount; j++) {
    const offset = j * words;
    for (let k = identityOffsets[j]!; k < identityOffsets[j + 1]!; k++) {
      const p = identityPrincipals[k]!;
      if (active[p] !== 1) continue;
      principalInto(p, bits, offset);
      if (reach?.edges.has(p)) {
        for (const { role } of reachableRoles(reach, p)) {
          const b = bitsOfRole(role);
          for (let w = 0; w < words; w++) bits[offset + w]! |= b[w]!;
        }
      }
    }
    for (let w = 0; w < words; w++) {
      let v = bits[offset + w]!;
      while (v !== 0) {
        const low = v & -v;
        holders[w * 32 + 31 - Math.clz32(low)]!++;
        v ^= low;
      }
    }
  }
  return { bits, words, holders, lookup, bounds, ...(reach ? { reach } : {}) };
}

const NO_TARGETS: readonly SapTarget[] = Object.freeze([]);

/** Per `sap` target, the parts one user's roles meet together. */
function sapMasks(matches: Iterable<EntitlementMatch | undefined>): Map<number, number> {
  const masks = new Map<number, number>();
  for (const m of matches) {
    const parts = m?.sap;
    if (parts) for (const [t, p] of parts) masks.set(t, (masks.get(t) ?? 0) | p.mask);
  }
  return masks;
}

/**
 * ORs into `out[offset…]` the SAP functions one user (principal) holds through parts met by
 * different roles: the transaction from one, an object from another. Parts never combine across
 * users, even of one identity: SAP checks each user's own authorizations.
 */
function sapFunctions(
  grants: Int32Array,
  lookup: EntitlementLookup,
  targets: readonly SapTarget[],
  out: Uint32Array,
  offset: number,
): void {
  for (const [t, mask] of sapMasks(Array.from(grants, (e) => lookup(e)))) {
    const target = targets[t]!;
    if ((mask & target.full) === target.full) out[offset + (target.fn >>> 5)]! |= 1 << (target.fn & 31);
  }
}

class Scratch {
  readonly allow: Uint32Array;
  readonly deny: Uint32Array;
  readonly bound: Uint32Array;
  constructor(words: number) {
    this.allow = new Uint32Array(words);
    this.deny = new Uint32Array(words);
    this.bound = new Uint32Array(words);
  }
}

/**
 * ORs into `out[offset…]` the functions one principal holds through IAM statements: an Allow it
 * reaches, unless a Deny it reaches (in any of its policies) covers it. Functions the identity
 * already holds are not settled again.
 */
function iamFunctions(
  grants: Int32Array,
  lookup: EntitlementLookup,
  s: Scratch,
  out: Uint32Array,
  offset: number,
): void {
  const words = s.allow.length;
  s.allow.fill(0);
  s.deny.fill(0);
  let anyDeny = false;
  for (const e of grants) {
    const m = lookup(e);
    if (m?.allowBits) for (let w = 0; w < words; w++) s.allow[w]! |= m.allowBits[w]!;
    if (m?.denyBits) {
      anyDeny = true;
      for (let w = 0; w < words; w++) s.deny[w]! |= m.denyBits[w]!;
    }
  }
  for (let w = 0; w < words; w++) {
    const have = out[offset + w]!;
    const wanted = s.allow[w]! & ~have;
    if (wanted === 0) continue;
    const contested = anyDeny ? wanted & s.deny[w]! : 0;
    let held = wanted & ~contested;
    let v = contested;
    while (v !== 0) {
      const low = v & -v;
      if (iamHeld(grants, lookup, w * 32 + 31 - Math.clz32(low))) held |= low;
      v ^= low;
    }
    out[offset + w] = have | held;
  }
}

/** The Deny statements a principal reaches that may remove `fn`. */
function deniesFor(grants: Int32Array, lookup: EntitlementLookup, fn: number): PolicyStatement[] {
  const denies: PolicyStatement[] = [];
  for (const grant of grants) {
    const list = lookup(grant)?.deny?.get(fn);
    if (list) for (const d of list) denies.push(d);
  }
  return denies;
}

function survivingPart(
  parts: readonly AllowPart[],
  denies: readonly PolicyStatement[],
): AllowPart | undefined {
  return parts.find((part) => !denies.some((d) => denyCovers(d, part)));
}

/** True when some Allow part the principal reaches for `fn` survives every Deny it reaches. */
function iamHeld(grants: Int32Array, lookup: EntitlementLookup, fn: number): boolean {
  const denies = deniesFor(grants, lookup, fn);
  for (const grant of grants) {
    const parts = lookup(grant)?.allow?.get(fn);
    if (parts && survivingPart(parts, denies)) return true;
  }
  return false;
}

/**
 * Phase 4: every (identity, risk) where the identity holds all the risk's functions, in identity
 * then risk order.
 */
export function findConflicts(
  inv: Inventory,
  compiled: CompiledRuleset,
  held: IdentityFunctions,
): SodConflict[] {
  const { bits, words, holders } = held;
  // Index each risk under its rarest function; a risk no one can hit is never looked at.
  const byFunction: CompiledRisk[][] = compiled.functions.map(() => []);
  for (const risk of compiled.risks) {
    let rarest = risk.functions[0]!;
    for (const fn of risk.functions) if (holders[fn]! < holders[rarest]!) rarest = fn;
    if (holders[rarest]! > 0) byFunction[rarest]!.push(risk);
  }
  const conflicts: SodConflict[] = [];
  const hits: CompiledRisk[] = [];
  const identities = inv.identities;
  for (let i = 0; i < identities.length; i++) {
    const offset = i * words;
    hits.length = 0;
    for (let w = 0; w < words; w++) {
      let v = bits[offset + w]!;
      while (v !== 0) {
        const low = v & -v;
        const candidates = byFunction[w * 32 + 31 - Math.clz32(low)]!;
        for (let r = 0; r < candidates.length; r++) {
          const risk = candidates[r]!;
          if (holdsAll(bits, offset, risk.functions)) hits.push(risk);
        }
        v ^= low;
      }
    }
    if (hits.length === 0) continue;
    if (hits.length > 1) hits.sort(byRiskIndex);
    const identity = identities[i]!;
    for (const risk of hits) conflicts.push({ identity, risk });
  }
  return conflicts;
}

const byRiskIndex = (a: CompiledRisk, b: CompiledRisk) => a.index - b.index;

/** True when the identity whose words start at `offset` holds every function of the list. */
function holdsAll(bits: Uint32Array, offset: number, functions: readonly number[]): boolean {
  for (let k = 0; k < functions.length; k++) {
    const fn = functions[k]!;
    if ((bits[offset + (fn >>> 5)]! & (1 << (fn & 31))) === 0) return false;
  }
  return true;
}

/**
 * Per identity, the ids of the functions it holds (sorted); identities holding none are left out.
 * The benchmark cross-checks this against the same computation in DuckDB SQL.
 *
 * @example
 * functionsByIdentity(inventory, compiled).get('person:jane.doe@example.com'); // ['AP-INVOICE', 'AP-PAYMENT']
 */
export function functionsByIdentity(inv: Inventory, compiled: CompiledRuleset): Map<string, string[]> {
  const held = computeIdentityFunctions(inv, compiled);
  const result = new Map<string, string[]>();
  inv.identities.forEach((identity, i) => {
    const ids: string[] = [];
    for (const fn of compiled.functions) {
      if ((held.bits[i * held.words + (fn.index >>> 5)]! & (1 << (fn.index & 31))) !== 0) ids.push(fn.id);
    }
    if (ids.length > 0) result.set(identity.id, ids.sort());
  });
  return result;
}

/**
 * Evaluates the ruleset over the inventory: one `SOD-CONFLICT` draft per (identity, risk).
 *
 * @example
 * const drafts = evaluateSod(inventory, compileRulesets([parseRuleset(text, file)]));
 */
export function evaluateSod(inv: Inventory, compiled: CompiledRuleset): FindingDraft[] {
  return sodDrafts(inv, compiled, planSod(inv, compiled));
}

/** Every conflict of the run, before any draft is built: cheap (bitsets), so it can be counted first. */
export interface SodPlan {
  held: IdentityFunctions;
  conflicts: SodConflict[];
}

/**
 * Phases 1–4 without the evidence: how many conflicts the run has, known before their drafts
 * (about 2 KB each) are built. The scan checks its findings limit on this (issue 11).
 *
 * @example
 * const plan = planSod(inventory, compiled); // plan.conflicts.length
 */
export function planSod(inv: Inventory, compiled: CompiledRuleset): SodPlan {
  const held = computeIdentityFunctions(inv, compiled);
  return { held, conflicts: findConflicts(inv, compiled, held) };
}

/** One `SOD-CONFLICT` draft per planned conflict (`evaluateSod` = `sodDrafts(planSod(…))`). */
export function sodDrafts(inv: Inventory, compiled: CompiledRuleset, plan: SodPlan): FindingDraft[] {
  const { held, conflicts } = plan;
  const cache = new EvidenceCache(inv, compiled, held);
  const drafts: FindingDraft[] = new Array(conflicts.length);
  for (let i = 0; i < conflicts.length; i++)
    drafts[i] = conflictDraft(inv, compiled, held, conflicts[i]!, cache);
  return drafts;
}

/** One principal as the evidence reads it: its record, its grants and its IAM evaluation. */
interface EvidencePrincipal {
  principal: Principal;
  grants: PrincipalGrants;
  iam: PrincipalIam;
}

/**
 * The evidence of one identity's conflicts reads the same principals once per function of every
 * risk it holds: each principal's grants and IAM evaluation are built once per identity (the
 * conflicts come identity by identity) instead of once per function and conflict. A
 * `PrincipalIam` is a pure function of its inputs, so sharing it changes nothing in the evidence.
 */
class EvidenceCache {
  private identity: Identity | undefined;
  private readonly entries = new Map<string, EvidencePrincipal | null>();
  private readonly rulesets = new Map<string, string>();
  /** One conflict's evidence notes: one set reused, cleared per conflict (most have none). */
  readonly notes = new Set<string>();
  /** Entitlements by dense index, looked up once each (a grant's uid is a string-keyed lookup). */
  private readonly entitlements: (Entitlement | null | undefined)[];

  constructor(
    private readonly inv: Inventory,
    private readonly compiled: CompiledRuleset,
    private readonly held: IdentityFunctions,
  ) {
    this.entitlements = new Array(inv.index.entitlementCount);
  }

  /** The entitlement at dense index `e` (the one its grants name). */
  entitlement(e: number): Entitlement | undefined {
    let found = this.entitlements[e];
    if (found === undefined) {
      found = this.inv.entitlements.get(this.inv.index.entitlementUidAt(e)) ?? null;
      this.entitlements[e] = found;
    }
    return found ?? undefined;
  }

  /** Starts an identity's conflicts: entries of the previous identity are dropped. */
  forIdentity(identity: Identity): void {
    if (identity === this.identity) return;
    this.identity = identity;
    this.entries.clear();
  }

  /** The principal, when it exists, has grants, and `active` if asked. */
  principal(uid: string, requireActive: boolean): EvidencePrincipal | undefined {
    let entry = this.entries.get(uid);
    if (entry === undefined) {
      const principal = this.inv.principals.get(uid);
      const grants = principal ? this.inv.principalGrants(uid) : undefined;
      entry =
        principal && grants
          ? {
              principal,
              grants,
              iam: principalIam(this.inv, this.compiled, this.held, uid, grants.entitlements),
            }
          : null;
      this.entries.set(uid, entry);
    }
    if (!entry || (requireActive && entry.principal.status !== 'active')) return undefined;
    return entry;
  }

  rulesetId(file: string): string {
    let id = this.rulesets.get(file);
    if (id === undefined) {
      id = rulesetId(file);
      this.rulesets.set(file, id);
    }
    return id;
  }
}

interface FunctionGrant {
  grant: Grant;
  /** Dense index of the grant's entitlement. */
  e: number;
  part?: AllowPart;
  /** SAP: how this role meets the function's transaction and objects. */
  sap?: string[];
}

/** The grants of one active principal that give `fn`, with the IAM part that survived, if any. */
function grantsGiving(
  held: PrincipalGrants,
  iam: PrincipalIam,
  fn: number,
  notes: Set<string>,
  sapTargets: readonly SapTarget[] = NO_TARGETS,
): FunctionGrant[] {
  const out: FunctionGrant[] = [];
  let denies: PolicyStatement[] | undefined;
  let sapPartial = false;
  for (let i = 0; i < held.grants.length; i++) {
    const m = iam.identity[i];
    if (!m) continue;
    // Statements of any reached entitlement that were not evaluated as written (one pass with the grants).
    const n = m.notes?.get(fn);
    if (n) for (const note of n) notes.add(note);
    if (hasBit(m.plain, fn)) {
      const full = m.sap && sapTargets.find((t) => t.fn === fn && m.sap!.get(t.index)?.mask === t.full);
      const proof = full ? m.sap!.get(full.index)!.proof : undefined;
      out.push(
        proof
          ? { grant: held.grants[i]!, e: held.entitlements[i]!, sap: proof }
          : { grant: held.grants[i]!, e: held.entitlements[i]! },
      );
      continue;
    }
    if (hasBit(m.sapBits, fn)) sapPartial = true;
    const parts = m.allow?.get(fn);
    if (!parts) continue;
    denies ??= iam.denies(fn);
    const part = iam.survivor(parts, fn, denies);
    if (part) out.push({ grant: held.grants[i]!, e: held.entitlements[i]!, part });
  }
  if (out.some((g) => g.part)) iam.notesFor(fn, notes);
  if (sapPartial && out.length === 0) {
    // No single role gives it: the roles whose parts together meet one of the function's matchers.
    const masks = sapMasks(iam.identity);
    const target = sapTargets.find((t) => t.fn === fn && ((masks.get(t.index) ?? 0) & t.full) === t.full);
    if (target) {
      for (let i = 0; i < held.grants.length; i++) {
        const part = iam.identity[i]?.sap?.get(target.index);
        if (part) out.push({ grant: held.grants[i]!, e: held.entitlements[i]!, sap: part.proof });
      }
    }
  }
  return out;
}

/** The IAM evaluation of one principal for the evidence (bounds and variables included). */
function principalIam(
  inv: Inventory,
  compiled: CompiledRuleset,
  held: IdentityFunctions,
  uid: string,
  grants: Int32Array,
): PrincipalIam {
  const p = inv.index.principalIndexOf(uid);
  const context = p === undefined ? undefined : held.bounds.of(p);
  return new PrincipalIam(grants, held.lookup, inv, compiled, context);
}

/**
 * What the AWS sources of these principals did not evaluate, and could change the answer: one note
 * per source (from its snapshot header's `evaluation`).
 */
function notEvaluated(inv: Inventory, principals: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const uid of principals) {
    const p = inv.principals.get(uid);
    if (p?.system !== 'aws' || seen.has(p.sourceId)) continue;
    seen.add(p.sourceId);
    const evaluation = inv.sources.get(p.sourceId)?.evaluation;
    if (!evaluation) {
      out.push(
        `AWS source ${p.sourceId}: its snapshot does not say which policy kinds were evaluated (boundaries, SCPs and trust policies may not have been)`,
      );
      continue;
    }
    const open = Object.entries(evaluation.policies).filter(([, status]) => status !== 'evaluated');
    if (open.length > 0) {
      out.push(
        `AWS source ${p.sourceId}, not fully evaluated: ${open.map(([kind, status]) => `${kind} ${status}`).join('; ')}`,
      );
    }
  }
  return out;
}

/** A rule resource as the evidence shows it: the literal `"*"` quoted. */
function showResource(resource: string): string {
  return resource === LITERAL_STAR ? '"*"' : displayResource(resource);
}

function identitySources(inv: Inventory, identity: Identity, sources: string[]): string[] {
  for (const uid of identity.principals) {
    const sourceId = inv.principals.get(uid)?.sourceId;
    if (sourceId && !sources.includes(sourceId)) sources.push(sourceId);
  }
  return sources;
}

/** Shared by every direct grant's evidence: never mutated. */
const NO_PATH: string[] = [];

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const LOWER: Record<Severity, Severity> = { critical: 'high', high: 'medium', medium: 'low', low: 'low' };

/** One level less severe (`low` stays `low`). */
export function lowerSeverity(s: Severity): Severity {
  return LOWER[s];
}

function conflictDraft(
  inv: Inventory,
  compiled: CompiledRuleset,
  held: IdentityFunctions,
  { identity, risk }: SodConflict,
  cache: EvidenceCache,
): FindingDraft {
  cache.forIdentity(identity);
  // Few principals, sources and notes per conflict: small arrays beat Sets here (tens of thousands of drafts).
  const principals: string[] = [];
  const sources: string[] = [];
  const evidence: EvidenceItem[] = [];
  const notes = cache.notes;
  notes.clear();
  let usesIam = false;
  let usesSap = false;
  const sapTargets = compiled.systems.get('sap')?.sap ?? NO_TARGETS;

  // The grants giving each function are the `grant` evidence items (each names its function);
  // the detail only names the functions, so a conflict's proof is built once.
  const functions: { id: string; name: string }[] = [];
  for (const fnIndex of risk.functions) {
    const fn = compiled.functions[fnIndex]!;
    for (const uid of identity.principals) {
      const own = cache.principal(uid, true);
      if (!own) continue;
      const { principal, grants } = own;
      const found = grantsGiving(grants, own.iam, fnIndex, notes, sapTargets);
      if (found.length > 1) {
        found.sort(
          (a, b) =>
            cmp(a.grant.entitlement, b.grant.entitlement) ||
            cmp(a.grant.path.join('/'), b.grant.path.join('/')),
        );
      }
      if (found.length > 0 && !principals.includes(uid)) principals.push(uid);
      for (const { grant, e, part, sap } of found) {
        const entitlement = cache.entitlement(e);
        if (!sources.includes(principal.sourceId)) sources.push(principal.sourceId);
        if (entitlement && !sources.includes(entitlement.sourceId)) sources.push(entitlement.sourceId);
        if (part) usesIam = true;
        if (sap) usesSap = true;
        // Most grants are direct: they share one empty path.
        const path = grant.path.length > 0 ? [...grant.path] : NO_PATH;
        const via =
          grant.path.length > 0
            ? ` via ${grant.path.map((p) => inv.entitlements.get(p)?.name ?? p).join(' → ')}`
            : ' (direct)';
        const iam = part
          ? `, allowing ${part.ruleAction} on ${showResource(part.ruleResource)}${part.sid ? ` (statement ${part.sid})` : ''}`
          : '';
        evidence.push({
          kind: 'grant',
          principal: uid,
          entitlement: grant.entitlement,
          path,
          function: fn.id,
          // join() builds one flat string; a template literal leaves a chain of cons-strings that
          // every evidence item would carry through garbage collection.
          text: [
            principal.name,
            ' (',
            principal.system,
            ') holds ',
            fn.id,
            ' "',
            fn.name,
            '" through ',
            entitlement?.name ?? grant.entitlement,
            via,
            iam,
            sap ? `: ${sap.join('; ')}` : '',
          ].join(''),
        });
      }
    }
    // Not held through the identity's own grants: through roles it can assume (trust policies).
    if (held.reach && !evidence.some((e) => e.kind === 'grant' && e.function === fn.id)) {
      for (const uid of identity.principals) {
        const start = inv.index.principalIndexOf(uid);
        if (start === undefined || !held.reach.edges.has(start)) continue;
        const caller = inv.principals.get(uid);
        if (caller?.status !== 'active') continue;
        for (const { role, chain } of reachableRoles(held.reach, start)) {
          const roleUid = inv.index.principalUidAt(role);
          const reached = cache.principal(roleUid, false);
          if (!reached) continue;
          const rolePrincipal = reached.principal;
          const found = grantsGiving(reached.grants, reached.iam, fnIndex, notes);
          if (found.length === 0) continue;
          if (!principals.includes(uid)) principals.push(uid);
          usesIam = true;
          for (const n of held.reach.notes.get(role) ?? []) notes.add(n);
          if (chain.some((c) => c.conditional)) {
            notes.add(
              'a trust policy or Allow on sts:AssumeRole in this chain has a Condition, not evaluated (counted as allowing)',
            );
          }
          const hops = chain
            .map(
              (c) =>
                `can assume ${inv.principals.get(inv.index.principalUidAt(c.role))?.name ?? c.role} (trust: ${c.trust})`,
            )
            .join(' → ');
          for (const { grant, e, part } of found) {
            const entitlement = cache.entitlement(e);
            for (const src of [caller.sourceId, rolePrincipal.sourceId, entitlement?.sourceId]) {
              if (src && !sources.includes(src)) sources.push(src);
            }
            const allowing = part
              ? ` → ${part.ruleAction} on ${showResource(part.ruleResource)}${part.sid ? ` (statement ${part.sid})` : ''}`
              : '';
            evidence.push({
              kind: 'grant',
              principal: roleUid,
              entitlement: grant.entitlement,
              path: [...chain.map((c) => inv.index.principalUidAt(c.role)), ...grant.path],
              function: fn.id,
              text: [
                caller.name,
                ' → ',
                hops,
                ` (role chain depth ${chain.length})`,
                ' → holds ',
                fn.id,
                ' "',
                fn.name,
                '" through ',
                entitlement?.name ?? grant.entitlement,
                allowing,
              ].join(''),
            });
          }
        }
      }
    }
    functions.push({ id: fn.id, name: fn.name });
  }

  if (identity.principals.length > 1 && identity.email) {
    evidence.push({
      kind: 'attribute',
      signal: 'email',
      text: `${identity.principals.length} principals correlated as one person by email ${identity.email}: ${identity.principals.join(', ')}`,
    });
  }
  if (usesIam) {
    evidence.push({
      kind: 'note',
      text: 'IAM policy conditions are not evaluated: an Allow with a Condition counts as allowing, a Deny with a Condition does not count as denying',
    });
  }
  if (usesSap) {
    evidence.push({
      kind: 'note',
      text: 'SAP authorizations: each listed object is met by one authorization whose fields all allow a listed value; the transaction (S_TCODE) and each object may come from different roles of the same user, as SAP checks them separately, never from different users',
    });
  }
  if (usesIam) for (const n of notEvaluated(inv, principals)) notes.add(n);
  if (notes.size > 0) for (const n of [...notes].sort()) evidence.push({ kind: 'note', text: n });

  // A conflict all of whose grants sit outside financial reporting matters one level less.
  const significant = sources.some((id) => inv.sources.get(id)?.financiallySignificant === true);
  const severity = significant ? risk.severity : lowerSeverity(risk.severity);
  const detail: Record<string, unknown> = {
    riskId: risk.id,
    riskTitle: risk.title,
    ruleset: cache.rulesetId(risk.file),
    functions,
  };
  if (severity !== risk.severity) {
    const why = `severity lowered from ${risk.severity} to ${severity}: no grant of this conflict sits on a source marked financiallySignificant (${[...sources].sort().join(', ')})`;
    detail.riskSeverity = risk.severity;
    detail.severityReason = why;
    evidence.push({ kind: 'note', text: why });
  }

  return {
    rule: 'SOD-CONFLICT',
    severity,
    title: `${risk.id} ${risk.title}: ${identityDisplay(inv, identity)}`,
    subject: { identity: identity.id, principals: principals.sort(), anchors: identity.anchors },
    detail,
    evidence,
    // Every source of the identity, not only those whose grants give the functions: the identity
    // (and so the finding's id) exists through all of them, so only a run that collected all of
    // them completely may resolve it.
    sources: identitySources(inv, identity, sources).sort(),
    key: `${identity.id}|${risk.id}`,
    ruleKey: risk.id,
  };
}

/** The identity's name as every finding shows it (`findings/display.ts`). */
function identityDisplay(inv: Inventory, identity: Identity): string {
  const principals: Principal[] = [];
  for (const uid of identity.principals) {
    const p = inv.principals.get(uid);
    if (p) principals.push(p);
  }
  return displayName(principals) ?? identity.name;
}
