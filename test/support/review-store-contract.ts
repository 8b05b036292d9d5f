/**
 * The one contract every ReviewStore adapter passes (core/reviews/repository.ts): SQLite locally,
 * DynamoDB in AWS. An adapter's integration test calls `describeReviewStoreContract` with a
 * factory that makes a fresh, empty store; `open()` may be called more than once to get a second,
 * independent writer (another connection or client, like a second process or Lambda) on it.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors';
import { closeCampaign, decide, delegate } from '../../core/reviews/decide';
import type { Campaign, ReviewItem } from '../../core/reviews/model';
import type { ReviewStore } from '../../core/reviews/repository';
import { AT, CFO, CONTROLLER, itemOf, LATER, startedCampaign } from '../unit/core/reviews/review-fixture';

export interface ReviewStoreFixture {
  /** A new store instance on this fixture's storage. */
  open(): Promise<ReviewStore>;
  /** Close what `open()` returned and remove the storage. */
  dispose(): Promise<void>;
}

export async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

/** A campaign of `n` synthetic items (copies of the fixture's with distinct ids), for size tests. */
export function largeCampaign(n: number, name = 'large'): Campaign {
  const base = startedCampaign({ name });
  const template = base.items[0]!;
  const items: ReviewItem[] = Array.from({ length: n }, (_, i) => ({
    ...template,
    id: i.toString(16).padStart(12, '0'),
    principal: `${template.principal}-${i}`,
    principalName: `${template.principalName} ${i} ${'x'.repeat(i % 7 === 0 ? 400 : 40)}`,
  }));
  return { ...base, items };
}

export function describeReviewStoreContract(
  name: string,
  makeFixture: () => Promise<ReviewStoreFixture>,
): void {
  describe(`ReviewStore contract: ${name}`, () => {
    async function withStore<T>(fn: (f: ReviewStoreFixture) => Promise<T>): Promise<T> {
      const f = await makeFixture();
      try {
        return await fn(f);
      } finally {
        await f.dispose();
      }
    }

    it('round-trips a campaign through a second instance and lists it', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = startedCampaign();
        // Act
        await (await f.open()).create(campaign);
        const again = await f.open();
        // Assert
        expect(await again.get(campaign.id)).toEqual(campaign);
        expect(await again.list()).toEqual([campaign]);
      }));

    it('lists campaigns sorted by id and answers undefined for an unknown id', () =>
      withStore(async (f) => {
        // Arrange
        const store = await f.open();
        await store.create(startedCampaign({ name: 'zeta' }));
        await store.create(startedCampaign({ name: 'alpha' }));
        // Act
        const ids = (await store.list()).map((c) => c.id);
        // Assert
        expect(ids).toEqual(['rev-20261002-alpha', 'rev-20261002-zeta']);
        expect(await store.get('nope')).toBeUndefined();
      }));

    it('refuses a second campaign with the same id and keeps the first', () =>
      withStore(async (f) => {
        // Arrange
        const store = await f.open();
        const first = startedCampaign();
        await store.create(first);
        // Act
        const err = await inputError(store.create(startedCampaign({ createdBy: CFO })));
        // Assert
        expect(err.location.field).toBe('--name');
        expect(err.message).toMatch(/exists already/);
        expect(await store.get(first.id)).toEqual(first);
      }));

    it('applies a decision and keeps it for another instance', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = startedCampaign();
        const bob = itemOf(campaign, 'U-BOB', 'R-AP-PAY');
        await (await f.open()).create(campaign);
        // Act
        const after = await (await f.open()).update(campaign.id, (c) =>
          decide(c, [bob.id], { outcome: 'revoke', by: CONTROLLER, note: 'moved' }, LATER),
        );
        const back = await (await f.open()).get(campaign.id);
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
      }));

    it('leaves the campaign as it was when the change throws (close refused while undecided)', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = startedCampaign();
        const store = await f.open();
        await store.create(campaign);
        // Act
        const err = await inputError(store.update(campaign.id, (c) => closeCampaign(c, { by: CFO }, LATER)));
        // Assert
        expect(err.message).toMatch(/undecided/);
        expect(await store.get(campaign.id)).toEqual(campaign);
      }));

    it('refuses to update an unknown campaign', () =>
      withStore(async (f) => {
        // Act
        const err = await inputError((await f.open()).update('rev-nope', (c) => c));
        // Assert
        expect(err.location.field).toBe('CAMPAIGN');
        expect(err.message).toMatch(/no review campaign rev-nope/);
      }));

    it('keeps every decision of writers racing on one campaign (none lost, none applied twice)', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = startedCampaign();
        await (await f.open()).create(campaign);
        const writers = await Promise.all(campaign.items.map(() => f.open()));
        // Act: every item decided at once by its own writer, then every decision changed at once.
        await Promise.all(
          campaign.items.map((item, i) =>
            writers[i]!.update(campaign.id, (c) =>
              decide(c, [item.id], { outcome: 'revoke', by: CONTROLLER, note: `first ${i}` }, AT),
            ),
          ),
        );
        await Promise.all(
          campaign.items.map((item, i) =>
            writers[i]!.update(campaign.id, (c) =>
              decide(c, [item.id], { outcome: 'keep', by: CONTROLLER, note: `second ${i}` }, LATER),
            ),
          ),
        );
        const back = (await (await f.open()).get(campaign.id))!;
        // Assert
        back.items.forEach((item, i) => {
          expect(item.decision).toMatchObject({ outcome: 'keep', note: `second ${i}` });
          expect(item.superseded).toEqual([
            expect.objectContaining({ outcome: 'revoke', note: `first ${i}` }),
          ]);
        });
        expect(back.history.filter((h) => h.event === 'decided')).toHaveLength(2 * campaign.items.length);
      }));

    it('takes changed decisions and delegations until close, and none after', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = startedCampaign();
        const store = await f.open();
        await store.create(campaign);
        const ids = campaign.items.map((i) => i.id);
        const bob = itemOf(campaign, 'U-BOB', 'R-AP-PAY');
        await store.update(campaign.id, (c) =>
          delegate(c, [bob.id], { by: CONTROLLER, to: CFO, reason: 'AP is the CFO’s area' }, AT),
        );
        const others = ids.filter((id) => id !== bob.id);
        await store.update(campaign.id, (c) =>
          decide(c, others, { outcome: 'keep', by: CONTROLLER, note: 'needed' }, AT),
        );
        await store.update(campaign.id, (c) =>
          decide(c, [bob.id], { outcome: 'keep', by: CFO, note: 'still pays' }, AT),
        );
        await store.update(campaign.id, (c) =>
          decide(c, [bob.id], { outcome: 'revoke', by: CFO, note: 'on second thought' }, LATER),
        );
        // Act
        const closed = await store.update(campaign.id, (c) => closeCampaign(c, { by: CFO }, LATER));
        const late = await inputError(
          (await f.open()).update(campaign.id, (c) =>
            decide(c, [bob.id], { outcome: 'keep', by: CFO, note: 'too late' }, LATER),
          ),
        );
        const back = (await (await f.open()).get(campaign.id))!;
        // Assert
        expect(late.message).toMatch(/closed/);
        expect(back).toEqual(closed);
        expect(back.status).toBe('closed');
        const b = itemOf(back, 'U-BOB', 'R-AP-PAY');
        expect(b.reviewer).toBe(CFO);
        expect(b.delegations).toHaveLength(1);
        expect(b.decision).toMatchObject({ outcome: 'revoke', by: CFO });
        expect(b.superseded).toHaveLength(1);
      }));

    it('stores a large campaign and changes one item of it', () =>
      withStore(async (f) => {
        // Arrange
        const campaign = largeCampaign(3000);
        const store = await f.open();
        await store.create(campaign);
        const target = campaign.items[2500]!.id;
        // Act
        await store.update(campaign.id, (c) =>
          decide(c, [target], { outcome: 'revoke', by: CONTROLLER, note: 'left' }, LATER),
        );
        const back = (await (await f.open()).get(campaign.id))!;
        // Assert
        expect(back.items).toHaveLength(3000);
        expect(back.items.map((i) => i.id)).toEqual(campaign.items.map((i) => i.id));
        expect(back.items.filter((i) => i.decision).map((i) => i.id)).toEqual([target]);
        expect(back.items[0]).toEqual(campaign.items[0]);
      }));
  });
}
