/**
 * Access reviews between the AWS scan and seal steps (issue 17). The scan step holds the run's
 * inventory, so it checks every revocation of the reviews table's campaigns against it (the same
 * `RevocationEvidence` `accessproof scan` uses), raises REVIEW-REVOKE-NOT-DONE, and hands the pack's
 * `reviews/<id>.jsonl` records — built from the campaigns it read and the checks it made — to the
 * seal step through the run store. The seal step seals exactly those records, as the CLI seals the
 * campaigns it read when its run began.
 */
import * as z from 'zod';
import type { RunStore } from '../../core/ports';
import { type ReviewArtefact, reviewArtefactsFor } from '../../core/reviews/evidence';
import type { ReviewStore } from '../../core/reviews/repository';
import type { RevocationEvidence, RevocationTotals } from '../../core/reviews/revocation-evidence';

/** The run store key of the scan's review records for `runId`. */
export function reviewsHandoffKey(runId: string): string {
  return `runs/${runId}/reviews.json`;
}

const handoffSchema = z.object({
  runId: z.string().min(1),
  artefacts: z.array(
    z.object({
      path: z.string().regex(/^reviews\/[^/]+\.jsonl$/),
      lines: z.array(z.string()),
    }),
  ),
  totals: z
    .object({
      done: z.number(),
      pending: z.number(),
      overdue: z.number(),
      stillPresent: z.number(),
      unverified: z.number(),
    })
    .optional(),
});

export type ReviewsHandoff = z.output<typeof handoffSchema>;

/**
 * Store the records after `reviews.observe` ran; returns the totals (undefined when nothing was
 * observed: a re-delivered scan that reused its stored result keeps the first attempt's records).
 *
 * @example
 * const totals = await handReviewsToSeal(runStore, plan.runId, reviews, new Date(plan.asOf));
 */
export async function handReviewsToSeal(
  runStore: RunStore,
  runId: string,
  reviews: RevocationEvidence,
  asOf: Date,
): Promise<RevocationTotals | undefined> {
  if (!reviews.reports()) return undefined;
  const totals = reviews.totals();
  const handoff: ReviewsHandoff = {
    runId,
    artefacts: reviews.artefacts(asOf).map((a) => ({ path: a.path, lines: a.lines })),
    ...(totals ? { totals } : {}),
  };
  await runStore.put(reviewsHandoffKey(runId), handoff);
  return totals;
}

/**
 * The review records the seal step seals: the scan's (with revocation proof) when it handed any
 * over; otherwise, with a reviews table, every campaign as it stands now without revocation proof
 * (records state decisions, never that a revocation is done); otherwise none.
 *
 * @example
 * const { artefacts, proven } = await reviewsForSeal(runStore, plan.runId, store, new Date(plan.asOf));
 */
export async function reviewsForSeal(
  runStore: RunStore,
  runId: string,
  store: ReviewStore | undefined,
  asOf: Date,
): Promise<{ artefacts: ReviewArtefact[]; proven: boolean }> {
  const raw = await runStore.get<unknown>(reviewsHandoffKey(runId));
  if (raw !== undefined) {
    const parsed = handoffSchema.safeParse(raw);
    if (!parsed.success || parsed.data.runId !== runId) {
      throw new Error(
        `run store ${reviewsHandoffKey(runId)}: not the review records of run ${runId} (${parsed.success ? 'another run' : parsed.error.issues[0]?.message})`,
      );
    }
    const enc = new TextEncoder();
    return {
      proven: true,
      artefacts: parsed.data.artefacts.map((a) => ({
        path: a.path,
        lines: a.lines,
        records: a.lines.length,
        content: enc.encode(a.lines.length ? `${a.lines.join('\n')}\n` : ''),
      })),
    };
  }
  if (!store) return { artefacts: [], proven: false };
  return { artefacts: reviewArtefactsFor(await store.list(), { asOf }), proven: false };
}
