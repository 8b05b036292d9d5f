/**
 * What the seal step adds to every pack: `reviews/<campaignId>.jsonl` for every campaign in
 * `<state>/reviews.db`, open and closed, with each revocation checked against the run's inventory.
 */
import { existsSync } from 'node:fs';
import { checkRevocations, type ReviewArtefact, reviewArtefactsFor } from '../../core/reviews/evidence';
import type { Campaign } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import type { RevocationInventory } from '../../core/reviews/revocation';
import { RevocationEvidence } from '../../core/reviews/revocation-evidence';
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
 * The revocation proof of a local run (core/reviews/revocation-evidence.ts) over the campaigns of
 * a state folder or an open store.
 *
 * @example
 * const reviews = await ReviewEvidence.open(paths.state);
 * await scanStep({ …, onInventory: (inv) => reviews.observe(inv, plan.runId) });
 * await sealStep({ …, extraArtefacts: reviews.artefacts(asOf) });
 */
export class ReviewEvidence extends RevocationEvidence {
  static async open(source: string | ReviewStore): Promise<ReviewEvidence> {
    return new ReviewEvidence(await loadCampaigns(source));
  }
}

export type { RevocationTotals } from '../../core/reviews/revocation-evidence';
