import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import { decide } from '../../../core/reviews/decide';
import { loadNodeSqlite } from '../../../stores/sqlite-findings/node-sqlite';
import {
  loadCampaigns,
  ReviewEvidence,
  reviewArtefacts,
} from '../../../stores/sqlite-reviews/review-evidence';
import { reviewsDbFile, SqliteReviewStore } from '../../../stores/sqlite-reviews/sqlite-review-store';
import { describeReviewStoreContract, inputError } from '../../support/review-store-contract';
import {
  AT,
  CONTROLLER,
  itemOf,
  LATER,
  laterRun,
  startedCampaign,
} from '../../unit/core/reviews/review-fixture';

let dir: string;
let state: string;
const opened: SqliteReviewStore[] = [];

function open(): SqliteReviewStore {
  const store = SqliteReviewStore.open({ file: reviewsDbFile(state) });
  opened.push(store);
  return store;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'accessproof-reviews-'));
  state = join(dir, 'state');
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describeReviewStoreContract('sqlite', async () => {
  const fdir = await mkdtemp(join(tmpdir(), 'accessproof-reviews-contract-'));
  const mine: SqliteReviewStore[] = [];
  return {
    async open() {
      const store = SqliteReviewStore.open({ file: reviewsDbFile(join(fdir, 'state')) });
      mine.push(store);
      return store;
    },
    async dispose() {
      for (const s of mine.splice(0)) await s.close();
      await rm(fdir, { recursive: true, force: true });
    },
  };
});

describe('SqliteReviewStore', () => {
  it('creates <state>/reviews.db in WAL mode and round-trips a campaign through a reopen', async () => {
    // Arrange
    const campaign = startedCampaign();
    const store = open();
    // Act
    await store.create(campaign);
    await store.close();
    const again = open();
    const back = await again.get(campaign.id);
    // Assert
    expect(back).toEqual(campaign);
    const { DatabaseSync } = loadNodeSqlite();
    const db = new DatabaseSync(reviewsDbFile(state));
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    db.close();
  });

  it('refuses a store written by a newer schema, and names malformed stored data', async () => {
    // Arrange
    const campaign = startedCampaign();
    await open().create(campaign);
    const { DatabaseSync } = loadNodeSqlite();
    const db = new DatabaseSync(reviewsDbFile(state));
    db.prepare(`UPDATE review_items SET data = '{"id":"x"}' WHERE seq = 0`).run();
    // Act
    const malformed = await inputError(open().get(campaign.id));
    db.prepare(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`).run();
    db.close();
    let newer: unknown;
    try {
      open();
    } catch (err) {
      newer = err;
    }
    // Assert
    expect(malformed.location.file).toBe(reviewsDbFile(state));
    expect(malformed.location.field).toMatch(
      `review_items[rev-20261002-q4-2026-access-review/${campaign.items[0]!.id}].`,
    );
    expect(newer).toBeInstanceOf(InputError);
    expect((newer as Error).message).toMatch(/schema version 99 is newer/);
  });
});

describe('review evidence for the pack', () => {
  it('finds no campaigns, and creates no file, in a state folder without reviews.db', async () => {
    // Act
    const campaigns = await loadCampaigns(state);
    const artefacts = await reviewArtefacts(state, AT);
    // Assert
    expect(campaigns).toEqual([]);
    expect(artefacts).toEqual([]);
    expect(existsSync(reviewsDbFile(state))).toBe(false);
  });

  it('gives every stored campaign as reviews/<id>.jsonl, with revocations checked against the run', async () => {
    // Arrange
    const campaign = startedCampaign();
    const bob = itemOf(campaign, 'U-BOB', 'R-AP-PAY');
    const store = open();
    await store.create(campaign);
    await store.create(startedCampaign({ name: 'other' }));
    await store.update(campaign.id, (c) =>
      decide(c, [bob.id], { outcome: 'revoke', by: CONTROLLER, note: 'no longer needed' }, LATER),
    );
    await store.close();
    // Act
    const direct = await reviewArtefacts(state, AT, {
      inventory: laterRun({ drop: ['bobPay'] }),
      runId: 'run-2',
    });
    const split = await ReviewEvidence.open(state);
    split.observe(laterRun({ drop: ['bobPay'] }), 'run-2');
    const viaObserve = split.artefacts(AT);
    // Assert
    expect(direct.map((a) => a.path)).toEqual([
      'reviews/rev-20261002-other.jsonl',
      `reviews/${campaign.id}.jsonl`,
    ]);
    expect(viaObserve).toEqual(direct);
    const bobRow = direct[1]!.lines.map((l) => JSON.parse(l)).find((r) => r.itemId === bob.id);
    expect(bobRow.revocation).toMatchObject({ status: 'revoked', runId: 'run-2' });
  });
});
