/**
 * The sign-in links of the reviewer app (issue 17): a reviewer's `/l/<token>` and a campaign
 * owner's `/o/<token>`, at an origin (`http://127.0.0.1:8417` locally). Pure: key and time are arguments.
 */
import type { Campaign } from '../model';
import { signLink, signOwnerLink } from './tokens';

/** A reviewer's link stays valid this long after the due date: late answers are allowed, and marked late. */
export const LINK_GRACE_DAYS = 7;
/** An owner's link is valid this long from when it is made (default). */
export const OWNER_LINK_DAYS = 14;
const DAY_MS = 86_400_000;

/** Reviewer links stay valid until the due date plus the grace days. */
export function linkExpiry(campaign: Pick<Campaign, 'dueAt'>): string {
  return new Date(Date.parse(campaign.dueAt) + LINK_GRACE_DAYS * DAY_MS).toISOString();
}

/**
 * A reviewer's signed sign-in link at `base` (an origin).
 *
 * @example
 * reviewerLink(key, 'http://127.0.0.1:8417', campaign, 'controller@example.com'); // 'http://127.0.0.1:8417/l/eyJ2…'
 */
export function reviewerLink(
  key: Uint8Array,
  base: string,
  campaign: Pick<Campaign, 'id' | 'dueAt'>,
  reviewer: string,
): string {
  return `${base}/l/${signLink(key, { campaign: campaign.id, reviewer, exp: linkExpiry(campaign) })}`;
}

/**
 * A campaign owner's signed sign-in link: for one campaign, or (no `campaign`) for the campaigns
 * the owner starts. Valid `days` from `now`.
 *
 * @example
 * ownerLink(key, 'http://127.0.0.1:8417', { owner: 'controller@example.com', campaign: 'rev-1' }, new Date());
 */
export function ownerLink(
  key: Uint8Array,
  base: string,
  grant: { owner: string; campaign?: string },
  now: Date,
  days = OWNER_LINK_DAYS,
): { url: string; exp: string } {
  const exp = new Date(now.getTime() + days * DAY_MS).toISOString();
  return { url: `${base}/o/${signOwnerLink(key, { ...grant, exp })}`, exp };
}
