/**
 * Reminders and escalations of a campaign (issue 17), as a pure function of the campaign and the
 * time: a reviewer with undecided items is reminded 3 days before the due date and on it, and
 * escalated to their manager once the due date has passed by the escalation delay. Each notice is
 * sent once: what was sent is recorded on the campaign (`notices`), and a notice already recorded
 * is never due again, so running the reminders twice (or from two schedulers) sends nothing twice
 * as long as the record is written in the same store update that checks it.
 *
 * Delivery is a port: locally an outbox folder of email-ready text, in AWS an SNS topic.
 */
import { createHash } from 'node:crypto';
import type { Campaign, CampaignNotice, NoticeKind } from './model';
import type { ReviewStore } from './repository';

const DAY_MS = 86_400_000;
/** The first reminder, before the due date. */
export const REMINDER_DAYS_BEFORE_DUE = 3;
/** Escalate this long after the due date: the on-due reminder gets a day to work first. */
export const DEFAULT_ESCALATION_DELAY_DAYS = 1;

/** A notice that is due and not yet sent. */
export interface NoticeEvent {
  kind: NoticeKind;
  campaignId: string;
  reviewer: string;
  to: string;
  toRule: CampaignNotice['toRule'];
  undecided: number;
  scheduledAt: string;
}

/** What the delivery port sends: an email-ready message. */
export interface NoticeMessage {
  event: NoticeEvent;
  to: string;
  subject: string;
  text: string;
}

/** The delivery port: the local outbox, SNS in AWS. Resolves once the message is accepted. */
export interface NoticeDelivery {
  /** Recorded as the notice's `via`. */
  readonly via: string;
  deliver(message: NoticeMessage): Promise<void>;
}

export interface NoticeOptions {
  escalationDelayDays?: number;
}

/**
 * The notices due at `now` and not yet recorded, sorted by reviewer then kind. A closed campaign
 * and a reviewer with nothing undecided get none. After the due date the 3-day reminder is no
 * longer sent (the on-due one says more). An escalation with no manager known goes to the
 * campaign's fallback reviewer, else its owner when the owner is an email; the recipient's rule
 * says which.
 *
 * @example
 * dueNotices(campaign, new Date('2026-12-28T09:00:00Z'));
 * // [{ kind: 'reminder', reviewer: 'controller@example.com', to: 'controller@example.com', undecided: 4, … }]
 */
export function dueNotices(campaign: Campaign, now: Date, options: NoticeOptions = {}): NoticeEvent[] {
  if (Number.isNaN(now.getTime())) throw new RangeError('dueNotices: now is not a valid date');
  if (campaign.status !== 'open') return [];
  const due = Date.parse(campaign.dueAt);
  const delay = (options.escalationDelayDays ?? DEFAULT_ESCALATION_DELAY_DAYS) * DAY_MS;
  const t = now.getTime();
  const sent = new Set((campaign.notices ?? []).map((n) => `${n.kind}\u0000${n.reviewer}`));
  const undecided = new Map<string, number>();
  for (const item of campaign.items) {
    if (!item.decision) undecided.set(item.reviewer, (undecided.get(item.reviewer) ?? 0) + 1);
  }
  const out: NoticeEvent[] = [];
  for (const reviewer of [...undecided.keys()].sort()) {
    const n = undecided.get(reviewer)!;
    const add = (kind: NoticeKind, at: number, to: string, toRule: NoticeEvent['toRule']) => {
      if (sent.has(`${kind}\u0000${reviewer}`)) return;
      out.push({
        kind,
        campaignId: campaign.id,
        reviewer,
        to,
        toRule,
        undecided: n,
        scheduledAt: new Date(at).toISOString(),
      });
    };
    const before = due - REMINDER_DAYS_BEFORE_DUE * DAY_MS;
    if (t >= before && t < due) add('reminder', before, reviewer, 'reviewer');
    if (t >= due) add('due', due, reviewer, 'reviewer');
    if (t >= due + delay) {
      const target = escalationTarget(campaign, reviewer);
      if (target) add('escalation', due + delay, target.to, target.rule);
    }
  }
  return out;
}

/** The reviewer's HR manager, else the fallback reviewer, else the owner (when an email); never the reviewer. */
export function escalationTarget(
  campaign: Campaign,
  reviewer: string,
): { to: string; rule: 'manager' | 'fallback' | 'owner' } | undefined {
  const manager = campaign.reviewerManagers?.[reviewer];
  if (manager && manager !== reviewer) return { to: manager, rule: 'manager' };
  const fallback = campaign.reviewers.fallback;
  if (fallback && fallback !== reviewer) return { to: fallback, rule: 'fallback' };
  const owner = campaign.createdBy.trim().toLowerCase();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(owner) && owner !== reviewer) return { to: owner, rule: 'owner' };
  return undefined;
}

/**
 * The email-ready text of a notice. `link` is the reviewer's sign-in link (reminders only: an
 * escalation goes to someone else, who must not get the reviewer's access).
 *
 * @example
 * noticeMessage(campaign, event, 'http://127.0.0.1:8417/l/eyJ2…').subject;
 * // 'Reminder: 4 access review item(s) due 2026-12-31 (Q4 privileged access)'
 */
export function noticeMessage(campaign: Campaign, event: NoticeEvent, link?: string): NoticeMessage {
  const due = campaign.dueAt.slice(0, 10);
  const n = event.undecided;
  const lines: string[] = [];
  let subject: string;
  if (event.kind === 'escalation') {
    subject = `Escalation: ${event.reviewer} has ${n} access review item(s) overdue since ${due} (${campaign.name})`;
    lines.push(
      'Hello,',
      '',
      `${event.reviewer} has not decided ${n} item(s) of the access review "${campaign.name}" (campaign ${campaign.id}), which was due on ${due}.`,
      `You receive this as their ${event.toRule === 'manager' ? 'manager' : event.toRule === 'fallback' ? "campaign's fallback reviewer" : "campaign's owner"}. Please ask them to complete the review, or ask the campaign owner (${campaign.createdBy}) to delegate their items.`,
    );
  } else {
    subject =
      event.kind === 'reminder'
        ? `Reminder: ${n} access review item(s) due ${due} (${campaign.name})`
        : `Due today: ${n} access review item(s) (${campaign.name})`;
    lines.push(
      'Hello,',
      '',
      event.kind === 'reminder'
        ? `You have ${n} undecided item(s) in the access review "${campaign.name}" (campaign ${campaign.id}), due on ${due}.`
        : `The access review "${campaign.name}" (campaign ${campaign.id}) is due today (${due}) and ${n} of your item(s) are undecided.`,
      'For each grant, keep it or revoke it (a note is required to revoke, to keep privileged access or access with an open finding), or delegate it.',
    );
    if (link) lines.push('', `Sign in with your personal link (do not forward it): ${link}`);
  }
  lines.push('', `-- AccessProof (campaign owner: ${campaign.createdBy})`);
  return { event, to: event.to, subject, text: `${lines.join('\n')}\n` };
}

/**
 * The campaign with the delivered notices recorded. A notice recorded already (another
 * scheduler sent it meanwhile) is left as it was: the record keeps the first sending.
 *
 * @example
 * await store.update(id, (c) => recordNotices(c, delivered, 'outbox', now));
 */
export function recordNotices(
  campaign: Campaign,
  delivered: readonly NoticeMessage[],
  via: string,
  at: Date,
): Campaign {
  if (delivered.length === 0) return campaign;
  const sent = new Set((campaign.notices ?? []).map((n) => `${n.kind}\u0000${n.reviewer}`));
  const notices = [...(campaign.notices ?? [])];
  for (const m of delivered) {
    const key = `${m.event.kind}\u0000${m.event.reviewer}`;
    if (sent.has(key)) continue;
    sent.add(key);
    notices.push({
      kind: m.event.kind,
      reviewer: m.event.reviewer,
      to: m.to,
      toRule: m.event.toRule,
      undecided: m.event.undecided,
      scheduledAt: m.event.scheduledAt,
      sentAt: at.toISOString(),
      via,
      messageSha256: createHash('sha256').update(`${m.subject}\n\n${m.text}`).digest('hex'),
    });
  }
  return { ...campaign, notices };
}

export interface SendNoticesResult {
  campaignId: string;
  sent: NoticeMessage[];
  /** Deliveries that failed (not recorded: the next run tries again). */
  failed: { event: NoticeEvent; error: string }[];
}

/**
 * Send what is due for every open campaign of the store and record each notice once delivered.
 * A notice is recorded only after the port accepted it: a crash in between sends it again next
 * time rather than recording a notice nobody got. `linkFor` gives a reviewer's sign-in link.
 *
 * @example
 * const results = await sendDueNotices(store, outbox, new Date(), { linkFor: (c, r) => linkOf(c, r) });
 */
export async function sendDueNotices(
  store: ReviewStore,
  delivery: NoticeDelivery,
  now: Date,
  options: NoticeOptions & {
    linkFor?: (campaign: Campaign, reviewer: string) => string | undefined;
    campaignId?: string;
  } = {},
): Promise<SendNoticesResult[]> {
  const campaigns =
    options.campaignId === undefined
      ? await store.list()
      : [await store.get(options.campaignId)].filter((c): c is Campaign => c !== undefined);
  const results: SendNoticesResult[] = [];
  for (const campaign of campaigns) {
    const events = dueNotices(campaign, now, options);
    const result: SendNoticesResult = { campaignId: campaign.id, sent: [], failed: [] };
    for (const event of events) {
      const link = event.kind === 'escalation' ? undefined : options.linkFor?.(campaign, event.reviewer);
      const message = noticeMessage(campaign, event, link);
      try {
        await delivery.deliver(message);
      } catch (err) {
        result.failed.push({ event, error: (err as Error).message });
        continue;
      }
      await store.update(campaign.id, (c) => recordNotices(c, [message], delivery.via, now));
      result.sent.push(message);
    }
    if (events.length > 0) results.push(result);
  }
  return results;
}
