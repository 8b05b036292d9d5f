/**
 * The review store port: where campaigns live between commands. Adapter: `stores/sqlite-reviews`
 * (`<state>/reviews.db`). Campaigns are never deleted: a closed campaign is evidence too.
 */
import type { Campaign } from './model';

/**
 * @example
 * const store: ReviewStore = SqliteReviewStore.open({ file: reviewsDbFile('./out/state') });
 * await store.update(id, (c) => decide(c, ['3fa4c2d19b0e'], { outcome: 'keep', by }, new Date()));
 */
export interface ReviewStore {
  /** Every campaign with its items, sorted by id. */
  list(): Promise<Campaign[]>;
  get(id: string): Promise<Campaign | undefined>;
  /** Store a new campaign; `InputError` when the id is taken. */
  create(campaign: Campaign): Promise<void>;
  /**
   * Read, change and write one campaign atomically (no other writer in between, even in another
   * process). `change` is a pure function; what it throws aborts the update. `InputError` when
   * there is no such campaign.
   */
  update(id: string, change: (campaign: Campaign) => Campaign): Promise<Campaign>;
  close(): Promise<void>;
}
