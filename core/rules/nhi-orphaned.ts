/** Control: a non-human identity whose owners have all left is re-assigned or removed. */
import type { EvidenceItem, FindingDraft } from '../findings/model';
import type { Inventory } from '../inventory';
import type { Principal } from '../model';
import {
  exposureEvidence,
  exposureOf,
  label,
  principalDraft,
  type RuleContext,
  severityFor,
} from './context';
import { ownersOf } from './nhi-no-owner';

export type OwnerState = 'active' | 'disabled' | 'gone' | 'unknown';

export interface OwnerResolution {
  owner: string;
  state: OwnerState;
  /** The principals the owner resolved to. */
  principals: string[];
  text: string;
  /** Resolved by email across every system: the claim rests on every source's collection. */
  acrossSources?: boolean;
}

/**
 * What an owner entry resolves to: a principal uid (active or disabled), or an email matched
 * across every system (active when any principal with it is active; `gone` when no principal has
 * it and every source was collected completely). Anything else, a uid not in the inventory, and an
 * email matched by email while some source failed or is incomplete (matched to disabled principals
 * or to none), is `unknown`: it cannot prove a departure.
 */
export function resolveOwner(owner: string, inv: Inventory): OwnerResolution {
  const principal = inv.principals.get(owner);
  if (principal) {
    const state = principal.status === 'active' ? 'active' : 'disabled';
    return { owner, state, principals: [principal.uid], text: `owner ${owner} is ${principal.status}` };
  }
  if (owner.includes('@')) {
    // The HR system of record outranks the accounts: an owner HR says left is gone, whatever
    // account of theirs is still enabled (USER-TERMINATED-ACCESS raises that one).
    const people = inv.directory.peopleWithEmail(owner);
    if (people.length === 1 && people[0]!.status === 'terminated') {
      const person = people[0]!;
      return {
        owner,
        state: 'disabled',
        principals: inv.principalsWithEmail(owner).map((h) => h.uid),
        text: `owner ${owner} is terminated in HR (${person.origin}, source ${person.sourceId}${person.terminationDate ? `, termination date ${person.terminationDate}` : ''})`,
      };
    }
    const holders = inv.principalsWithEmail(owner);
    const uids = holders.map((h) => h.uid);
    if (holders.some((h) => h.status === 'active')) {
      return { owner, state: 'active', principals: uids, text: `owner ${owner} has an active principal` };
    }
    // The owner's directory may be the source that failed or is partial: it may hold an active
    // account with this email, so "every principal is disabled" cannot be claimed then.
    const partial = incompleteSources(inv);
    if (holders.length > 0 && partial.length > 0) {
      return {
        owner,
        state: 'unknown',
        principals: uids,
        text: `owner ${owner}: every collected principal with this email is disabled, but source(s) ${partial.join(', ')} were not collected completely`,
      };
    }
    if (holders.length > 0) {
      return {
        owner,
        state: 'disabled',
        principals: uids,
        text: `owner ${owner}: every principal with this email is disabled (${uids.join(', ')})`,
        acrossSources: true,
      };
    }
    // Absence proves nothing while a source failed or is partial either.
    if (partial.length > 0) {
      return {
        owner,
        state: 'unknown',
        principals: [],
        text: `owner ${owner}: no collected principal has this email, but source(s) ${partial.join(', ')} were not collected completely`,
      };
    }
    return {
      owner,
      state: 'gone',
      principals: [],
      text: `owner ${owner}: no principal in any system has this email`,
      acrossSources: true,
    };
  }
  return { owner, state: 'unknown', principals: [], text: `owner ${owner} cannot be resolved` };
}

/**
 * `resolveOwner(owner, inv).state === 'active'`, without building the resolution: most non-human
 * principals have an active owner (issue 18: the rule built every owner's text and uid list first).
 */
export function ownerIsActive(owner: string, inv: Inventory): boolean {
  const principal = inv.principals.get(owner);
  if (principal) return principal.status === 'active';
  if (!owner.includes('@')) return false;
  const people = inv.directory.peopleWithEmail(owner);
  if (people.length === 1 && people[0]!.status === 'terminated') return false;
  return inv.principalsWithEmail(owner).some((h) => h.status === 'active');
}

/** Source ids that failed or whose snapshot does not prove completeness. */
function incompleteSources(inv: Inventory): string[] {
  const ids: string[] = [];
  for (const s of inv.sources.values()) if (s.status === 'failed' || !s.complete) ids.push(s.sourceId);
  return ids.sort();
}

/**
 * NHI-ORPHANED: an active non-human principal with at least one owner, every one of which resolves
 * to a disabled principal or to an email no principal carries in any system (only judged when
 * every source was collected completely).
 * Severity `high` when privileged or in a financially significant source, else `medium`.
 *
 * @example
 * nhiOrphaned(principal, ctx); // [] or [draft]
 */
export function nhiOrphaned(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman') return [];
  const owners = ownersOf(p);
  if (owners.length === 0) return [];
  // An active owner settles it (the check below would fail on it): no resolution is built.
  for (const o of owners) if (ownerIsActive(o, ctx.inv)) return [];
  const resolved = owners.map((o) => resolveOwner(o, ctx.inv));
  if (!resolved.every((r) => r.state === 'disabled' || r.state === 'gone')) return [];
  const exposure = exposureOf(p, ctx);
  const evidence: EvidenceItem[] = resolved.map((r) => ({
    kind: 'attribute',
    principal: p.uid,
    signal: 'owners',
    text: r.text,
  }));
  // The finding depends on the owners' directory as much as on the principal's own source: only a
  // complete collection of every source that proved an owner's departure may resolve it.
  const sources = new Set<string>([p.sourceId]);
  for (const r of resolved) {
    // An email matched across every system (gone, or disabled everywhere) rests on every source.
    if (r.acrossSources) for (const s of ctx.inv.sources.keys()) sources.add(s);
    for (const uid of r.principals) {
      const owner = ctx.inv.principals.get(uid);
      if (owner) sources.add(owner.sourceId);
    }
  }
  return [
    principalDraft('NHI-ORPHANED', p, ctx, {
      sources: [...sources].sort(),
      severity: severityFor(exposure, 'high', 'medium'),
      title: `Non-human identity ${label(p)} is orphaned: no owner is active`,
      detail: { owners: resolved.map(({ owner, state, principals }) => ({ owner, state, principals })) },
      evidence: [...evidence, ...exposureEvidence(p, exposure)],
    }),
  ];
}
