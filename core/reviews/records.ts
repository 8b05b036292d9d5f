/**
 * `reviews/<campaignId>.jsonl` (docs/reviews.md, docs/evidence-format.md): one `campaign` row (scope, reviewers, base run,
 * closure, history, summary), then one `item` row per grant with its reviewer, decision and — for
 * a revocation — whether the run that sealed the pack proves it carried out.
 */
import type {
  Campaign,
  CampaignClosure,
  CampaignEvent,
  CampaignNotice,
  CampaignScope,
  CampaignSource,
  Delegation,
  ItemContext,
  ReviewDecision,
  ReviewerAssignment,
  ReviewItem,
  SupersededDecision,
} from './model';
import type { RevocationCheck, RevocationReport } from './revocation';

export interface CampaignSummary {
  items: number;
  decided: number;
  undecided: number;
  kept: number;
  revoked: number;
  reviewers: number;
  /** Decisions made after the due date. */
  late: number;
  /** Current decisions by channel (`cli` also counts decisions recorded before channels were). */
  byChannel?: Partial<Record<'cli' | 'web' | 'xlsx', number>>;
  /** Items handed to another reviewer at least once. */
  delegated?: number;
  /** Open and past its due date at `asOf` (only when `asOf` is given). */
  overdue?: boolean;
  /** Revocation proof, when an inventory was checked. */
  revocations?: {
    runId?: string;
    revoked: number;
    stillPresent: number;
    unverified: number;
    /** Not proven done and not yet due (decision + slaDays), when the run's SLA was known. */
    pending?: number;
    /** Not proven done and past due, when the run's SLA was known. */
    overdue?: number;
  };
}

export interface CampaignRecord {
  record: 'campaign';
  campaignId: string;
  name: string;
  status: Campaign['status'];
  scope: CampaignScope;
  reviewers: ReviewerAssignment;
  createdAt: string;
  createdBy: string;
  dueAt: string;
  baseRunId: string;
  baseManifestSha256?: string;
  /** `populationSha256` of the items when the campaign started (absent on older campaigns). */
  populationSha256?: string;
  sources: CampaignSource[];
  closed?: CampaignClosure;
  history: CampaignEvent[];
  /** Each reviewer's HR manager when the campaign started (where escalations go). */
  reviewerManagers?: Record<string, string>;
  /** Reminders and escalations sent, oldest first. */
  notices?: CampaignNotice[];
  /** The time the summary's `overdue` was judged at. */
  asOf?: string;
  summary: CampaignSummary;
}

export interface ReviewItemRecord {
  record: 'item';
  campaignId: string;
  itemId: string;
  sourceId: string;
  system: ReviewItem['system'];
  identity: string;
  identityName: string;
  /** The emails that name the holder: none of them may be the reviewer's (or the decider's). */
  holderEmails: string[];
  principal: string;
  principalName: string;
  principalKind: ReviewItem['principalKind'];
  principalType: string;
  principalStatus: ReviewItem['principalStatus'];
  entitlement: string;
  entitlementName: string;
  entitlementType: string;
  privileged: boolean;
  path: string[];
  pathNames: string[];
  grantedAt?: string;
  reviewer: string;
  reviewerRule: string;
  decision?: ReviewDecision;
  /** The decision came after the campaign's due date. */
  late?: boolean;
  superseded?: SupersededDecision[];
  /** The hand-overs of the item, oldest first. */
  delegations?: Delegation[];
  /** What the reviewer was shown: HR status, last use, open findings, previous answer. */
  context?: ItemContext;
  revocation?: Pick<
    RevocationCheck,
    'status' | 'detail' | 'collectedAt' | 'remainingPaths' | 'severity' | 'dueAt' | 'overdue'
  > & { runId?: string };
}

export type ReviewRecord = CampaignRecord | ReviewItemRecord;

/**
 * Counts for a person or a dashboard.
 *
 * @example
 * const { decided, undecided, revoked } = summarizeCampaign(campaign, asOf);
 */
export function summarizeCampaign(
  campaign: Campaign,
  asOf?: Date,
  revocations?: RevocationReport,
): CampaignSummary {
  const due = Date.parse(campaign.dueAt);
  let decided = 0;
  let kept = 0;
  let revoked = 0;
  let late = 0;
  const byChannel: NonNullable<CampaignSummary['byChannel']> = {};
  for (const item of campaign.items) {
    if (!item.decision) continue;
    decided++;
    if (item.decision.outcome === 'keep') kept++;
    else revoked++;
    if (Date.parse(item.decision.at) > due) late++;
    const ch = item.decision.channel ?? 'cli';
    byChannel[ch] = (byChannel[ch] ?? 0) + 1;
  }
  const delegated = campaign.items.filter((i) => i.delegations?.length).length;
  const summary: CampaignSummary = {
    items: campaign.items.length,
    decided,
    undecided: campaign.items.length - decided,
    kept,
    revoked,
    reviewers: new Set(campaign.items.map((i) => i.reviewer)).size,
    late,
  };
  if (decided > 0) summary.byChannel = byChannel;
  if (delegated > 0) summary.delegated = delegated;
  if (asOf !== undefined) summary.overdue = campaign.status === 'open' && asOf.getTime() > due;
  if (revocations) {
    summary.revocations = {
      revoked: revocations.revoked,
      stillPresent: revocations.stillPresent,
      unverified: revocations.unverified,
    };
    if (revocations.runId !== undefined) summary.revocations.runId = revocations.runId;
    if (revocations.pending !== undefined) summary.revocations.pending = revocations.pending;
    if (revocations.overdue !== undefined) summary.revocations.overdue = revocations.overdue;
  }
  return summary;
}

/**
 * The rows of `reviews/<campaignId>.jsonl`: the campaign, then its items in order.
 *
 * @example
 * const rows = campaignRecords(campaign, { asOf, revocations: verifyRevocations(campaign, inventory, runId) });
 * const lines = rows.map((r) => JSON.stringify(r));
 */
export function campaignRecords(
  campaign: Campaign,
  options: { asOf?: Date; revocations?: RevocationReport } = {},
): ReviewRecord[] {
  const { asOf, revocations } = options;
  const head: CampaignRecord = {
    record: 'campaign',
    campaignId: campaign.id,
    name: campaign.name,
    status: campaign.status,
    scope: campaign.scope,
    reviewers: campaign.reviewers,
    createdAt: campaign.createdAt,
    createdBy: campaign.createdBy,
    dueAt: campaign.dueAt,
    baseRunId: campaign.baseRunId,
    ...(campaign.baseManifestSha256 !== undefined ? { baseManifestSha256: campaign.baseManifestSha256 } : {}),
    ...(campaign.populationSha256 !== undefined ? { populationSha256: campaign.populationSha256 } : {}),
    sources: campaign.sources,
    ...(campaign.closed ? { closed: campaign.closed } : {}),
    history: campaign.history,
    ...(campaign.reviewerManagers ? { reviewerManagers: campaign.reviewerManagers } : {}),
    ...(campaign.notices?.length ? { notices: campaign.notices } : {}),
    ...(asOf !== undefined ? { asOf: asOf.toISOString() } : {}),
    summary: summarizeCampaign(campaign, asOf, revocations),
  };

  const checks = new Map((revocations?.checks ?? []).map((c) => [c.itemId, c]));
  const due = Date.parse(campaign.dueAt);
  const rows: ReviewRecord[] = [head];
  for (const item of campaign.items) {
    const row: ReviewItemRecord = {
      record: 'item',
      campaignId: campaign.id,
      itemId: item.id,
      sourceId: item.sourceId,
      system: item.system,
      identity: item.identity,
      identityName: item.identityName,
      holderEmails: item.holderEmails,
      principal: item.principal,
      principalName: item.principalName,
      principalKind: item.principalKind,
      principalType: item.principalType,
      principalStatus: item.principalStatus,
      entitlement: item.entitlement,
      entitlementName: item.entitlementName,
      entitlementType: item.entitlementType,
      privileged: item.privileged,
      path: item.path,
      pathNames: item.pathNames,
      reviewer: item.reviewer,
      reviewerRule: item.reviewerRule,
    };
    if (item.grantedAt !== undefined) row.grantedAt = item.grantedAt;
    if (item.decision) {
      row.decision = item.decision;
      if (Date.parse(item.decision.at) > due) row.late = true;
    }
    if (item.superseded?.length) row.superseded = item.superseded;
    if (item.delegations?.length) row.delegations = item.delegations;
    if (item.context) row.context = item.context;
    const check = checks.get(item.id);
    if (check) {
      row.revocation = { status: check.status, detail: check.detail, severity: check.severity };
      if (check.collectedAt !== undefined) row.revocation.collectedAt = check.collectedAt;
      if (check.remainingPaths !== undefined) row.revocation.remainingPaths = check.remainingPaths;
      if (check.dueAt !== undefined) row.revocation.dueAt = check.dueAt;
      if (check.overdue !== undefined) row.revocation.overdue = check.overdue;
      if (revocations?.runId !== undefined) row.revocation.runId = revocations.runId;
    }
    rows.push(row);
  }
  return rows;
}
