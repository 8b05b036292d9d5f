/**
 * The revocation proof of one run over a set of campaigns, split around the scan so the caller
 * need not keep the inventory until the seal: campaigns are read when the run begins, every
 * revocation is checked when the scan hands over its inventory (`observe`), overdue ones become
 * REVIEW-REVOKE-NOT-DONE drafts, and the pack's `reviews/` records are built from the same
 * campaigns and checks. `accessproof scan` (SQLite store) and the AWS scan step (DynamoDB store)
 * both use this class; only where the campaigns come from differs.
 */
import type { FindingDraft } from '../findings/model';
import { type RevokeRuleInventory, reviewRevokeNotDone } from '../rules/review-revoke-not-done';
import { checkRevocations, type ReviewArtefact, reviewArtefactsFor } from './evidence';
import type { Campaign } from './model';
import type { RevocationClock, RevocationInventory, RevocationReport } from './revocation';

/** What the scan summary says of revocations: done (proven), pending (not yet due), overdue. */
export interface RevocationTotals {
  done: number;
  pending: number;
  overdue: number;
  /** Of pending and overdue: still held by some path. */
  stillPresent: number;
  /** Of pending and overdue: not provable this run (source failed, incomplete or collected before). */
  unverified: number;
}

/**
 * @example
 * const reviews = new RevocationEvidence(await store.list());
 * await scanStep({ …, onInventory: (inv) => reviews.observe(inv, plan.runId, { asOf, slaDays }),
 *   extraDrafts: (inv) => reviews.drafts(inv) });
 * const artefacts = reviews.artefacts(asOf);
 */
export class RevocationEvidence {
  protected revocations: Map<string, RevocationReport> | undefined;

  constructor(readonly campaigns: readonly Campaign[]) {}

  /**
   * What a sharded scan's shards must report (`ScanShardInput.watch`): the principals and
   * entitlements of every revoke decision, each once.
   */
  watch(): { principals: string[]; entitlements: string[] } {
    const principals = new Set<string>();
    const entitlements = new Set<string>();
    for (const c of this.campaigns) {
      for (const item of c.items) {
        if (item.decision?.outcome !== 'revoke') continue;
        principals.add(item.principal);
        entitlements.add(item.entitlement);
      }
    }
    return { principals: [...principals], entitlements: [...entitlements] };
  }

  /**
   * Check every revocation against the run's inventory (keeps only the small result). With the
   * run's clock and SLA, each revocation gets a due date and overdue ones become findings (`drafts`).
   */
  observe(inventory: RevocationInventory, runId: string, clock?: RevocationClock): void {
    this.revocations = checkRevocations(this.campaigns, inventory, runId, clock);
  }

  /** The reports of the last `observe`, by campaign id (undefined before it). */
  reports(): ReadonlyMap<string, RevocationReport> | undefined {
    return this.revocations;
  }

  /** REVIEW-REVOKE-NOT-DONE drafts for the revocations `observe` found still present past due. */
  drafts(inventory: RevokeRuleInventory): FindingDraft[] {
    const out: FindingDraft[] = [];
    for (const c of this.campaigns) {
      const report = this.revocations?.get(c.id);
      if (!report) continue;
      for (const d of reviewRevokeNotDone(c, report, inventory)) out.push(d);
    }
    return out;
  }

  /** Revocations over every campaign as the last `observe` found them; undefined when none was decided. */
  totals(): RevocationTotals | undefined {
    if (!this.revocations) return undefined;
    const t: RevocationTotals = { done: 0, pending: 0, overdue: 0, stillPresent: 0, unverified: 0 };
    let any = false;
    for (const r of this.revocations.values()) {
      if (r.checks.length === 0) continue;
      any = true;
      t.done += r.revoked;
      t.stillPresent += r.stillPresent;
      t.unverified += r.unverified;
      t.pending += r.pending ?? r.stillPresent + r.unverified;
      t.overdue += r.overdue ?? 0;
    }
    return any ? t : undefined;
  }

  artefacts(asOf: Date): ReviewArtefact[] {
    return reviewArtefactsFor(this.campaigns, {
      asOf,
      ...(this.revocations ? { revocations: this.revocations } : {}),
    });
  }
}
