/**
 * What the lifecycle needs to say WHY a finding left `open`:
 * - `policyBasisFor`: the policy values (thresholds, ruleset hashes) a finding's rule reads, so a
 *   finding that is no longer flagged because a threshold moved is recorded `policy-changed`;
 * - `factsHoldIn`: whether the facts that proved a finding (its principals, grants, activity,
 *   credential, owners) still hold in this run's inventory: `true`, `false` (gone: remediated), or
 *   `undefined` when this run cannot tell (activity unknown, an owner unresolved): nothing is claimed.
 */
import { type Policy, THRESHOLD_NAMES, type ThresholdName, type Thresholds } from '../config';
import type { Finding, FindingDraft, RuleId } from '../findings/model';
import type { Inventory } from '../inventory';
import { activityUnknown, credentialActivityUnknown, DAY_MS, MFA_TAG, timeOf } from './context';
import { ownersOf } from './nhi-no-owner';
import { resolveOwner } from './nhi-orphaned';

export type PolicyBasis = Record<string, string | number>;

/** What the policy basis of a finding is read from: the rule, its detail and its sources. */
export type BasisInput = Pick<FindingDraft, 'rule' | 'detail'> & Partial<Pick<FindingDraft, 'sources'>>;

/** The threshold each rule reads when its detail does not name it (findings older than `thresholdFrom`). */
const THRESHOLD_OF: Partial<Record<RuleId, string>> = {
  'NHI-DORMANT': 'dormantDays',
  'USER-DORMANT': 'dormantDays',
  'NHI-NEVER-USED': 'neverUsedGraceDays',
  'NHI-CRED-UNUSED': 'neverUsedGraceDays',
  'USER-NEVER-USED': 'neverUsedGraceDays',
  'NHI-CRED-STALE': 'credentialMaxAgeDays',
  'CRED-STALE': 'credentialMaxAgeDays',
  'USER-TERMINATED-ACCESS': 'leaverGraceDays',
  'AWS-ROOT-RECENT-USE': 'rootUseDays',
};

/**
 * The policy values a finding's rule reads, each under the config path it came from. A threshold
 * is recorded at every level that may set it for the finding: the policy's, the kind's
 * (`policy.byKind.<kind>.<name>`) and each of the finding's sources' own (`sources.<id>.policy.<name>`),
 * so moving any of them is a policy change the resolution names.
 *
 * @example
 * const basis = policyBasisFor(config.policy, new Map([['sox-core', sha256]]), (id) => sourcePolicies.get(id));
 * basis({ rule: 'NHI-DORMANT', detail: { thresholdFrom: 'policy.dormantDays' } }); // { 'policy.dormantDays': 90 }
 */
export function policyBasisFor(
  policy: Policy,
  rulesetHashes: ReadonlyMap<string, string>,
  sourcePolicy: (sourceId: string) => Thresholds | undefined = () => undefined,
): (f: BasisInput) => PolicyBasis {
  return (f): PolicyBasis => {
    switch (f.rule) {
      case 'SOD-CONFLICT': {
        const id = typeof f.detail.ruleset === 'string' ? f.detail.ruleset : undefined;
        return id === undefined ? {} : { [`ruleset ${id} sha256`]: rulesetHashes.get(id) ?? 'absent' };
      }
      case 'REVIEW-REVOKE-NOT-DONE':
        // Overdue is judged against slaDays: raising it may make a still-present revocation not due yet.
        return { 'policy.slaDays.high': policy.slaDays.high, 'policy.slaDays.medium': policy.slaDays.medium };
      case 'USER-NO-HR-RECORD':
        return { 'policy.unmatchedHumans': policy.unmatchedHumans };
    }
    const from = typeof f.detail.thresholdFrom === 'string' ? f.detail.thresholdFrom : undefined;
    const name = from?.split('.').at(-1) ?? THRESHOLD_OF[f.rule];
    if (name === undefined) return {};
    const basis: PolicyBasis = {};
    const top = (policy as unknown as Record<string, unknown>)[name];
    if (typeof top === 'number' || typeof top === 'string') basis[`policy.${name}`] = top;
    if ((THRESHOLD_NAMES as readonly string[]).includes(name)) {
      const threshold = name as ThresholdName;
      const kinds = new Set<'human' | 'nonhuman'>();
      const fromKind = from?.startsWith('policy.byKind.') ? from.split('.')[2] : undefined;
      if (fromKind === 'human' || fromKind === 'nonhuman') kinds.add(fromKind);
      else if (f.rule.startsWith('NHI-')) kinds.add('nonhuman');
      else kinds.add('human');
      for (const k of kinds) {
        const v = policy.byKind?.[k]?.[threshold];
        if (v !== undefined) basis[`policy.byKind.${k}.${threshold}`] = v;
      }
      const sources = new Set(f.sources ?? []);
      if (from?.startsWith('sources.'))
        sources.add(from.slice('sources.'.length, from.lastIndexOf('.policy.')));
      for (const id of [...sources].sort()) {
        const v = sourcePolicy(id)?.[threshold];
        if (v !== undefined) basis[`sources.${id}.policy.${threshold}`] = v;
      }
    }
    return basis;
  };
}

const samePath = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((uid, i) => uid === b[i]);

/**
 * `asOf` is the run's as-of time; the rules judged against a time window (AWS-ROOT-RECENT-USE)
 * cannot tell without it.
 *
 * @example
 * const hold = factsHoldIn(inventory, asOf);
 * hold(finding); // true: still there; false: gone; undefined: cannot tell
 */
export function factsHoldIn(inv: Inventory, asOf?: Date): (f: Finding) => boolean | undefined {
  return (f) => {
    if (f.subject.principals.length === 0) return undefined;
    // These two are not about an account that is still active: check them before the account test.
    if (f.rule === 'IDENTITY-AMBIGUOUS') {
      // The doubt is the fact: it is gone once the email leads to one person (a links file settled it).
      return inv.directory.ambiguities.some((a) => a.email === f.detail.email);
    }
    if (f.rule === 'USER-ACTIVE-AFTER-TERMINATION') {
      // The use after the leaving date stands when the account is disabled or deleted since: a
      // deleted account proves nothing about that use, so it cannot resolve the finding.
      const uid = f.subject.principals[0]!;
      if (!inv.principals.get(uid)) return undefined;
      const match = inv.directory.matchOf(uid);
      if (!match) return undefined;
      if (match.person.status !== 'terminated') return false; // the system of record no longer says they left
      return match.person.terminationDate === f.detail.terminationDate;
    }
    for (const uid of f.subject.principals) {
      const p = inv.principals.get(uid);
      if (p?.status !== 'active') return false;
    }
    for (const e of f.evidence) {
      if (e.kind === 'grant' && e.principal && e.entitlement) {
        const path = e.path ?? [];
        const held = inv
          .grantsOf(e.principal)
          .some((g) => g.entitlement === e.entitlement && samePath(g.path, path));
        if (!held) return false;
      }
    }
    const p = inv.principals.get(f.subject.principals[0]!)!;
    switch (f.rule) {
      case 'NHI-DORMANT':
      case 'USER-DORMANT': {
        if (activityUnknown(p) || !p.lastActivity) return undefined;
        return p.lastActivity.at === f.detail.lastActivityAt;
      }
      case 'NHI-NEVER-USED':
        if (activityUnknown(p)) return undefined;
        return p.lastActivity === undefined;
      case 'NHI-CRED-UNUSED':
      case 'NHI-CRED-STALE':
      case 'NHI-CRED-EXPIRED':
      case 'CRED-UNUSED':
      case 'CRED-STALE':
      case 'AWS-ROOT-ACCESS-KEY': {
        // The credential that proved it: rotated away (another id) or deactivated means the facts are gone.
        const c = p.credentials.find((x) => x.id === f.detail.credentialId);
        if (!c?.active) return false;
        switch (f.rule) {
          case 'NHI-CRED-UNUSED':
            return c.lastUsedAt === undefined;
          case 'NHI-CRED-STALE':
          case 'CRED-STALE':
            return c.createdAt === f.detail.createdAt;
          case 'NHI-CRED-EXPIRED':
            return c.expiresAt === f.detail.expiresAt;
          case 'CRED-UNUSED':
            // Never used, or last used on the date the finding recorded: used since is gone.
            if (credentialActivityUnknown(p)) return undefined;
            return (c.lastUsedAt ?? null) === (f.detail.lastUsedAt ?? null);
          default:
            return true; // AWS-ROOT-ACCESS-KEY: the active key is the fact
        }
      }
      case 'USER-NEVER-USED':
        if (activityUnknown(p)) return undefined;
        return p.lastActivity === undefined && !p.credentials.some((c) => c.lastUsedAt !== undefined);
      case 'AWS-ROOT-NO-MFA':
      case 'AWS-CONSOLE-NO-MFA':
      case 'USER-PRIVILEGED-NO-MFA': {
        // MFA turned on is the fix; a source that no longer says either way proves nothing.
        const mfa = p.tags[MFA_TAG];
        if (mfa === 'true') return false;
        if (mfa !== 'false') return undefined;
        if (f.rule === 'AWS-CONSOLE-NO-MFA')
          return p.credentials.some((c) => c.type === 'password' && c.active);
        return true;
      }
      case 'NHI-NO-OWNER':
        return ownersOf(p).length === 0;
      case 'NHI-ORPHANED': {
        const before = Array.isArray(f.detail.owners)
          ? (f.detail.owners as { owner: string; state: string }[])
          : [];
        const now = ownersOf(p);
        if (now.length !== before.length || !before.every((o) => now.includes(o.owner))) return false;
        for (const o of before) {
          const state = resolveOwner(o.owner, inv).state;
          if (state === 'unknown') return undefined;
          if (state !== o.state) return false;
        }
        return true;
      }
      case 'USER-TERMINATED-ACCESS': {
        const match = inv.directory.matchOf(p.uid);
        if (!match) return undefined; // the HR record is not matched this run: cannot tell
        return match.person.status === 'terminated';
      }
      case 'USER-NO-HR-RECORD': {
        if (inv.directory.matchOf(p.uid)) return false; // HR knows the account now
        // Behind an ambiguous email the account is not matched for another reason: cannot tell.
        if (inv.directory.ambiguities.some((a) => a.principals.includes(p.uid))) return undefined;
        return true; // still no HR record (a links file keeping it apart does not make one)
      }
      case 'AWS-ROOT-RECENT-USE': {
        // Root not used within the finding's own window of the as-of is the fix; a changed window is
        // a policy change, judged by the lifecycle from the recorded rootUseDays.
        const days = f.detail.rootUseDays;
        if (asOf === undefined || typeof days !== 'number' || credentialActivityUnknown(p)) return undefined;
        return p.credentials.some((c) => {
          const ms = timeOf(c.lastUsedAt);
          return ms !== undefined && asOf.getTime() - ms <= days * DAY_MS;
        });
      }
      case 'SOD-CONFLICT': {
        // The correlation is a fact too: the principals must still be one identity.
        const ids = new Set(f.subject.principals.map((uid) => inv.identityOf(uid)?.id));
        return ids.size === 1;
      }
      default:
        return true;
    }
  };
}
