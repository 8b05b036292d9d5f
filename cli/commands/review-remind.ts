/**
 * `accessproof review remind [CAMPAIGN] --out DIR [--as-of T]`: send the reminders and
 * escalations due (docs/reviews.md) — locally as email-ready files in `<state>/outbox/` — and
 * record each on its campaign, so running it again (from cron, say) sends nothing twice.
 */
import { InputError } from '../../core/errors';
import { toDate } from '../../core/reviews/input';
import { sendDueNotices } from '../../core/reviews/reminders';
import { isoDateOrTime } from '../../core/reviews/schema';
import { OutboxDelivery, outboxDir } from '../../stores/sqlite-reviews/notice-outbox';
import { loadOrCreateReviewLinkKey } from '../../stores/sqlite-reviews/review-app-files';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';
import { parseLinkBase, reviewerLink, withStore } from './review';
import { DEFAULT_SERVE_PORT } from './serve';

export interface ReviewRemindOptions {
  out: string;
  campaign?: string;
  /** The time the reminders are judged at (default: now). */
  asOf?: string;
  linkBase?: string;
}

/**
 * @example
 * await runReviewRemind({ out: 'accessproof-out', asOf: '2026-12-28' }, consoleOutput());
 */
export async function runReviewRemind(opts: ReviewRemindOptions, out: Output): Promise<number> {
  let now = new Date();
  if (opts.asOf !== undefined) {
    const parsed = isoDateOrTime.safeParse(opts.asOf);
    if (!parsed.success) {
      throw new InputError(`"${opts.asOf}" must be an ISO 8601 date such as 2026-12-28`, {
        field: '--as-of',
      });
    }
    now = toDate(parsed.data);
  }
  const base = parseLinkBase(opts.linkBase ?? `http://127.0.0.1:${DEFAULT_SERVE_PORT}`);
  const paths = localPaths(opts.out, undefined);
  const key = await loadOrCreateReviewLinkKey(paths.state);
  const outbox = new OutboxDelivery(paths.state, () => now);
  const results = await withStore(paths, false, async (store) => {
    if (opts.campaign !== undefined && !(await store.get(opts.campaign))) {
      throw new InputError(`no review campaign ${opts.campaign}`, { field: 'CAMPAIGN' });
    }
    return sendDueNotices(store, outbox, now, {
      ...(opts.campaign !== undefined ? { campaignId: opts.campaign } : {}),
      linkFor: (c, reviewer) => reviewerLink(key, base, c, reviewer),
    });
  });
  let sent = 0;
  let failed = 0;
  for (const r of results) {
    for (const m of r.sent) {
      sent++;
      const about = m.event.kind === 'escalation' ? ` (about ${m.event.reviewer})` : '';
      out.line(`${r.campaignId}: ${m.event.kind} to ${m.to}${about}: ${m.event.undecided} undecided`);
    }
    for (const f of r.failed) {
      failed++;
      out.line(`${r.campaignId}: ${f.event.kind} to ${f.event.to} NOT sent: ${f.error}`);
    }
  }
  out.line(
    `${sent} notice(s) sent as of ${now.toISOString()}${sent ? ` (email-ready files in ${outboxDir(paths.state)})` : ''}${failed ? `, ${failed} failed (tried again next time)` : ''}`,
  );
  return failed ? EXIT.failed : EXIT.ok;
}
