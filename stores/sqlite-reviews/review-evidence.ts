/**
 * What the seal step adds to every pack: `reviews/<campaignId>.jsonl` for every campaign in
 * `<state>/reviews.db`, open and closed, with each revocation checked against the run's inventory.
 */
import { existsSync } from 'node:fs';
import type { FindingDraft } from '../../core/findings/model';
import { checkRevocations, type ReviewArtefact, reviewArtefactsFor } from '../../core/reviews/evidence';
import type { Campaign } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import type { RevocationClock, RevocationInventory, RevocationReport } from '../../core/reviews/revocation';
import { type RevokeRuleInventory, reviewRevokeNotDone } from '../../core/rules/review-revoke-not-done';
import { reviewsDbFile, SqliteReviewStore } from './sqlite-review-store';

/**
 * Every campaign of a state folder (none when it has no `reviews.db`: the file is never created
 * here) or of an open store.
 *
 * @example
 * const campaigns = await loadCampaigns('./accessproof-out/state');
 */
export async function loadCampaigns(source: string | ReviewStore): Promise<Campaign[]> {
  if (typeof source !== 'string') return source.list();
  const file = reviewsDbFile(source);
  if (!existsSync(file)) return [];
  const store = SqliteReviewStore.open({ file });
  try {
    return await store.list();
  } finally {
    await store.close();
  }
}

/**
 * The pack's review artefacts in one call. With `check`, each revocation is checked against that
 * inventory (the run being sealed); without it, records carry decisions but no revocation proof.
 *
 * @example
 * const extra = await reviewArtefacts(paths.state, asOf, { inventory, runId: plan.runId });
 * await sealStep({ …, extraArtefacts: extra });
 */
export async function reviewArtefacts(
  source: string | ReviewStore,
  asOf: Date,
  check?: { inventory: RevocationInventory; runId?: string },
): Promise<ReviewArtefact[]> {
  const campaigns = await loadCampaigns(source);
  const revocations = check ? checkRevocations(campaigns, check.inventory, check.runId) : undefined;
  return reviewArtefactsFor(campaigns, { asOf, ...(revocations ? { revocations } : {}) });
}

/**
 * The same, split around the scan so the pipeline need not keep the inventory until the seal:
 * campaigns are read when the run begins, revocations are checked when the scan hands over its
 * inventory, and the records are built at seal time. Decisions recorded while the run is going
 * appear in the next pack.
 *
 * @example
 * const reviews = await ReviewEvidence.open(paths.state);
 * await scanStep({ …, onInventory: (inv) => reviews.observe(inv, plan.runId) });
 * await sealStep({ …, extraArtefacts: reviews.artefacts(asOf) });
 */
export class ReviewEvidence {
  private revocations: Map<string, RevocationReport> | undefined;

  private constructor(readonly campaigns: readonly Campaign[]) {}

  static async open(source: string | ReviewStore): Promise<ReviewEvidence> {
    return new ReviewEvidence(await loadCampaigns(source));
  }

  /**
   * Check every revocation against the run's inventory (keeps only the small result). With the
   * run's clock and SLA, each revocation gets a due date and overdue ones become findings (`drafts`).
   */
  observe(inventory: RevocationInventory, runId: string, clock?: RevocationClock): void {
    this.revocations = checkRevocations(this.campaigns, inventory, runId, clock);
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
