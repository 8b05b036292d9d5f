import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type * as z from 'zod';
import { InputError } from '../../core/errors';
import type { Campaign, ReviewItem } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import { campaignHeaderSchema, reviewItemSchema } from '../../core/reviews/schema';
import { inTransaction, openSqliteStore } from '../sqlite-findings/node-sqlite';

const SCHEMA_VERSION = 1;

const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaigns (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS review_items (
  campaign_id TEXT NOT NULL REFERENCES campaigns (id),
  seq INTEGER NOT NULL,
  item_id TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (campaign_id, item_id)
);
CREATE UNIQUE INDEX IF NOT EXISTS review_items_order ON review_items (campaign_id, seq);
`;

/** `<stateDir>/reviews.db` */
export function reviewsDbFile(stateDir: string): string {
  return join(stateDir, 'reviews.db');
}

export interface SqliteReviewStoreOptions {
  /** Database file; its folder is created. `:memory:` for a throwaway store. */
  file: string;
  /** How long to wait for another process's write lock before failing (default 10 s). */
  busyTimeoutMs?: number;
}

/**
 * @example
 * const store = SqliteReviewStore.open({ file: reviewsDbFile('./accessproof-out/state') });
 * const campaigns = await store.list();
 * await store.close();
 */
export class SqliteReviewStore implements ReviewStore {
  private readonly db: DatabaseSync;
  private readonly file: string;
  private readonly stmt: {
    ids: StatementSync;
    header: StatementSync;
    items: StatementSync;
    insertCampaign: StatementSync;
    updateCampaign: StatementSync;
    upsertItem: StatementSync;
    deleteItems: StatementSync;
  };
  private closed = false;

  private constructor(options: SqliteReviewStoreOptions) {
    this.file = options.file;
    // FULL synchronous (in openSqliteStore): a recorded decision survives power loss.
    this.db = openSqliteStore({
      file: options.file,
      ddl: DDL,
      schemaVersion: SCHEMA_VERSION,
      name: 'reviews',
      foreignKeys: true,
      ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
    });
    this.stmt = {
      ids: this.db.prepare('SELECT id FROM campaigns ORDER BY id'),
      header: this.db.prepare('SELECT data FROM campaigns WHERE id = ?'),
      items: this.db.prepare('SELECT item_id, data FROM review_items WHERE campaign_id = ? ORDER BY seq'),
      insertCampaign: this.db.prepare(
        'INSERT INTO campaigns (id, status, created_at, data) VALUES (?, ?, ?, ?)',
      ),
      updateCampaign: this.db.prepare('UPDATE campaigns SET status = ?, data = ? WHERE id = ?'),
      upsertItem: this.db.prepare(
        `INSERT INTO review_items (campaign_id, seq, item_id, data) VALUES (?, ?, ?, ?)
         ON CONFLICT (campaign_id, item_id) DO UPDATE SET seq = excluded.seq, data = excluded.data`,
      ),
      deleteItems: this.db.prepare('DELETE FROM review_items WHERE campaign_id = ?'),
    };
  }

  /** Open (and create if needed) the store. */
  static open(options: SqliteReviewStoreOptions): SqliteReviewStore {
    return new SqliteReviewStore(options);
  }

  async list(): Promise<Campaign[]> {
    return this.transaction(() => {
      const ids = (this.stmt.ids.all() as { id: string }[]).map((r) => r.id);
      return ids.map((id) => this.read(id)!);
    }, 'BEGIN');
  }

  async get(id: string): Promise<Campaign | undefined> {
    return this.transaction(() => this.read(id), 'BEGIN');
  }

  async create(campaign: Campaign): Promise<void> {
    this.transaction(() => {
      if (this.stmt.header.get(campaign.id)) {
        throw new InputError(`a review campaign with id ${campaign.id} exists already: choose another name`, {
          field: '--name',
        });
      }
      this.stmt.insertCampaign.run(campaign.id, campaign.status, campaign.createdAt, headerJson(campaign));
      campaign.items.forEach((item, seq) => {
        this.stmt.upsertItem.run(campaign.id, seq, item.id, JSON.stringify(item));
      });
    });
  }

  async update(id: string, change: (campaign: Campaign) => Campaign): Promise<Campaign> {
    return this.transaction(() => {
      const before = this.read(id);
      if (!before) throw new InputError(`no review campaign ${id}`, { field: 'CAMPAIGN' });
      const after = change(before);
      if (after.id !== id) throw new Error(`review store: an update may not change the campaign id (${id})`);
      this.stmt.updateCampaign.run(after.status, headerJson(after), id);
      const sameShape =
        after.items.length === before.items.length &&
        after.items.every((it, i) => it.id === before.items[i]!.id);
      if (!sameShape) this.stmt.deleteItems.run(id);
      after.items.forEach((item, seq) => {
        // Pure changes keep untouched items as the same objects: only the rest are written.
        if (sameShape && item === before.items[seq]) return;
        this.stmt.upsertItem.run(id, seq, item.id, JSON.stringify(item));
      });
      return after;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private read(id: string): Campaign | undefined {
    const row = this.stmt.header.get(id) as { data: string } | undefined;
    if (!row) return undefined;
    const header = this.decode(campaignHeaderSchema, row.data, `campaigns[${id}]`);
    const items = (this.stmt.items.all(id) as { item_id: string; data: string }[]).map(
      (r) => this.decode(reviewItemSchema, r.data, `review_items[${id}/${r.item_id}]`) as ReviewItem,
    );
    return { ...(header as Omit<Campaign, 'items'>), items };
  }

  private decode<S extends z.ZodType>(schema: S, text: string, field: string): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InputError('stored review data is not valid JSON', { file: this.file, field });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError(`stored review data is malformed: ${issue?.message ?? 'invalid'}`, {
        file: this.file,
        field: `${field}.${issue?.path.join('.') ?? ''}`,
      });
    }
    return parsed.data;
  }

  /**
   * BEGIN IMMEDIATE takes the write lock up front, so read-change-write is atomic across processes;
   * a plain BEGIN gives a reader one consistent snapshot of a campaign and its items.
   */
  private transaction<T>(fn: () => T, begin: 'BEGIN IMMEDIATE' | 'BEGIN' = 'BEGIN IMMEDIATE'): T {
    return inTransaction(this.db, fn, begin);
  }
}

function headerJson(campaign: Campaign): string {
  const { items: _items, ...header } = campaign;
  return JSON.stringify(header);
}
