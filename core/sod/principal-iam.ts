/**
 * One AWS principal's IAM evaluation for the SoD engine, as AWS's policy evaluation logic decides
 * it: an action on a resource is allowed when an identity policy allows it, the permissions
 * boundary (if any) allows it, every level of the account's SCPs (root, each OU, the account)
 * allows it, and no Deny in any of them applies. Policy variables are substituted for this
 * principal. Principals with none of these (most of them) never come here: the engine's grant pass
 * settles them with entitlement bitsets alone.
 */
import { appendAll } from '../arrays';
import { globsIntersect } from '../glob';
import type { AllowPart } from '../iam/statement';
import { denyCovers } from '../iam/statement';
import { principalVariables, substituteVariables, type VariableLookup } from '../iam/variables';
import type { Inventory } from '../inventory';
import type { Entitlement, PolicyStatement, Principal } from '../model';
import type { CompiledRuleset } from './compile';
import { type EntitlementMatch, matchSubstituted } from './match-entitlement';

export type EntitlementLookup = (entitlementIndex: number) => EntitlementMatch | undefined;

/** A policy set that must also allow (a permissions boundary, one SCP level). */
export interface PolicyBound {
  kind: 'boundary' | 'scp';
  /** `permissions boundary Name`, `SCPs at ou-…`. */
  label: string;
  /** Entitlement indexes of its policies. */
  entitlements: number[];
}

/**
 * One account's RCP levels, evaluated as Deny-only: RCPFullAWSAccess (Allow `*`) is attached at
 * every level and cannot be detached, so what an RCP changes is what its Denies remove, and only
 * for resources in that account.
 */
export interface ResourceControl {
  /** The account whose resources the RCPs protect. */
  account: string;
  /** Entitlement indexes of its RCPs (every level). */
  entitlements: number[];
}

/** What bounds one principal, beyond its identity policies. */
export interface PrincipalBounds {
  principal: Principal;
  bounds: PolicyBound[];
  /** RCPs of the run's accounts that hold a Deny: they bound requests on those accounts' resources. */
  resourceControls: ResourceControl[];
  /** Evidence notes: bounds that could not be evaluated, SCP exemptions. */
  notes: string[];
  /** The principal's statements hold policy variables (or its bounds do). */
  variables: VariableLookup;
}

/** Per principal: what bounds it, computed once per principal that has IAM grants. */
export class BoundsIndex {
  private readonly memo = new Map<number, PrincipalBounds | null>();
  private readonly levelsBySource = new Map<string, PolicyBound[]>();
  private rcps: ResourceControl[] | undefined;

  constructor(private readonly inv: Inventory) {}

  /** Undefined when the principal is bounded by nothing (the fast path applies). */
  of(principalIndex: number): PrincipalBounds | undefined {
    let b = this.memo.get(principalIndex);
    if (b === undefined) {
      b = this.compute(principalIndex) ?? null;
      this.memo.set(principalIndex, b);
    }
    return b ?? undefined;
  }

  principal(principalIndex: number): Principal | undefined {
    return this.inv.principals.get(this.inv.index.principalUidAt(principalIndex));
  }

  private compute(p: number): PrincipalBounds | undefined {
    const principal = this.principal(p);
    if (principal?.system !== 'aws') return undefined;
    const bounds: PolicyBound[] = [];
    const notes: string[] = [];
    const boundary = principal.aws?.permissionsBoundary;
    if (boundary) {
      const index = this.inv.index.entitlementIndexOf(boundary);
      const e = this.inv.entitlements.get(boundary);
      if (index === undefined || !e?.statements) {
        notes.push(
          `${principal.name}: permissions boundary ${e?.name ?? boundary} could not be evaluated (its policy document is not in the snapshot): counted as allowing everything`,
        );
      } else
        bounds.push({ kind: 'boundary', label: `permissions boundary ${e.name}`, entitlements: [index] });
    }
    const scp = this.scpLevels(principal.sourceId);
    // SCPs and RCPs do not restrict service-linked roles (AWS Organizations documentation).
    const serviceLinked = principal.type === 'service-linked-role';
    if (scp.length > 0 && !serviceLinked) appendAll(bounds, scp);
    const resourceControls = serviceLinked ? [] : this.resourceControls();
    return { principal, bounds, resourceControls, notes, variables: principalVariables(principal) };
  }

  /** Every AWS account of the run whose RCPs hold a Deny statement (the rest change nothing). */
  private resourceControls(): ResourceControl[] {
    if (this.rcps) return this.rcps;
    const out: ResourceControl[] = [];
    for (const source of this.inv.sources.values()) {
      if (source.system !== 'aws' || !source.tenant) continue;
      const entitlements: number[] = [];
      let deny = false;
      for (const level of source.evaluation?.resourceControlLevels ?? []) {
        for (const uid of level.policies) {
          const index = this.inv.index.entitlementIndexOf(uid);
          if (index === undefined) continue;
          entitlements.push(index);
          if (this.inv.entitlements.get(uid)?.statements?.some((st) => st.effect === 'Deny')) deny = true;
        }
      }
      if (deny) out.push({ account: source.tenant, entitlements });
    }
    this.rcps = out;
    return out;
  }

  private scpLevels(sourceId: string): PolicyBound[] {
    let levels = this.levelsBySource.get(sourceId);
    if (levels) return levels;
    levels = [];
    const evaluation = this.inv.sources.get(sourceId)?.evaluation;
    for (const level of evaluation?.serviceControlLevels ?? []) {
      const entitlements: number[] = [];
      for (const uid of level.policies) {
        const index = this.inv.index.entitlementIndexOf(uid);
        if (index !== undefined) entitlements.push(index);
      }
      levels.push({ kind: 'scp', label: `SCPs at ${level.target}`, entitlements });
    }
    this.levelsBySource.set(sourceId, levels);
    return levels;
  }
}

const ACTIONS = { caseInsensitive: true } as const;

/** Two parts of one function that some single request satisfies (same rule action and resource). */
function compatible(p: AllowPart, q: AllowPart): boolean {
  if (p.ruleAction !== q.ruleAction || p.ruleResource !== q.ruleResource) return false;
  if (
    p.statementAction &&
    q.statementAction &&
    !globsIntersect(p.statementAction, q.statementAction, ACTIONS)
  )
    return false;
  if (p.statementResource && q.statementResource && !globsIntersect(p.statementResource, q.statementResource))
    return false;
  return true;
}

/**
 * The account of the resources a part covers, when its ARN says: the part is the intersection of
 * the rule's and the statement's resource patterns, so one of them naming a literal account is
 * enough. Undefined for `*`, a wildcard account, and ARNs without an account (S3 buckets).
 */
export function resourceAccountOf(part: AllowPart): string | undefined {
  for (const r of [part.statementResource, part.ruleResource]) {
    if (r === undefined || !r.startsWith('arn:')) continue;
    const account = r.split(':')[4];
    if (account !== undefined && /^\d{12}$/.test(account)) return account;
  }
  return undefined;
}

/** An RCP Deny for one function, with the account whose resources it protects. */
interface ResourceDeny {
  account: string;
  statement: PolicyStatement;
}

/** One bound as evaluated for a principal: its matches, and whether it restricts at all. */
interface EvaluatedBound {
  label: string;
  matches: (EntitlementMatch | undefined)[];
  /** Some policy of the bound allows everything: it only contributes Denies. */
  transparent: boolean;
}

/**
 * A principal's matches: its identity grants (substituted where they hold variables) and its
 * bounds. Built per principal, used for the function bits and for the evidence.
 */
export class PrincipalIam {
  /** Parallel to the grants. */
  readonly identity: (EntitlementMatch | undefined)[];
  readonly bounds: EvaluatedBound[];
  /** Per account with RCP Denies: the matches of its RCPs. */
  readonly resourceControls: { account: string; matches: (EntitlementMatch | undefined)[] }[];

  constructor(
    grants: Int32Array,
    private readonly lookup: EntitlementLookup,
    private readonly inv: Inventory,
    private readonly compiled: CompiledRuleset,
    readonly context: PrincipalBounds | undefined,
  ) {
    // A plain loop: Array.from with a mapping function iterates a typed array generically, and
    // the SoD evidence builds one of these per principal of every conflicting identity.
    const identity: (EntitlementMatch | undefined)[] = new Array(grants.length);
    if (context) for (let i = 0; i < grants.length; i++) identity[i] = this.matchOf(grants[i]!);
    else for (let i = 0; i < grants.length; i++) identity[i] = lookup(grants[i]!);
    this.identity = identity;
    this.bounds = (context?.bounds ?? []).map((b) => {
      const matches = b.entitlements.map((e) => this.matchOf(e));
      return { label: b.label, matches, transparent: matches.some((m) => m?.allowsAll) };
    });
    this.resourceControls = (context?.resourceControls ?? []).map((r) => ({
      account: r.account,
      matches: r.entitlements.map((e) => this.matchOf(e)),
    }));
  }

  /** The RCP Denies reached for `fn`, each with the account whose resources it protects. */
  resourceDenies(fn: number): ResourceDeny[] {
    const out: ResourceDeny[] = [];
    for (const r of this.resourceControls) {
      for (const m of r.matches)
        for (const d of m?.deny?.get(fn) ?? []) out.push({ account: r.account, statement: d });
    }
    return out;
  }

  private matchOf(e: number): EntitlementMatch | undefined {
    const m = this.lookup(e);
    if (!m?.variables || !this.context) return m;
    const entitlement = this.inv.entitlements.get(this.inv.index.entitlementUidAt(e));
    if (!entitlement?.statements) return m;
    return merge(m, substitutedMatch(entitlement, this.context.variables, this.compiled));
  }

  /** True when a bound restricts what the identity policies allow (part-level settling needed). */
  get restricted(): boolean {
    return this.bounds.some((b) => !b.transparent);
  }

  /** Every Deny reached for `fn`, from identity policies and bounds. */
  denies(fn: number): PolicyStatement[] {
    const out: PolicyStatement[] = [];
    const add = (m: EntitlementMatch | undefined) => {
      const list = m?.deny?.get(fn);
      if (list) for (const d of list) out.push(d);
    };
    for (const m of this.identity) add(m);
    for (const b of this.bounds) for (const m of b.matches) add(m);
    return out;
  }

  /** The part of `parts` that survives the Denies and is allowed by every bound, if any. */
  survivor(
    parts: readonly AllowPart[],
    fn: number,
    denies: readonly PolicyStatement[],
  ): AllowPart | undefined {
    const rcp = this.resourceControls.length > 0 ? this.resourceDenies(fn) : [];
    const open = (p: AllowPart) => {
      if (denies.some((d) => denyCovers(d, p))) return false;
      if (rcp.length === 0) return true;
      // An RCP protects its own account's resources only: applied where the ARN names the account.
      const account = resourceAccountOf(p);
      return !rcp.some((d) => d.account === account && denyCovers(d.statement, p));
    };
    return parts.find(
      (p) =>
        open(p) &&
        this.bounds.every(
          (b) =>
            b.transparent ||
            b.matches.some((m) => m?.allow?.get(fn)?.some((q) => compatible(p, q) && open(q))),
        ),
    );
  }

  /** True when some identity Allow for `fn` survives. */
  holds(fn: number): boolean {
    const denies = this.denies(fn);
    for (const m of this.identity) {
      const parts = m?.allow?.get(fn);
      if (parts && this.survivor(parts, fn, denies)) return true;
    }
    return false;
  }

  /** Evidence notes of the bounds that touch `fn`, and the bounds' own notes. */
  notesFor(fn: number, out: Set<string>): void {
    for (const n of this.context?.notes ?? []) out.add(n);
    for (const b of this.bounds) {
      for (const m of b.matches) for (const n of m?.notes?.get(fn) ?? []) out.add(n);
    }
    for (const r of this.resourceControls) {
      for (const m of r.matches) {
        for (const n of m?.notes?.get(fn) ?? []) out.add(n);
        if (m?.deny?.get(fn)?.length) {
          out.add(
            `RCPs of account ${r.account} deny part of this function: applied to resources whose ARN names account ${r.account}; not to resources whose ARN names no account (S3 buckets) or another`,
          );
        }
      }
    }
  }

  /**
   * ORs into `out[offset…]` the functions the principal holds through IAM; functions already held
   * are not settled again.
   */
  addBits(out: Uint32Array, offset: number, allow: Uint32Array, deny: Uint32Array, bound: Uint32Array): void {
    const words = allow.length;
    allow.fill(0);
    deny.fill(0);
    let anyDeny = false;
    for (const m of this.identity) {
      if (m?.allowBits) for (let w = 0; w < words; w++) allow[w]! |= m.allowBits[w]!;
      if (m?.denyBits) {
        anyDeny = true;
        for (let w = 0; w < words; w++) deny[w]! |= m.denyBits[w]!;
      }
    }
    const restricted = this.restricted;
    for (const r of this.resourceControls) {
      for (const m of r.matches) {
        if (!m?.denyBits) continue;
        anyDeny = true;
        for (let w = 0; w < words; w++) deny[w]! |= m.denyBits[w]!;
      }
    }
    for (const b of this.bounds) {
      bound.fill(0);
      for (const m of b.matches) {
        if (m?.allowBits) for (let w = 0; w < words; w++) bound[w]! |= m.allowBits[w]!;
        if (m?.denyBits) {
          anyDeny = true;
          for (let w = 0; w < words; w++) deny[w]! |= m.denyBits[w]!;
        }
      }
      if (!b.transparent) for (let w = 0; w < words; w++) allow[w]! &= bound[w]!;
    }
    for (let w = 0; w < words; w++) {
      const have = out[offset + w]!;
      const wanted = allow[w]! & ~have;
      if (wanted === 0) continue;
      // Behind a bound, an identity Allow and a bound Allow of one function may be different
      // actions: every such function is settled part by part.
      const contested = restricted ? wanted : anyDeny ? wanted & deny[w]! : 0;
      let held = wanted & ~contested;
      let v = contested;
      while (v !== 0) {
        const low = v & -v;
        if (this.holds(w * 32 + 31 - Math.clz32(low))) held |= low;
        v ^= low;
      }
      out[offset + w] = have | held;
    }
  }
}

/** The match of an entitlement's variable statements for one principal. */
function substitutedMatch(
  entitlement: Entitlement,
  variables: VariableLookup,
  compiled: CompiledRuleset,
): EntitlementMatch {
  const statements: { statement: PolicyStatement; notes: string[]; index: number }[] = [];
  (entitlement.statements ?? []).forEach((st, index) => {
    if (!st.variables) return;
    const sub = substituteVariables(st, variables);
    // A statement that cannot apply still carries its notes; an empty Resource matches nothing.
    statements.push({
      statement: sub.statement ?? { ...st, variables: false, resource: [] },
      notes: sub.notes,
      index,
    });
  });
  return matchSubstituted(entitlement, statements, compiled);
}

function mergeMap<V>(
  a: Map<number, V[]> | undefined,
  b: Map<number, V[]> | undefined,
): Map<number, V[]> | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = new Map(a);
  for (const [k, v] of b) out.set(k, [...(out.get(k) ?? []), ...v]);
  return out;
}

function mergeBits(a: Uint32Array | undefined, b: Uint32Array | undefined): Uint32Array | undefined {
  if (!a) return b;
  if (!b) return a;
  const out = new Uint32Array(a);
  for (let w = 0; w < out.length; w++) out[w]! |= b[w]!;
  return out;
}

function merge(base: EntitlementMatch, extra: EntitlementMatch): EntitlementMatch {
  const out: EntitlementMatch = { ...base };
  const allow = mergeMap(base.allow, extra.allow);
  const deny = mergeMap(base.deny, extra.deny);
  const notes = mergeMap(base.notes, extra.notes);
  const allowBits = mergeBits(base.allowBits, extra.allowBits);
  const denyBits = mergeBits(base.denyBits, extra.denyBits);
  if (allow) out.allow = allow;
  if (deny) out.deny = deny;
  if (notes) out.notes = notes;
  if (allowBits) out.allowBits = allowBits;
  if (denyBits) out.denyBits = denyBits;
  return out;
}
