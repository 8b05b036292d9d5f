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
import type { Campaign } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import type { RevocationInventory } from '../../core/reviews/revocation';
import { RevocationEvidence, type RevocationTotals } from '../../core/reviews/revocation-evidence';
import { campaignHeaderSchema, reviewItemSchema } from '../../core/reviews/schema';
import type { RevokeRuleInventory } from '../../core/rules/review-revoke-not-done';
import { watchedInventory } from '../../core/run/reconcile-shards';
import type { ShardOutput } from '../../core/run/shard-scan';

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

// The sharded scan (plan-shards → scan-shard × N → reconcile) splits the scan step's work: the
// campaigns are read once, by plan-shards, and reach the other steps through the run store, so
// every shard checks and reconcile judges the same decisions, as `accessproof scan --shards` does.

/** The run store key of the campaigns plan-shards read for `runId`. */
export function reviewCampaignsKey(runId: string): string {
  return `runs/${runId}/review-campaigns.json`;
}

/** The run store key of what the shards of `runId` must report (`ScanShardInput.watch`). */
export function reviewWatchKey(runId: string): string {
  return `runs/${runId}/review-watch.json`;
}

const campaignsSchema = z.object({
  runId: z.string().min(1),
  campaigns: z.array(campaignHeaderSchema.extend({ items: z.array(reviewItemSchema) })),
});

const watchSchema = z.object({
  runId: z.string().min(1),
  principals: z.array(z.string().min(1)),
  entitlements: z.array(z.string().min(1)),
});

export type ReviewWatch = { principals: string[]; entitlements: string[] };

/**
 * plan-shards: the campaigns as they stand when the run begins, and their revocations' watch list.
 *
 * @example
 * await snapshotReviewsForShards(runStore, plan.runId, reviewStore);
 */
export async function snapshotReviewsForShards(
  runStore: RunStore,
  runId: string,
  store: Pick<ReviewStore, 'list'>,
): Promise<ReviewWatch> {
  const campaigns = await store.list();
  const watch = new RevocationEvidence(campaigns).watch();
  await runStore.put(reviewCampaignsKey(runId), { runId, campaigns });
  await runStore.put(reviewWatchKey(runId), { runId, ...watch });
  return watch;
}

/** scan-shard: the watch list plan-shards stored, or undefined when it stored none (no reviews). */
export async function reviewWatchFor(runStore: RunStore, runId: string): Promise<ReviewWatch | undefined> {
  const raw = await runStore.get<unknown>(reviewWatchKey(runId));
  if (raw === undefined) return undefined;
  const { principals, entitlements } = parseOwn(watchSchema, raw, reviewWatchKey(runId), runId);
  return { principals, entitlements };
}

/**
 * reconcile: the campaigns plan-shards stored and what the shards reported of their revocations
 * (`outputs`, as `readShardOutputs` read them), ready for `observe` and `drafts`; undefined when
 * there is nothing to prove (no reviews) or nothing can be proven: a shard that reported nothing
 * would make a held grant look revoked, so then no revocation is checked at all and the seal step
 * records none as done.
 */
export async function shardedRevocations(
  runStore: RunStore,
  runId: string,
  outputs: readonly Pick<ShardOutput, 'watched'>[],
): Promise<
  { evidence: RevocationEvidence; inventory: RevocationInventory & RevokeRuleInventory } | undefined
> {
  const raw = await runStore.get<unknown>(reviewCampaignsKey(runId));
  if (raw === undefined) return undefined;
  const { campaigns } = parseOwn(campaignsSchema, raw, reviewCampaignsKey(runId), runId);
  if (outputs.length === 0 || outputs.some((out) => !out.watched)) return undefined;
  return {
    evidence: new RevocationEvidence(campaigns as Campaign[]),
    inventory: watchedInventory(outputs),
  };
}

function parseOwn<S extends z.ZodType<{ runId: string }>>(
  schema: S,
  raw: unknown,
  key: string,
  runId: string,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success || parsed.data.runId !== runId) {
    throw new Error(
      `run store ${key}: not the review data of run ${runId} (${parsed.success ? 'another run' : `${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`})`,
    );
  }
  return parsed.data;
}
