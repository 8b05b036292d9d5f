/**
 * Who can assume which role, across the AWS accounts of one run: a caller reaches a role when the
 * role's trust policy allows it (its ARN, its account's root, `*`) and its own policies (after
 * boundary and SCPs) allow `sts:AssumeRole` on the role's ARN. Within one account a trust policy
 * naming the caller's ARN suffices (it is a resource-based policy); across accounts both sides must
 * allow. Trust by a SAML provider reaches the principals the inventory shows coming through it: an
 * account whose entitlement (an Entra app role of the AWS SAML app) carries the value
 * `<role ARN>,<provider ARN>` is sent by that identity provider as that role, and the trust policy
 * lets it in (`sts:AssumeRoleWithSAML`). Anyone else who may come through a provider (an OIDC
 * provider, a SAML provider no collected entitlement maps) is decided in the identity provider,
 * outside the inventory: the role's evidence says that reach is unknown. A service reaches no one.
 *
 * The edges are computed once per scan; the engine ORs a reached role's function bits into the
 * caller's identity (transitively: role chaining), so the SoD pass stays on bitsets.
 */
import { appendAll } from '../arrays';
import { globMatch } from '../glob';
import { decideRequest, type RequestPolicies } from '../iam/request';
import { substituteVariables } from '../iam/variables';
import type { Inventory } from '../inventory';
import type { PolicyStatement, Principal } from '../model';
import type { BoundsIndex } from './principal-iam';

export const ASSUME_ROLE = 'sts:AssumeRole';
export const ASSUME_ROLE_WITH_SAML = 'sts:AssumeRoleWithSAML';
export const ASSUME_ROLE_WITH_WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';

const ROLE_ARN = /^arn:[^:]+:iam::\d{12}:role\/.+$/;
const SAML_PROVIDER_ARN = /^arn:[^:]+:iam::\d{12}:saml-provider\/.+$/;

/**
 * Entitlements that send their holders to an AWS role through a SAML provider: a permission value
 * `<role ARN>,<provider ARN>` (either order), as the AWS SAML app's roles carry it in Entra.
 * Key: `<role ARN>|<provider ARN>` → entitlement indexes.
 */
function samlMappings(inv: Inventory): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [uid, e] of inv.entitlements) {
    for (const value of e.permissions) {
      if (!value.includes(':saml-provider/')) continue;
      const parts = value.split(',').map((x) => x.trim());
      const role = parts.find((x) => ROLE_ARN.test(x));
      const provider = parts.find((x) => SAML_PROVIDER_ARN.test(x));
      const index = inv.index.entitlementIndexOf(uid);
      if (!role || !provider || index === undefined) continue;
      const key = `${role}|${provider}`;
      const list = out.get(key);
      if (list) list.push(index);
      else out.set(key, [index]);
    }
  }
  return out;
}

export interface AssumeEdge {
  /** Principal index of the role. */
  role: number;
  /** What in the trust policy lets the caller in (`arn:…:user/alice`, `account root 1111…`, `*`). */
  trust: string;
  /** A Condition of the trust policy or of the caller's Allow was not evaluated. */
  conditional: boolean;
}

export interface RoleReach {
  /** Caller principal index → the roles it can assume directly. */
  edges: Map<number, AssumeEdge[]>;
  /** Role principal index → what its trust policy allows that reaches no inventory principal. */
  notes: Map<number, string[]>;
}

const CI = { caseInsensitive: true } as const;

/**
 * Per action, whether each action pattern seen matches it: tens of thousands of trust statements
 * repeat a few patterns (`sts:AssumeRole`), and a glob lookup builds a cache key string per call.
 */
const patternMatches = new Map<string, Map<string, boolean>>();

function patternNames(pattern: string, action: string): boolean {
  let byPattern = patternMatches.get(action);
  if (!byPattern) {
    byPattern = new Map();
    patternMatches.set(action, byPattern);
  }
  let hit = byPattern.get(pattern);
  if (hit === undefined) {
    hit = globMatch(pattern, action, CI);
    // Bounded like the glob caches: distinct patterns only, a pathological input cannot grow it.
    if (byPattern.size > 10_000) byPattern.clear();
    byPattern.set(pattern, hit);
  }
  return hit;
}

function namesAction(s: PolicyStatement, action: string): boolean {
  if (s.action) return s.action.some((a) => patternNames(a, action));
  if (s.notAction) return !s.notAction.some((a) => patternNames(a, action));
  return false;
}

function accountOf(p: Principal): string {
  return /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(p.nativeId)?.[1] ?? p.tenant;
}

const ROOT = /^arn:[^:]+:iam::(\d{12}):root$/;
const SESSION = /^arn:[^:]+:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** Who one trust-policy value names. */
type Named = { kind: 'any' } | { kind: 'account'; account: string } | { kind: 'principal'; index: number };

/**
 * The assume-role graph of the inventory; undefined when no AWS role has a trust policy.
 *
 * @example
 * const reach = buildRoleReach(inventory, new BoundsIndex(inventory));
 * reach?.edges.get(aliceIndex); // [{ role: 7, trust: 'arn:aws:iam::111111111111:user/alice', conditional: false }]
 */
export function buildRoleReach(inv: Inventory, bounds: BoundsIndex): RoleReach | undefined {
  const ix = inv.index;
  const roles: number[] = [];
  for (const [uid, p] of inv.principals) {
    if (p.system !== 'aws' || p.status !== 'active') continue;
    if (!p.aws?.trustPolicy || p.aws.trustPolicy.length === 0) continue;
    const i = ix.principalIndexOf(uid);
    if (i !== undefined) roles.push(i);
  }
  if (roles.length === 0) return undefined;

  // The active AWS principals by ARN, by role name and by account: built only when a trust policy
  // names an AWS principal (most roles trust a service only, and then no caller is looked up).
  let indexes:
    | { byArn: Map<string, number>; roleByName: Map<string, number>; byAccount: Map<string, number[]> }
    | undefined;
  const principalIndexes = () => {
    if (indexes) return indexes;
    const byArn = new Map<string, number>();
    const roleByName = new Map<string, number>();
    const byAccount = new Map<string, number[]>();
    for (const [uid, p] of inv.principals) {
      if (p.system !== 'aws' || p.status !== 'active') continue;
      const i = ix.principalIndexOf(uid);
      if (i === undefined) continue;
      byArn.set(p.nativeId, i);
      const account = accountOf(p);
      if (p.nativeId.includes(':role/'))
        roleByName.set(`${account}/${p.nativeId.slice(p.nativeId.lastIndexOf('/') + 1)}`, i);
      const list = byAccount.get(account);
      if (list) list.push(i);
      else byAccount.set(account, [i]);
    }
    indexes = { byArn, roleByName, byAccount };
    return indexes;
  };

  // Callers whose policies could allow sts:AssumeRole at all (most cannot): one look per entitlement.
  const touches = new Map<number, boolean>();
  const entitlementTouches = (e: number): boolean => {
    let t = touches.get(e);
    if (t === undefined) {
      const statements = inv.entitlements.get(ix.entitlementUidAt(e))?.statements ?? [];
      t = statements.some((s) => s.effect === 'Allow' && !s.hasPrincipal && namesAction(s, ASSUME_ROLE));
      touches.set(e, t);
    }
    return t;
  };
  const capable = (i: number): boolean => {
    for (let g = ix.grantOffsets[i]!; g < ix.grantOffsets[i + 1]!; g++) {
      if (entitlementTouches(ix.grantEntitlements[g]!)) return true;
    }
    return false;
  };
  const capableMemo = new Map<number, boolean>();
  const isCapable = (i: number) => {
    let c = capableMemo.get(i);
    if (c === undefined) {
      c = capable(i);
      capableMemo.set(i, c);
    }
    return c;
  };

  const policiesMemo = new Map<number, RequestPolicies>();
  const policiesOf = (i: number): RequestPolicies => {
    let out = policiesMemo.get(i);
    if (out) return out;
    const context = bounds.of(i);
    const statementsOf = (e: number): PolicyStatement[] => {
      const list = inv.entitlements.get(ix.entitlementUidAt(e))?.statements ?? [];
      if (!context) return list.filter((s) => !s.variables);
      return list.flatMap((s) => {
        if (!s.variables) return [s];
        const sub = substituteVariables(s, context.variables).statement;
        return sub ? [sub] : [];
      });
    };
    const identity: PolicyStatement[] = [];
    for (let g = ix.grantOffsets[i]!; g < ix.grantOffsets[i + 1]!; g++) {
      appendAll(identity, statementsOf(ix.grantEntitlements[g]!));
    }
    out = { identity, scpLevels: [] };
    for (const b of context?.bounds ?? []) {
      const statements = b.entitlements.flatMap(statementsOf);
      if (b.kind === 'boundary') out.boundary = statements;
      else if (b.entitlements.length > 0) (out.scpLevels as PolicyStatement[][]).push(statements);
    }
    policiesMemo.set(i, out);
    return out;
  };

  // The RCP statements that protect one account's resources (a role is one), for one caller:
  // none for a service-linked role (BoundsIndex leaves its resourceControls empty).
  const rcpMemo = new Map<string, PolicyStatement[]>();
  const resourceControlsOf = (c: number, account: string): PolicyStatement[] => {
    const control = bounds.of(c)?.resourceControls.find((r) => r.account === account);
    if (!control) return [];
    let list = rcpMemo.get(account);
    if (!list) {
      list = control.entitlements.flatMap(
        (e) => inv.entitlements.get(ix.entitlementUidAt(e))?.statements ?? [],
      );
      rcpMemo.set(account, list);
    }
    return list;
  };

  // SAML: who holds an entitlement mapping them to a role (active principals, any system).
  const saml = samlMappings(inv);
  let holdersOf: Map<number, number[]> | undefined;
  const samlCallers = (roleArn: string, provider: string): { caller: number; entitlement: number }[] => {
    const wanted = saml.get(`${roleArn}|${provider}`);
    if (!wanted) return [];
    if (!holdersOf) {
      const mapped = new Set<number>();
      for (const list of saml.values()) for (const e of list) mapped.add(e);
      holdersOf = new Map();
      for (let i = 0; i < ix.principalCount; i++) {
        if (ix.active[i] !== 1) continue;
        for (let g = ix.grantOffsets[i]!; g < ix.grantOffsets[i + 1]!; g++) {
          const e = ix.grantEntitlements[g]!;
          if (!mapped.has(e)) continue;
          const list = holdersOf.get(e);
          if (list) list.push(i);
          else holdersOf.set(e, [i]);
        }
      }
    }
    return wanted.flatMap((e) => (holdersOf!.get(e) ?? []).map((caller) => ({ caller, entitlement: e })));
  };

  const edges = new Map<number, AssumeEdge[]>();
  const notes = new Map<number, string[]>();
  const note = (r: number, text: string) => {
    const list = notes.get(r);
    if (!list) notes.set(r, [text]);
    else if (!list.includes(text)) list.push(text);
  };

  for (const r of roles) {
    const role = bounds.principal(r)!;
    // The role's account, read from its ARN only when a caller or an RCP is weighed.
    let account: string | undefined;
    const roleAccount = () => (account ??= accountOf(role));
    const trust = role.aws!.trustPolicy!;
    const resolve = (value: string): Named | undefined => {
      if (value === '*') return { kind: 'any' };
      if (/^\d{12}$/.test(value)) return { kind: 'account', account: value };
      const root = ROOT.exec(value);
      if (root) return { kind: 'account', account: root[1]! };
      const session = SESSION.exec(value);
      const { roleByName, byArn } = principalIndexes();
      const index = session ? roleByName.get(`${session[1]}/${session[2]}`) : byArn.get(value);
      return index === undefined ? undefined : { kind: 'principal', index };
    };
    const matches = (named: Named, c: number): boolean =>
      named.kind === 'any' ||
      (named.kind === 'account' && accountOf(bounds.principal(c)!) === named.account) ||
      (named.kind === 'principal' && named.index === c);
    const awsValues = (s: PolicyStatement): string[] => [
      ...(s.principal?.AWS ?? []),
      ...(s.principal?.['*'] ?? []),
    ];
    // Unconditional Denies of the trust policy remove callers they name.
    const denies = trust.filter((s) => s.effect === 'Deny' && !s.hasCondition && namesAction(s, ASSUME_ROLE));
    const denied = (c: number) =>
      denies.some((s) =>
        awsValues(s).some((v) => {
          const named = resolve(v);
          return named !== undefined && matches(named, c);
        }),
      );
    const found = new Map<number, AssumeEdge>();
    for (const s of trust) {
      if (s.effect !== 'Allow') continue;
      if (s.notPrincipal) {
        note(r, `${role.name}: trust statement with NotPrincipal not evaluated (no caller counted)`);
        continue;
      }
      for (const v of s.principal?.Service ?? []) {
        if (namesAction(s, ASSUME_ROLE))
          note(
            r,
            `${role.name} is trusted by the service ${v} (not a person or principal of this inventory)`,
          );
      }
      for (const v of s.principal?.Federated ?? []) {
        const viaSaml = SAML_PROVIDER_ARN.test(v) && namesAction(s, ASSUME_ROLE_WITH_SAML);
        const callers = viaSaml ? samlCallers(role.nativeId, v) : [];
        // RCPs of the role's account bound STS for federated callers too.
        const rcp = viaSaml ? resourceControlsOf(r, roleAccount()) : [];
        let reached = 0;
        for (const { caller, entitlement } of callers) {
          if (caller === r || found.has(caller)) continue;
          const decision = decideRequest(
            { identity: [], scpLevels: [] },
            ASSUME_ROLE_WITH_SAML,
            role.nativeId,
            {
              identityNotNeeded: true,
              resourceControls: rcp,
            },
          );
          if (!decision.allowed) continue;
          const name = inv.entitlements.get(ix.entitlementUidAt(entitlement))?.name ?? 'an entitlement';
          found.set(caller, {
            role: r,
            trust: `${v} (SAML, through "${name}")`,
            conditional: !!s.hasCondition,
          });
          reached += 1;
        }
        note(
          r,
          reached > 0
            ? `${role.name} is trusted by the identity provider ${v}: the ${reached} account(s) the inventory shows mapped to it through that provider are counted; anyone else the provider may send is decided in the provider, not in this inventory (unknown)`
            : `${role.name} is trusted by the identity provider ${v}: who comes through it is decided in the provider and no collected entitlement maps anyone to this role through it, so who reaches the role that way is unknown (no one is counted)`,
        );
      }
      if (!namesAction(s, ASSUME_ROLE)) continue;
      for (const v of awsValues(s)) {
        const named = resolve(v);
        if (!named) continue;
        const callers =
          named.kind === 'principal'
            ? [named.index]
            : named.kind === 'account'
              ? (principalIndexes().byAccount.get(named.account) ?? []).filter(isCapable)
              : [...principalIndexes().byArn.values()].filter(isCapable);
        const label = named.kind === 'account' ? `account root ${named.account}` : v;
        for (const c of callers) {
          if (c === r || found.has(c) || denied(c)) continue;
          const caller = bounds.principal(c)!;
          // Within one account a trust policy naming the caller's ARN is enough on its own.
          const identityNotNeeded = named.kind === 'principal' && accountOf(caller) === roleAccount();
          const decision = decideRequest(policiesOf(c), ASSUME_ROLE, role.nativeId, {
            identityNotNeeded,
            resourceControls: resourceControlsOf(c, roleAccount()),
          });
          if (!decision.allowed) continue;
          found.set(c, { role: r, trust: label, conditional: !!s.hasCondition || decision.conditional });
        }
      }
    }
    for (const [c, edge] of found) {
      const list = edges.get(c);
      if (list) list.push(edge);
      else edges.set(c, [edge]);
    }
  }
  return { edges, notes };
}

/** One step of a chain from a caller to a role, for the evidence. */
export interface ChainStep {
  role: number;
  trust: string;
  conditional: boolean;
}

/**
 * Every role reachable from `start`, breadth first (shortest chain first), each with the chain
 * that reaches it. Cycles end where a role is met again.
 */
export function reachableRoles(reach: RoleReach, start: number): { role: number; chain: ChainStep[] }[] {
  const out: { role: number; chain: ChainStep[] }[] = [];
  const seen = new Set<number>([start]);
  const queue: { at: number; chain: ChainStep[] }[] = [{ at: start, chain: [] }];
  while (queue.length > 0) {
    const { at, chain } = queue.shift()!;
    for (const edge of reach.edges.get(at) ?? []) {
      if (seen.has(edge.role)) continue;
      seen.add(edge.role);
      const next = [...chain, { role: edge.role, trust: edge.trust, conditional: edge.conditional }];
      out.push({ role: edge.role, chain: next });
      queue.push({ at: edge.role, chain: next });
    }
  }
  return out;
}
