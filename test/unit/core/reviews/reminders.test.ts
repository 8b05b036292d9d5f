/**
 * Reminders and escalations: due − 3 days, due, escalation after due (to the reviewer's HR
 * manager, else the fallback, else the owner), each sent once and recorded, never for a closed
 * campaign or a reviewer with nothing left; delivery failures are not recorded.
 */
import { describe, expect, it } from 'vitest';
import { startCampaign } from '../../../../core/reviews/campaign';
import { decide } from '../../../../core/reviews/decide';
import type { Campaign } from '../../../../core/reviews/model';
import {
  dueNotices,
  type NoticeMessage,
  noticeMessage,
  recordNotices,
  sendDueNotices,
} from '../../../../core/reviews/reminders';
import { SqliteReviewStore } from '../../../../stores/sqlite-reviews/sqlite-review-store';
import { buildInventory, makePerson } from '../../../support/factories';
import { AT, baseOptions, CFO, CONTROLLER, itemOf, reviewTenant, startedCampaign } from './review-fixture';

const AWS_OWNER = 'aws.owner@example.com';
// Due 2026-12-31T00:00Z: reminder from 12-28, due reminder from 12-31, escalation from 01-01.
const at = (iso: string) => new Date(iso);

function twoReviewers(): Campaign {
  return startedCampaign({ reviewers: { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER } } });
}

describe('dueNotices', () => {
  it('sends nothing before due − 3 days, a reminder then, the due reminder on the due date', () => {
    const c = twoReviewers();
    expect(dueNotices(c, at('2026-12-27T23:59:59Z'))).toEqual([]);
    const before = dueNotices(c, at('2026-12-28T00:00:00Z'));
    expect(before.map((e) => [e.kind, e.reviewer, e.to, e.toRule])).toEqual([
      ['reminder', AWS_OWNER, AWS_OWNER, 'reviewer'],
      ['reminder', CONTROLLER, CONTROLLER, 'reviewer'],
    ]);
    expect(before[0]!.scheduledAt).toBe('2026-12-28T00:00:00.000Z');
    // On the due date the 3-day reminder (never sent) is dropped: the due one says more.
    const due = dueNotices(c, at('2026-12-31T08:00:00Z'));
    expect(due.map((e) => e.kind)).toEqual(['due', 'due']);
  });

  it('escalates after the due date to the fallback, else the owner, when HR names no manager', () => {
    const c = twoReviewers();
    const late = dueNotices(c, at('2027-01-02T00:00:00Z'));
    // No fallback, no HR: the owner (createdBy, an email) gets the escalations; CONTROLLER is the
    // owner, so the controller's own escalation has nobody to go to and is not invented.
    expect(late.map((e) => [e.kind, e.reviewer, e.to, e.toRule])).toEqual([
      ['due', AWS_OWNER, AWS_OWNER, 'reviewer'],
      ['escalation', AWS_OWNER, CONTROLLER, 'owner'],
      ['due', CONTROLLER, CONTROLLER, 'reviewer'],
    ]);
    const withFallback = startedCampaign({
      reviewers: { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER }, fallback: CFO },
    });
    expect(
      dueNotices(withFallback, at('2027-01-02T00:00:00Z'))
        .filter((e) => e.kind === 'escalation')
        .map((e) => [e.reviewer, e.to, e.toRule]),
    ).toEqual([
      [AWS_OWNER, CFO, 'fallback'],
      [CONTROLLER, CFO, 'fallback'],
    ]);
  });

  it("escalates to the reviewer's HR manager when HR knows the reviewer", () => {
    const t = reviewTenant();
    const inventory = buildInventory({
      ...t.records,
      people: [
        makePerson({ employeeId: 'E9', email: 'Controller@Example.com', managerEmail: 'cfo@example.com' }),
      ],
    });
    const c = startCampaign(inventory, baseOptions({ createdBy: 'owner@example.com' }), AT);
    expect(c.reviewerManagers).toEqual({ [CONTROLLER]: CFO });
    const esc = dueNotices(c, at('2027-01-05T00:00:00Z')).find((e) => e.kind === 'escalation');
    expect(esc).toMatchObject({
      reviewer: CONTROLLER,
      to: CFO,
      toRule: 'manager',
      undecided: c.items.length,
    });
  });

  it('is idempotent once recorded, and skips reviewers with nothing undecided and closed campaigns', () => {
    let c = twoReviewers();
    const now = at('2026-12-28T09:00:00Z');
    const msgs = dueNotices(c, now).map((e) => noticeMessage(c, e, 'http://127.0.0.1:8417/l/x'));
    c = recordNotices(c, msgs, 'outbox', now);
    expect(c.notices).toHaveLength(2);
    expect(c.notices![0]).toMatchObject({ kind: 'reminder', via: 'outbox', sentAt: now.toISOString() });
    expect(c.notices![0]!.messageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(dueNotices(c, at('2026-12-29T09:00:00Z'))).toEqual([]);
    // Recording the same notice again keeps the first sending.
    expect(recordNotices(c, msgs, 'outbox', at('2026-12-29T00:00:00Z')).notices).toEqual(c.notices);

    // The AWS owner decides everything: no more notices for them.
    const awsItems = c.items.filter((i) => i.reviewer === AWS_OWNER).map((i) => i.id);
    c = decide(c, awsItems, { outcome: 'revoke', by: AWS_OWNER, note: 'not needed' }, now);
    expect(dueNotices(c, at('2027-01-03T00:00:00Z')).map((e) => [e.kind, e.reviewer])).toEqual([
      ['due', CONTROLLER],
    ]);
    const closed: Campaign = { ...c, status: 'closed' };
    expect(dueNotices(closed, at('2027-01-03T00:00:00Z'))).toEqual([]);
  });

  it('writes reminders with the link and escalations without it', () => {
    const c = startedCampaign({
      reviewers: { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER }, fallback: CFO },
    });
    const [dueEvt, escEvt] = dueNotices(c, at('2027-01-02T00:00:00Z'));
    const reminder = noticeMessage(c, dueEvt!, 'http://127.0.0.1:8417/l/TOKEN');
    expect(reminder.subject).toMatch(/^Due today: \d+ access review item\(s\)/);
    expect(reminder.text).toContain('http://127.0.0.1:8417/l/TOKEN');
    const esc = noticeMessage(c, escEvt!);
    expect(esc.to).toBe(CFO);
    expect(esc.subject).toContain(`Escalation: ${AWS_OWNER}`);
    expect(esc.text).not.toContain('/l/');
  });
});

describe('sendDueNotices', () => {
  it('delivers, records each once, and leaves a failed delivery unrecorded for the next run', async () => {
    const store = SqliteReviewStore.open({ file: ':memory:' });
    const c = twoReviewers();
    await store.create(c);
    const delivered: NoticeMessage[] = [];
    let failFor: string | undefined = AWS_OWNER;
    const port = {
      via: 'test',
      deliver: async (m: NoticeMessage) => {
        if (m.to === failFor) throw new Error('relay down');
        delivered.push(m);
      },
    };
    const now = at('2026-12-28T09:00:00Z');
    const first = await sendDueNotices(store, port, now, { linkFor: (_c, r) => `link-for-${r}` });
    expect(first[0]!.sent.map((m) => m.to)).toEqual([CONTROLLER]);
    expect(first[0]!.failed.map((f) => f.event.to)).toEqual([AWS_OWNER]);
    expect(delivered[0]!.text).toContain(`link-for-${CONTROLLER}`);
    failFor = undefined;
    const second = await sendDueNotices(store, port, now);
    expect(second[0]!.sent.map((m) => m.to)).toEqual([AWS_OWNER]);
    expect(await sendDueNotices(store, port, now)).toEqual([]);
    const stored = await store.get(c.id);
    expect(stored!.notices!.map((n) => [n.kind, n.to])).toEqual([
      ['reminder', CONTROLLER],
      ['reminder', AWS_OWNER],
    ]);
    expect(itemOf(stored!, 'U-ALICE', 'R-AP-PAY').reviewer).toBe(CONTROLLER);
    await store.close();
  });
});
