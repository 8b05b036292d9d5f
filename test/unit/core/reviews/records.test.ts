import { describe, expect, it } from 'vitest';
import { closeCampaign, decide } from '../../../../core/reviews/decide';
import { checkRevocations, reviewArtefactsFor } from '../../../../core/reviews/evidence';
import { campaignRecords, type ReviewItemRecord, summarizeCampaign } from '../../../../core/reviews/records';
import { verifyRevocations } from '../../../../core/reviews/revocation';
import {
  AT,
  CFO,
  CONTROLLER,
  itemOf,
  LATER,
  laterRun,
  RESCAN,
  reviewTenant,
  startedCampaign,
} from './review-fixture';

const AFTER_DUE = new Date('2027-01-15T00:00:00.000Z');

function reviewed() {
  const c = startedCampaign();
  const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
  const svc = itemOf(c, 'SVC-BATCH', 'R-DISPLAY');
  const one = decide(c, [bob.id], { outcome: 'revoke', by: CONTROLLER, note: 'moved to sales' }, LATER);
  const two = decide(
    one,
    [svc.id],
    { outcome: 'keep', by: CONTROLLER, note: 'checked with the team' },
    AFTER_DUE,
  );
  return { campaign: two, bob, svc };
}

describe('summarizeCampaign', () => {
  it('counts decided, undecided, kept, revoked, reviewers and late decisions', () => {
    // Arrange
    const { campaign } = reviewed();
    // Act
    const s = summarizeCampaign(campaign, AFTER_DUE);
    // Assert
    expect(s).toEqual({
      items: 6,
      decided: 2,
      undecided: 4,
      kept: 1,
      revoked: 1,
      reviewers: 1,
      late: 1,
      byChannel: { cli: 2 },
      overdue: true,
    });
  });

  it('is not overdue before the due date, nor once closed', () => {
    // Arrange
    const { campaign } = reviewed();
    const closed = closeCampaign(
      campaign,
      { by: CFO, force: true, rationale: 'rest moved to the Q1 campaign' },
      AFTER_DUE,
    );
    // Act / Assert
    expect(summarizeCampaign(campaign, AT).overdue).toBe(false);
    expect(summarizeCampaign(closed, AFTER_DUE).overdue).toBe(false);
    expect(summarizeCampaign(campaign).overdue).toBeUndefined();
  });
});

describe('campaignRecords', () => {
  it('writes a campaign row, then one row per item with its decision and revocation proof', () => {
    // Arrange
    const { campaign, bob, svc } = reviewed();
    const revocations = verifyRevocations(campaign, laterRun({ drop: ['bobPay'] }), 'run-2');
    // Act
    const rows = campaignRecords(campaign, { asOf: AT, revocations });
    // Assert
    expect(rows).toHaveLength(7);
    expect(rows[0]).toMatchObject({
      record: 'campaign',
      campaignId: campaign.id,
      name: campaign.name,
      status: 'open',
      baseRunId: 'run-1',
      baseManifestSha256: 'a'.repeat(64),
      asOf: AT.toISOString(),
      summary: {
        items: 6,
        decided: 2,
        revocations: { runId: 'run-2', revoked: 1, stillPresent: 0, unverified: 0 },
      },
    });
    const items = rows.slice(1) as ReviewItemRecord[];
    expect(items.map((r) => r.itemId)).toEqual(campaign.items.map((i) => i.id));
    const bobRow = items.find((r) => r.itemId === bob.id)!;
    expect(bobRow).toMatchObject({
      record: 'item',
      campaignId: campaign.id,
      principalName: 'Ortiz, Bob',
      entitlementName: 'AP Payment Release',
      reviewer: CONTROLLER,
      decision: { outcome: 'revoke', by: CONTROLLER, note: 'moved to sales' },
      revocation: { status: 'revoked', runId: 'run-2', collectedAt: RESCAN },
    });
    expect(bobRow.late).toBeUndefined();
    const svcRow = items.find((r) => r.itemId === svc.id)!;
    expect(svcRow.late).toBe(true);
    expect(svcRow.revocation).toBeUndefined();
    expect(items.filter((r) => !r.decision)).toHaveLength(4);
  });

  it('carries the holder emails, so an auditor can check that no reviewer certified their own access', () => {
    // Arrange
    const { campaign } = reviewed();
    // Act
    const rows = campaignRecords(campaign).slice(1) as ReviewItemRecord[];
    // Assert
    const alice = rows.filter((r) => r.identity === 'person:alice@example.com');
    expect(alice).toHaveLength(4);
    expect(alice.every((r) => r.holderEmails.includes('alice@example.com'))).toBe(true);
    expect(rows.every((r) => !r.holderEmails.includes(r.reviewer))).toBe(true);
  });
});

describe('reviewArtefactsFor', () => {
  it('gives one reviews/<id>.jsonl per campaign, sorted, with lines, count and bytes', () => {
    // Arrange
    const { campaign } = reviewed();
    const other = startedCampaign({ name: 'A first campaign' });
    const t = reviewTenant();
    // Act
    const artefacts = reviewArtefactsFor([campaign, other], {
      asOf: AT,
      revocations: checkRevocations([campaign, other], t.inventory, 'run-1'),
    });
    // Assert
    expect(artefacts.map((a) => a.path)).toEqual([
      `reviews/${other.id}.jsonl`,
      `reviews/${campaign.id}.jsonl`,
    ]);
    const a = artefacts[1]!;
    expect(a.records).toBe(7);
    expect(a.lines).toHaveLength(7);
    expect(new TextDecoder().decode(a.content)).toBe(`${a.lines.join('\n')}\n`);
    expect(JSON.parse(a.lines[0]!).summary.revocations).toEqual({
      runId: 'run-1',
      revoked: 0,
      stillPresent: 0,
      unverified: 1,
    });
  });

  it('gives nothing when there are no campaigns', () => {
    expect(reviewArtefactsFor([], { asOf: AT })).toEqual([]);
  });
});
