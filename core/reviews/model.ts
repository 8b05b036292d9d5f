/**
 * User access reviews (docs/reviews.md): a campaign asks named
 * reviewers to certify, grant by grant, that access is still needed (`keep`) or to take it away
 * (`revoke`). A campaign reviews the inventory of one sealed pack, so the population it certifies
 * is itself evidence; a revoked grant is proven gone by a later complete collection.
 */
import { createHash } from 'node:crypto';
import type { PrincipalKind, System } from '../model';

export type ReviewOutcome = 'keep' | 'revoke';
export type CampaignStatus = 'open' | 'closed';
/** How an answer reached the campaign (issue 17): the command line, the reviewer web app, an XLSX upload. */
export type DecisionChannel = 'cli' | 'web' | 'xlsx';

/** A reviewer's answer for one grant. */
export interface ReviewDecision {
  outcome: ReviewOutcome;
  /** The reviewer's email (normalized: trimmed, lowercased). */
  by: string;
  at: string;
  note?: string;
  /** Absent on decisions recorded before channels were recorded (all of them through the CLI). */
  channel?: DecisionChannel;
  /** Channel `xlsx`: SHA-256 (hex) of the uploaded workbook that carried the decision. */
  fileSha256?: string;
}

/** The item passed from one reviewer to another (issue 17): the chain stays on the item. */
export interface Delegation {
  from: string;
  to: string;
  at: string;
  reason: string;
  channel: DecisionChannel;
}

/** A decision replaced while the campaign was open: kept so the record shows every answer given. */
export interface SupersededDecision extends ReviewDecision {
  supersededAt: string;
}

/** One grant under review: who holds what, through which path, and who must answer for it. */
export interface ReviewItem {
  /** Stable across campaigns: the first 12 hex chars of SHA-256 over principal, entitlement and path. */
  id: string;
  sourceId: string;
  system: System;
  /** Identity id (`person:…` or `principal:…`) as correlated in the base run. */
  identity: string;
  identityName: string;
  /** Normalized emails that name the holder: a reviewer with one of them reviews their own access. */
  holderEmails: string[];
  principal: string;
  principalName: string;
  principalKind: PrincipalKind;
  principalType: string;
  /** `unknown` when the grant names a principal the snapshot has no record of. */
  principalStatus: 'active' | 'disabled' | 'unknown';
  entitlement: string;
  entitlementName: string;
  entitlementType: string;
  privileged: boolean;
  /** The uids the grant came through (group, permission set group); empty when direct. */
  path: string[];
  /** The same path as names, for a reviewer. */
  pathNames: string[];
  grantedAt?: string;
  /** Normalized email of the only person who may decide this item. */
  reviewer: string;
  /** Why this reviewer: `entitlement:<glob>`, `source:<id>`, `default`, or `fallback:<rule>`. */
  reviewerRule: string;
  decision?: ReviewDecision;
  superseded?: SupersededDecision[];
  /** What a reviewer needs to decide, as known when the campaign started (issue 17). */
  context?: ItemContext;
  /** Every hand-over of the item, oldest first; `reviewer` is the last `to`. */
  delegations?: Delegation[];
}

/** An open finding that names the item's principal (and its entitlement, when it names one). */
export interface ItemFinding {
  id: string;
  rule: string;
  severity: string;
  title: string;
  /** SoD: the functions the finding's grants give, in the ruleset's words. */
  functions?: string[];
}

/** The holder and the grant as the base run saw them. Absent fields are unknown, not "none". */
export interface ItemContext {
  /** HR status of the person the principal was matched to. */
  hrStatus?: 'active' | 'leave' | 'terminated';
  /** HR says the person has left (status terminated). */
  leaver?: boolean;
  department?: string;
  manager?: string;
  title?: string;
  /** The principal's last recorded activity (`at`, and the signal it comes from). */
  lastUsedAt?: string;
  lastUsedSignal?: string;
  /** SoD functions the entitlement gives, from the open findings' grant evidence. */
  functions?: string[];
  findings?: ItemFinding[];
  /** The answer for the same grant (same item id) in the newest earlier campaign that had one. */
  previous?: { campaignId: string; outcome: ReviewOutcome; by: string; at: string; note?: string };
}

export interface CampaignScope {
  /** Source ids under review; empty: every collected source of the base run. */
  sources: string[];
  /** Entitlement name (or uid) globs, case-insensitive; empty: every entitlement. */
  entitlements: string[];
  privilegedOnly: boolean;
  /** Only grants on sources the base run's policy marks financially significant (issue 17). */
  financialOnly?: boolean;
  /** Only grants an open finding of the base run touches (issue 17). */
  openFindingsOnly?: boolean;
}

/**
 * Who reviews what. The identity's manager is not in the model, so the campaign names reviewers:
 * the first matching entitlement glob wins, then the source's reviewer, then the default. A
 * grant whose reviewer holds it goes to `fallback`.
 */
export interface ReviewerAssignment {
  default?: string;
  bySource: Record<string, string>;
  /** `source`: the rule covers that source's entitlements only (an owners catalog entry). */
  byEntitlement: { pattern: string; reviewer: string; source?: string }[];
  fallback?: string;
  /**
   * Issue 17: the holder's HR manager reviews a grant no entitlement owner covers, before the
   * source's reviewer and the default (absent: managers review only a reviewer's own access).
   */
  managers?: boolean;
  /** Where the entitlement owners came from (`owners.yaml` and its SHA-256), when a catalog was used. */
  catalog?: { file: string; sha256: string };
}

/** A source of the base run as the campaign saw it: the completeness of the reviewed population. */
export interface CampaignSource {
  id: string;
  system: System;
  status: 'collected' | 'failed';
  complete: boolean;
  collectedAt?: string;
  /** Grants of this source under review. */
  items: number;
}

export interface CampaignClosure {
  at: string;
  by: string;
  /** Closed with undecided items. */
  forced: boolean;
  rationale?: string;
  undecided: number;
}

export interface CampaignEvent {
  at: string;
  event: 'started' | 'decided' | 'delegated' | 'closed' | 'force-closed';
  by: string;
  note?: string;
}

export interface Campaign {
  /** Also a file name in the pack (`reviews/<id>.jsonl`): letters, digits, `.`, `_`, `-`. */
  id: string;
  name: string;
  scope: CampaignScope;
  reviewers: ReviewerAssignment;
  createdAt: string;
  createdBy: string;
  dueAt: string;
  status: CampaignStatus;
  /** The sealed run whose inventory the campaign reviews. */
  baseRunId: string;
  /** That run's `manifest.json` SHA-256: ties the campaign to the exact sealed population. */
  baseManifestSha256?: string;
  /**
   * SHA-256 over the sorted item population (`populationSha256`) when the campaign started: the
   * auditor recomputes it from the item lines' ids, principals, entitlements and paths.
   */
  populationSha256?: string;
  sources: CampaignSource[];
  items: ReviewItem[];
  closed?: CampaignClosure;
  history: CampaignEvent[];
  /**
   * Each reviewer's manager as HR named them when the campaign started (reviewers HR knows, and
   * only one person with that email): where an escalation goes. Absent: unknown.
   */
  reviewerManagers?: Record<string, string>;
  /** Reminders and escalations sent, oldest first (each kind once per reviewer). */
  notices?: CampaignNotice[];
}

/** `reminder`: due − 3 days; `due`: on the due date; `escalation`: after it, to the manager. */
export type NoticeKind = 'reminder' | 'due' | 'escalation';

/** A reminder or escalation as sent: the record that makes sending idempotent. */
export interface CampaignNotice {
  kind: NoticeKind;
  /** The reviewer the notice is about. */
  reviewer: string;
  /** Who it was sent to. */
  to: string;
  /** Why that recipient: the reviewer, their HR manager, the fallback reviewer, the campaign owner. */
  toRule: 'reviewer' | 'manager' | 'fallback' | 'owner';
  /** The reviewer's undecided items when it was sent. */
  undecided: number;
  /** When it became due (`dueAt` − 3 days, `dueAt`, `dueAt` + the escalation delay). */
  scheduledAt: string;
  sentAt: string;
  /** How it left: `outbox` (local folder), `sns`, … */
  via: string;
  /** SHA-256 of the message text as delivered. */
  messageSha256: string;
}

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The item id of a grant: the same grant has the same id in every campaign.
 *
 * @example
 * reviewItemId({ principal: 'erp:netsuite:U1', entitlement: 'erp:netsuite:R-AP-PAY', path: [] }); // '3fa4…' (12 hex)
 */
export function reviewItemId(grant: {
  principal: string;
  entitlement: string;
  path: readonly string[];
}): string {
  return createHash('sha256')
    .update(`${grant.principal}\u0000${grant.entitlement}\u0000${grant.path.join('\u0001')}`)
    .digest('hex')
    .slice(0, 12);
}

/**
 * `rev-<YYYYMMDD>-<slug of the name>`, e.g. `rev-20261001-q4-2026-sox-review`.
 *
 * @example
 * campaignIdFor('Q4 2026 SOX review', new Date('2026-10-01T09:00:00Z')); // 'rev-20261001-q4-2026-sox-review'
 */
export function campaignIdFor(name: string, at: Date): string {
  const day = at.toISOString().slice(0, 10).replace(/-/g, '');
  const slug =
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'campaign';
  return `rev-${day}-${slug}`;
}

/**
 * SHA-256 (hex) over the population: one line per item `id\tprincipal\tentitlement\tpath…` (path
 * uids joined by `>`), sorted, each ended by `\n`. Decisions and reviewers are not part of it.
 *
 * @example
 * populationSha256(campaign.items); // '9c1e…' (64 hex)
 */
export function populationSha256(
  items: readonly { id: string; principal: string; entitlement: string; path: readonly string[] }[],
): string {
  const lines = items.map((i) => `${i.id}\t${i.principal}\t${i.entitlement}\t${i.path.join('>')}\n`).sort();
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line);
  return hash.digest('hex');
}
