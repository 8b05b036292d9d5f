import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import { closeCampaign, decide } from '../../../core/reviews/decide';
import { loadNodeSqlite } from '../../../stores/sqlite-findings/node-sqlite';
import {
  loadCampaigns,
  ReviewEvidence,
  reviewArtefacts,
} from '../../../stores/sqlite-reviews/review-evidence';
import { reviewsDbFile, SqliteReviewStore } from '../../../stores/sqlite-reviews/sqlite-review-store';
import {
  AT,
  CFO,
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

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

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
    expect(await again.list()).toEqual([campaign]);
    const { DatabaseSync } = loadNodeSqlite();
    const db = new DatabaseSync(reviewsDbFile(state));
    expect((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal');
    db.close();
  });

  it('lists campaigns sorted by id and answers undefined for an unknown id', async () => {
    // Arrange
    const store = open();
    await store.create(startedCampaign({ name: 'zeta' }));
    await store.create(startedCampaign({ name: 'alpha' }));
    // Act
    const ids = (await store.list()).map((c) => c.id);
    // Assert
    expect(ids).toEqual(['rev-20261002-alpha', 'rev-20261002-zeta']);
    expect(await store.get('nope')).toBeUndefined();
  });

  it('refuses a second campaign with the same id', async () => {
    // Arrange
    const store = open();
    await store.create(startedCampaign());
    // Act
    const err = await inputError(store.create(startedCampaign()));
    // Assert
    expect(err.location.field).toBe('--name');
    expect(err.message).toMatch(/exists already/);
  });

  it('applies a decision atomically and keeps it across a reopen', async () => {
    // Arrange
    const campaign = startedCampaign();
    const bob = itemOf(campaign, 'U-BOB', 'R-AP-PAY');
    await open().create(campaign);
    // Act
    const after = await open().update(campaign.id, (c) =>
      decide(c, [bob.id], { outcome: 'revoke', by: CONTROLLER, note: 'moved' }, LATER),
    );
    const back = await open().get(campaign.id);
    // Assert
    expect(back).toEqual(after);
    expect(itemOf(back!, 'U-BOB', 'R-AP-PAY').decision).toEqual({
      outcome: 'revoke',
      by: CONTROLLER,
      at: LATER.toISOString(),
      note: 'moved',
      channel: 'cli',
    });
    expect(back!.items.map((i) => i.id)).toEqual(campaign.items.map((i) => i.id));
  });

  it('leaves the campaign as it was when the change throws', async () => {
    // Arrange
    const campaign = startedCampaign();
    const store = open();
    await store.create(campaign);
    // Act
    const err = await inputError(store.update(campaign.id, (c) => closeCampaign(c, { by: CFO }, LATER)));
    // Assert
    expect(err.message).toMatch(/undecided/);
    expect(await store.get(campaign.id)).toEqual(campaign);
  });

  it('refuses to update an unknown campaign', async () => {
    // Act
    const err = await inputError(open().update('rev-nope', (c) => c));
    // Assert
    expect(err.location.field).toBe('CAMPAIGN');
    expect(err.message).toMatch(/no review campaign rev-nope/);
  });

  it("sees another connection's decisions (two reviewers, two processes, one file)", async () => {
    // Arrange
    const campaign = startedCampaign({ reviewers: { default: 'alice@example.com', fallback: CFO } });
    const a = open();
    const b = open();
    await a.create(campaign);
    const bob = itemOf(campaign, 'U-BOB', 'R-AP-PAY');
    const own = itemOf(campaign, 'U-ALICE', 'R-AP-PAY');
    // Act
    await a.update(campaign.id, (c) =>
      decide(c, [bob.id], { outcome: 'keep', by: 'alice@example.com', note: 'still in AP' }, AT),
    );
    await b.update(campaign.id, (c) =>
      decide(c, [own.id], { outcome: 'revoke', by: CFO, note: 'no longer needed' }, LATER),
    );
    const back = await a.get(campaign.id);
    // Assert
    expect(itemOf(back!, 'U-BOB', 'R-AP-PAY').decision?.outcome).toBe('keep');
    expect(itemOf(back!, 'U-ALICE', 'R-AP-PAY').decision?.outcome).toBe('revoke');
    expect(back!.history.map((h) => h.event)).toEqual(['started', 'decided', 'decided']);
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
