import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import { closeCampaign, decide, remainingItemIds } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import { AT, CFO, CONTROLLER, itemOf, LATER, startedCampaign } from './review-fixture';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

/** Alice reviews everything except her own grants, which go to the CFO. */
function aliceReviews(): Campaign {
  return startedCampaign({ reviewers: { default: 'alice@example.com', fallback: CFO } });
}

describe('decide', () => {
  it('records the outcome, the reviewer, the time and the note, and a history entry', () => {
    // Arrange
    const c = startedCampaign();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    // Act
    const next = decide(
      c,
      [bob.id],
      { outcome: 'revoke', by: ' Controller@Example.com', note: 'moved to sales' },
      LATER,
    );
    // Assert
    expect(itemOf(next, 'U-BOB', 'R-AP-PAY').decision).toEqual({
      outcome: 'revoke',
      by: CONTROLLER,
      at: LATER.toISOString(),
      note: 'moved to sales',
      channel: 'cli',
    });
    expect(next.history.at(-1)).toEqual({
      at: LATER.toISOString(),
      event: 'decided',
      by: CONTROLLER,
      note: 'revoke 1 item(s): moved to sales',
    });
    expect(itemOf(c, 'U-BOB', 'R-AP-PAY').decision).toBeUndefined();
  });

  it('keeps untouched items as the same objects (the store writes only what changed)', () => {
    // Arrange
    const c = startedCampaign();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    // Act
    const next = decide(
      c,
      [bob.id],
      { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
      LATER,
    );
    // Assert
    const changed = next.items.filter((item, i) => item !== c.items[i]);
    expect(changed.map((i) => i.id)).toEqual([bob.id]);
  });

  it('refuses a decider who holds the grant: a reviewer may not certify their own access', () => {
    // Arrange: the campaign assigned Alice's own grant to her (as an older store or a hand edit could).
    const c = startedCampaign();
    const own = itemOf(c, 'U-ALICE', 'R-AP-PAY');
    const tampered: Campaign = {
      ...c,
      items: c.items.map((i) => (i.id === own.id ? { ...i, reviewer: 'alice@example.com' } : i)),
    };
    // Act
    const keep = inputError(() =>
      decide(
        tampered,
        [own.id],
        { outcome: 'keep', by: 'ALICE@example.com', note: 'checked with the team' },
        LATER,
      ),
    );
    const revoke = inputError(() =>
      decide(
        tampered,
        [own.id],
        { outcome: 'revoke', by: 'alice@example.com', note: 'checked with the team' },
        LATER,
      ),
    );
    // Assert
    for (const err of [keep, revoke]) {
      expect(err.location.field).toBe('--by');
      expect(err.message).toMatch(
        `alice@example.com may not decide item ${own.id} (Keller, Alice → AP Payment Release on erp-test): it is their own access`,
      );
    }
  });

  it('refuses a holder even when the grant is assigned to someone else, and names SoD first', () => {
    // Arrange
    const c = aliceReviews();
    const own = itemOf(c, 'user/alice', 'AdministratorAccess');
    // Act
    const err = inputError(() =>
      decide(c, [own.id], { outcome: 'keep', by: 'alice@example.com', note: 'checked with the team' }, LATER),
    );
    // Assert
    expect(own.reviewer).toBe(CFO);
    expect(err.message).toMatch(/it is their own access/);
  });

  it("refuses a decider who is not the item's reviewer", () => {
    // Arrange
    const c = aliceReviews();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    // Act
    const err = inputError(() =>
      decide(c, [bob.id], { outcome: 'keep', by: CFO, note: 'checked with the team' }, LATER),
    );
    // Assert
    expect(err.location.field).toBe('--by');
    expect(err.message).toBe(
      `--by: item ${bob.id} is assigned to alice@example.com; ${CFO} is not its reviewer`,
    );
  });

  it('is all or nothing: one refused item leaves every item undecided', () => {
    // Arrange
    const c = aliceReviews();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    const own = itemOf(c, 'U-ALICE', 'R-AP-PAY');
    // Act
    const err = inputError(() =>
      decide(
        c,
        [bob.id, own.id],
        { outcome: 'keep', by: 'alice@example.com', note: 'checked with the team' },
        LATER,
      ),
    );
    // Assert
    expect(err).toBeInstanceOf(InputError);
    expect(c.items.every((i) => !i.decision)).toBe(true);
  });

  it.each([
    [[], 'ITEM', /name at least one item/],
    [['nope', 'nada'], 'ITEM', /has no item nope, nada/],
  ])('refuses unknown or missing items %#', (ids, field, message) => {
    // Arrange
    const c = startedCampaign();
    // Act
    const err = inputError(() =>
      decide(c, ids, { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' }, LATER),
    );
    // Assert
    expect(err.location.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it.each([
    [{ outcome: 'maybe', by: CONTROLLER }, 'outcome'],
    [{ outcome: 'keep', by: 'controller' }, '--by'],
    [{ outcome: 'keep', by: CONTROLLER, note: '   ' }, '--note'],
  ])('refuses a malformed decision %#', (decision, field) => {
    // Arrange
    const c = startedCampaign();
    // Act
    const err = inputError(() => decide(c, [c.items[0]!.id], decision as never, LATER));
    // Assert
    expect(err.location.field).toBe(field);
  });

  it("keeps a replaced decision in the item's superseded list", () => {
    // Arrange
    const c = startedCampaign();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    const first = decide(
      c,
      [bob.id],
      { outcome: 'revoke', by: CONTROLLER, note: 'checked with the team' },
      AT,
    );
    // Act
    const second = decide(
      first,
      [bob.id],
      { outcome: 'keep', by: CONTROLLER, note: 'needs it for Q4 close' },
      LATER,
    );
    // Assert
    const item = itemOf(second, 'U-BOB', 'R-AP-PAY');
    expect(item.decision?.outcome).toBe('keep');
    expect(item.superseded).toEqual([
      {
        outcome: 'revoke',
        by: CONTROLLER,
        at: AT.toISOString(),
        note: 'checked with the team',
        channel: 'cli',
        supersededAt: LATER.toISOString(),
      },
    ]);
  });

  it('refuses any decision once the campaign is closed', () => {
    // Arrange
    const c = startedCampaign();
    const all = decide(
      c,
      remainingItemIds(c, CONTROLLER),
      { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
      AT,
    );
    const closed = closeCampaign(all, { by: CONTROLLER }, LATER);
    // Act
    const err = inputError(() =>
      decide(
        closed,
        [c.items[0]!.id],
        { outcome: 'revoke', by: CONTROLLER, note: 'checked with the team' },
        LATER,
      ),
    );
    // Assert
    expect(err.location.field).toBe('CAMPAIGN');
    expect(err.message).toMatch(
      /is closed \(2026-10-03T09:00:00.000Z by controller@example.com\): its decisions are final/,
    );
  });
});

describe('remainingItemIds', () => {
  it('lists the undecided items assigned to one reviewer', () => {
    // Arrange
    const c = aliceReviews();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    const decided = decide(
      c,
      [bob.id],
      { outcome: 'keep', by: 'alice@example.com', note: 'checked with the team' },
      LATER,
    );
    // Act
    const alice = remainingItemIds(decided, 'Alice@example.com');
    const cfo = remainingItemIds(decided, CFO);
    // Assert
    expect(alice).toEqual([itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id]);
    expect(cfo).toHaveLength(4);
  });
});

describe('closeCampaign', () => {
  it('closes a fully decided campaign and records who closed it', () => {
    // Arrange
    const c = startedCampaign();
    const all = decide(
      c,
      remainingItemIds(c, CONTROLLER),
      { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
      AT,
    );
    // Act
    const closed = closeCampaign(all, { by: CFO }, LATER);
    // Assert
    expect(closed.status).toBe('closed');
    expect(closed.closed).toEqual({ at: LATER.toISOString(), by: CFO, forced: false, undecided: 0 });
    expect(closed.history.at(-1)).toMatchObject({ event: 'closed', by: CFO, note: 'all 6 item(s) decided' });
  });

  it('refuses to close while items are undecided', () => {
    // Arrange
    const c = startedCampaign();
    // Act
    const err = inputError(() => closeCampaign(c, { by: CONTROLLER }, LATER));
    // Assert
    expect(err.location.field).toBe('CAMPAIGN');
    expect(err.message).toMatch(
      /has 6 of 6 item\(s\) undecided .*: decide them, or close with force and a rationale/,
    );
  });

  it('refuses a forced close without a rationale of at least 10 characters', () => {
    // Arrange
    const c = startedCampaign();
    // Act
    const none = inputError(() => closeCampaign(c, { by: CONTROLLER, force: true }, LATER));
    const short = inputError(() =>
      closeCampaign(c, { by: CONTROLLER, force: true, rationale: 'because' }, LATER),
    );
    // Assert
    expect(none.location.field).toBe('--rationale');
    expect(short.location.field).toBe('--rationale');
    expect(short.message).toMatch(/at least 10 characters/);
  });

  it('force-closes with a rationale, recording how many grants were left unanswered', () => {
    // Arrange
    const c = startedCampaign();
    const one = decide(
      c,
      [c.items[0]!.id],
      { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
      AT,
    );
    const rationale = 'Reviewer left; remaining grants re-reviewed in Q1 campaign';
    // Act
    const closed = closeCampaign(one, { by: CFO, force: true, rationale }, LATER);
    // Assert
    expect(closed.closed).toEqual({
      at: LATER.toISOString(),
      by: CFO,
      forced: true,
      rationale,
      undecided: 5,
    });
    expect(closed.history.at(-1)).toEqual({
      at: LATER.toISOString(),
      event: 'force-closed',
      by: CFO,
      note: `5 item(s) left undecided: ${rationale}`,
    });
  });

  it('refuses to close a closed campaign', () => {
    // Arrange
    const c = startedCampaign();
    const closed = closeCampaign(c, { by: CFO, force: true, rationale: 'out of scope after all' }, LATER);
    // Act
    const err = inputError(() => closeCampaign(closed, { by: CFO }, LATER));
    // Assert
    expect(err.message).toMatch(/is closed/);
  });
});
