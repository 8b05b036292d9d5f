/**
 * The sharded scan's review hand-over (issue 17): plan-shards stores the campaigns and the watch
 * list once; reconcile proves revocations only when every shard reported what it watched.
 */
import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../../../core/ports';
import { decide } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import type { WatchedFacts } from '../../../../core/run/shard-scan';
import {
  reviewCampaignsKey,
  reviewWatchFor,
  shardedRevocations,
  snapshotReviewsForShards,
} from '../../../../functions/shared/review-evidence';
import {
  CONTROLLER,
  itemOf,
  laterRun,
  reviewTenant,
  startedCampaign,
} from '../../core/reviews/review-fixture';

const RUN = 'run-2';
const DECIDED = new Date('2026-10-05T12:00:00.000Z');

/** Bob's payment role and Alice's AWS admin policy revoked; the service user's display role kept. */
function campaign(): Campaign {
  const c = startedCampaign();
  const revoked = decide(
    c,
    [itemOf(c, 'U-BOB', 'R-AP-PAY').id, itemOf(c, 'user/alice', 'AdministratorAccess').id],
    { outcome: 'revoke', by: CONTROLLER, note: 'left the team' },
    DECIDED,
  );
  return decide(
    revoked,
    [itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id],
    { outcome: 'keep', by: CONTROLLER, note: 'batch jobs' },
    DECIDED,
  );
}

/** What a shard owning `principals` reports of a later run where every grant still holds. */
function watchedBy(principals: string[]): WatchedFacts {
  const inv = laterRun({});
  const out: WatchedFacts = {
    sources: [...inv.sources.values()],
    grants: {},
    notInForce: [],
    identities: {},
    entitlements: {},
  };
  for (const uid of principals) {
    out.grants[uid] = [...inv.grantsOf(uid)];
    for (const g of inv.grantsOf(uid))
      for (const e of [g.entitlement, ...g.path]) out.entitlements[e] = inv.entitlements.get(e)!;
  }
  return out;
}

async function planned(c: Campaign) {
  const runStore = new MemoryRunStore();
  const watch = await snapshotReviewsForShards(runStore, RUN, { list: async () => [c] });
  return { runStore, watch };
}

describe('sharded scan review hand-over', () => {
  it('plan-shards stores the revoked principals and entitlements once; scan-shard reads them back', async () => {
    // Arrange
    const c = campaign();
    const t = reviewTenant();
    // Act
    const { runStore, watch } = await planned(c);
    const read = await reviewWatchFor(runStore, RUN);
    // Assert
    expect(new Set(watch.principals)).toEqual(new Set([t.bob.uid, t.awsAlice.uid]));
    expect(new Set(watch.entitlements)).toEqual(new Set([t.pay.uid, t.adminPolicy.uid]));
    expect(read).toEqual(watch);
    expect(await reviewWatchFor(new MemoryRunStore(), RUN)).toBeUndefined();
  });

  it('reconcile checks each revocation against what the shard owning it reported', async () => {
    // Arrange
    const c = campaign();
    const t = reviewTenant();
    const { runStore } = await planned(c);
    const outputs = [{ watched: watchedBy([t.bob.uid]) }, { watched: watchedBy([t.awsAlice.uid]) }];
    // Act
    const reviews = await shardedRevocations(runStore, RUN, outputs);
    reviews?.evidence.observe(reviews.inventory, RUN);
    // Assert: both grants still hold, in either shard.
    expect(reviews?.evidence.reports()?.get(c.id)).toMatchObject({ revoked: 0, stillPresent: 2 });
  });

  it('proves nothing when a shard reported nothing (a held grant would look revoked) or without campaigns', async () => {
    // Arrange
    const c = campaign();
    const t = reviewTenant();
    const { runStore } = await planned(c);
    const bob = { watched: watchedBy([t.bob.uid]) };
    // Act
    const partial = await shardedRevocations(runStore, RUN, [bob, {}]);
    const noReviews = await shardedRevocations(new MemoryRunStore(), RUN, [bob]);
    // Assert
    expect(partial).toBeUndefined();
    expect(noReviews).toBeUndefined();
    expect(await shardedRevocations(runStore, RUN, [bob])).toBeDefined();
  });

  it('refuses another run’s campaigns, naming the key', async () => {
    // Arrange
    const { runStore } = await planned(campaign());
    await runStore.put(reviewCampaignsKey('run-3'), await runStore.get(reviewCampaignsKey(RUN)));
    // Act / Assert
    await expect(shardedRevocations(runStore, 'run-3', [])).rejects.toThrow(
      /run store runs\/run-3\/review-campaigns\.json: not the review data of run run-3 \(another run\)/,
    );
  });
});
