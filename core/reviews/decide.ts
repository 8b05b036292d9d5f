/**
 * Recording reviewers' answers and closing a campaign. Only the assigned reviewer answers for a
 * grant, nobody answers for their own access (segregation of duties of the review itself), and a
 * campaign closes with every grant answered — or by force, with a recorded rationale.
 */
import * as z from 'zod';
import { InputError } from '../errors';
import { describeItem } from './campaign';
import { parseField } from './input';
import type {
  Campaign,
  DecisionChannel,
  Delegation,
  ReviewDecision,
  ReviewItem,
  ReviewOutcome,
} from './model';
import { reviewerEmail } from './schema';

export interface DecisionInput {
  outcome: ReviewOutcome;
  /** The reviewer's email. */
  by: string;
  note?: string;
  /** Where the answer came from; recorded with it (default `cli`). */
  channel?: DecisionChannel;
  /** Channel `xlsx`: the uploaded workbook's SHA-256 (hex), recorded with the decision. */
  fileSha256?: string;
}

export interface DelegationInput {
  /** The item's current reviewer, handing it over. */
  by: string;
  /** The reviewer who answers for it from now on. */
  to: string;
  reason: string;
  channel?: DecisionChannel;
}

export interface CloseInput {
  by: string;
  /** Close although items are undecided; needs `rationale`. */
  force?: boolean;
  rationale?: string;
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');
const note = z.string().trim().min(1, 'must not be empty when given').max(2000, 'is longer than 2000');
const rationale = z.string().trim().min(10, 'must say why, in at least 10 characters').max(2000);

/**
 * Record one decision for each of `itemIds`. A decision given again while the campaign is open
 * replaces the earlier one, which stays in the item's `superseded` list.
 *
 * Throws `InputError` when the campaign is closed, an item id is unknown, the decider is not the
 * item's reviewer, or the decider holds the grant (a reviewer may not certify their own access).
 *
 * @example
 * const next = decide(campaign, ['3fa4c2d19b0e'], { outcome: 'revoke', by: 'controller@example.com',
 *   note: 'left the AP team in August' }, new Date('2026-10-05T10:00:00Z'));
 */
export function decide(
  campaign: Campaign,
  itemIds: readonly string[],
  decision: DecisionInput,
  at: Date,
): Campaign {
  if (Number.isNaN(at.getTime())) throw new RangeError('decide: at is not a valid date');
  const outcome = parseField(z.enum(['keep', 'revoke']), decision.outcome, 'outcome', 'decision');
  const by = parseField(reviewerEmail, decision.by, '--by', 'decider');
  const text = decision.note === undefined ? undefined : parseField(note, decision.note, '--note', 'note');
  assertOpen(campaign);
  const wanted = [...new Set(itemIds)];
  if (wanted.length === 0) {
    throw new InputError(`campaign ${campaign.id}: name at least one item to decide`, { field: 'ITEM' });
  }
  const index = new Map(campaign.items.map((item, i) => [item.id, i]));
  const unknown = wanted.filter((id) => !index.has(id));
  if (unknown.length > 0) {
    throw new InputError(
      `campaign ${campaign.id} has no item ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''}`,
      { field: 'ITEM' },
    );
  }

  const iso = at.toISOString();
  const answer: ReviewDecision = { outcome, by, at: iso, channel: decision.channel ?? 'cli' };
  if (text !== undefined) answer.note = text;
  if (decision.fileSha256 !== undefined) {
    answer.fileSha256 = parseField(sha256Hex, decision.fileSha256, 'fileSha256', 'workbook hash');
  }
  const items = [...campaign.items];
  for (const id of wanted) {
    const i = index.get(id)!;
    const item = items[i]!;
    assertMayAnswer(item, by);
    const why = noteRequiredFor(item, outcome);
    if (why !== undefined && text === undefined) {
      throw new InputError(`item ${id} (${describeItem(item)}): ${why} needs a note saying why`, {
        field: '--note',
      });
    }
    items[i] = withDecision(item, answer, iso);
  }
  return {
    ...campaign,
    items,
    history: [
      ...campaign.history,
      {
        at: iso,
        event: 'decided',
        by,
        note: `${outcome} ${wanted.length} item(s)${answer.fileSha256 ? ` from workbook sha256 ${answer.fileSha256}` : ''}${text ? `: ${text}` : ''}`,
      },
    ],
  };
}

/**
 * Why a note is required for this answer, or undefined: a revocation, keeping a privileged grant,
 * keeping a grant an open finding touches. The same rule for every channel.
 *
 * @example
 * noteRequiredFor(item, 'keep'); // 'keeping a privileged grant'
 */
export function noteRequiredFor(item: ReviewItem, outcome: ReviewOutcome): string | undefined {
  if (outcome === 'revoke') return 'a revocation';
  if (item.privileged) return 'keeping a privileged grant';
  if (item.context?.findings?.length) return 'keeping a grant with an open finding';
  return undefined;
}

/**
 * Hand items to another reviewer. Only the item's reviewer may, with a reason; the new reviewer
 * may not hold the grant. A decision already given is withdrawn (kept in `superseded`): the new
 * reviewer answers afresh. The chain is kept in the item's `delegations`.
 *
 * @example
 * const next = delegate(campaign, ['3fa4c2d19b0e'], { by: 'controller@example.com',
 *   to: 'ap.lead@example.com', reason: 'owns the AP roles' }, new Date('2026-10-05T10:00:00Z'));
 */
export function delegate(
  campaign: Campaign,
  itemIds: readonly string[],
  input: DelegationInput,
  at: Date,
): Campaign {
  if (Number.isNaN(at.getTime())) throw new RangeError('delegate: at is not a valid date');
  const by = parseField(reviewerEmail, input.by, '--by', 'delegating reviewer');
  const to = parseField(reviewerEmail, input.to, '--to', 'delegate');
  const reason = parseField(note, input.reason, '--reason', 'reason');
  if (to === by) throw new InputError(`${by} cannot delegate to themselves`, { field: '--to' });
  assertOpen(campaign);
  const wanted = [...new Set(itemIds)];
  if (wanted.length === 0) {
    throw new InputError(`campaign ${campaign.id}: name at least one item to delegate`, { field: 'ITEM' });
  }
  const index = new Map(campaign.items.map((item, i) => [item.id, i]));
  const iso = at.toISOString();
  const items = [...campaign.items];
  for (const id of wanted) {
    const i = index.get(id);
    if (i === undefined) throw new InputError(`campaign ${campaign.id} has no item ${id}`, { field: 'ITEM' });
    const item = items[i]!;
    assertMayAnswer(item, by);
    if (item.holderEmails.includes(to)) {
      throw new InputError(`item ${id} (${describeItem(item)}) cannot go to ${to}: it is their own access`, {
        field: '--to',
      });
    }
    const hop: Delegation = { from: by, to, at: iso, reason, channel: input.channel ?? 'cli' };
    const next: ReviewItem = {
      ...item,
      reviewer: to,
      reviewerRule: `delegated:${by}`,
      delegations: [...(item.delegations ?? []), hop],
    };
    delete next.decision;
    if (item.decision)
      next.superseded = [...(item.superseded ?? []), { ...item.decision, supersededAt: iso }];
    items[i] = next;
  }
  return {
    ...campaign,
    items,
    history: [
      ...campaign.history,
      { at: iso, event: 'delegated', by, note: `${wanted.length} item(s) to ${to}: ${reason}` },
    ],
  };
}

function assertMayAnswer(item: ReviewItem, by: string): void {
  if (item.holderEmails.includes(by)) {
    throw new InputError(
      `${by} may not decide item ${item.id} (${describeItem(item)}): it is their own access, and a reviewer may not certify their own access`,
      { field: '--by' },
    );
  }
  if (item.reviewer !== by) {
    throw new InputError(`item ${item.id} is assigned to ${item.reviewer}; ${by} is not its reviewer`, {
      field: '--by',
    });
  }
}

/**
 * The undecided items a reviewer still has to answer (`decide --all-remaining`).
 *
 * @example
 * decide(campaign, remainingItemIds(campaign, 'controller@example.com'), { outcome: 'keep', by: 'controller@example.com' }, at);
 */
export function remainingItemIds(campaign: Campaign, reviewer: string): string[] {
  const by = parseField(reviewerEmail, reviewer, '--by', 'reviewer');
  return campaign.items.filter((i) => !i.decision && i.reviewer === by).map((i) => i.id);
}

/**
 * Close a campaign. Refused while items are undecided unless `force` is set with a rationale of at
 * least 10 characters; the closure records who closed it, whether it was forced and how many
 * grants were left unanswered (they count as not certified).
 *
 * @example
 * const closed = closeCampaign(campaign, { by: 'controller@example.com' }, new Date('2026-12-20T17:00:00Z'));
 */
export function closeCampaign(campaign: Campaign, input: CloseInput, at: Date): Campaign {
  if (Number.isNaN(at.getTime())) throw new RangeError('closeCampaign: at is not a valid date');
  const by = parseField(reviewerEmail, input.by, '--by', 'closer');
  assertOpen(campaign);
  const undecided = campaign.items.filter((i) => !i.decision);
  const why =
    input.rationale === undefined
      ? undefined
      : parseField(rationale, input.rationale, '--rationale', 'rationale');
  if (undecided.length > 0 && !input.force) {
    throw new InputError(
      `campaign ${campaign.id} has ${undecided.length} of ${campaign.items.length} item(s) undecided (e.g. ${undecided
        .slice(0, 3)
        .map((i) => i.id)
        .join(', ')}): decide them, or close with force and a rationale`,
      { field: 'CAMPAIGN' },
    );
  }
  if (undecided.length > 0 && why === undefined) {
    throw new InputError(
      `closing campaign ${campaign.id} with ${undecided.length} undecided item(s) needs a rationale`,
      {
        field: '--rationale',
      },
    );
  }
  const forced = undecided.length > 0;
  const iso = at.toISOString();
  const closed: Campaign['closed'] = { at: iso, by, forced, undecided: undecided.length };
  if (why !== undefined) closed.rationale = why;
  return {
    ...campaign,
    status: 'closed',
    closed,
    history: [
      ...campaign.history,
      {
        at: iso,
        event: forced ? 'force-closed' : 'closed',
        by,
        note: forced
          ? `${undecided.length} item(s) left undecided: ${why}`
          : `all ${campaign.items.length} item(s) decided`,
      },
    ],
  };
}

function assertOpen(campaign: Campaign): void {
  if (campaign.status !== 'open') {
    const c = campaign.closed;
    throw new InputError(
      `campaign ${campaign.id} is closed${c ? ` (${c.at} by ${c.by})` : ''}: its decisions are final`,
      { field: 'CAMPAIGN' },
    );
  }
}

function withDecision(item: ReviewItem, answer: ReviewDecision, at: string): ReviewItem {
  const next: ReviewItem = { ...item, decision: answer };
  if (item.decision) next.superseded = [...(item.superseded ?? []), { ...item.decision, supersededAt: at }];
  return next;
}
