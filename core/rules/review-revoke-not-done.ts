/**
 * REVIEW-REVOKE-NOT-DONE: a reviewer decided `revoke`, the decision plus `slaDays` for the
 * revocation's severity has passed, and the principal still holds the entitlement by some path.
 * The finding belongs to the campaign's owner and is due when the revocation was; its evidence is
 * the decision and every path left.
 */
import type { EvidenceItem, FindingDraft } from '../findings/model';
import type { Inventory } from '../inventory';
import type { Campaign } from '../reviews/model';
import type { RevocationReport } from '../reviews/revocation';

/** What the rule reads of the inventory: who the principal is and how things are named. */
export type RevokeRuleInventory = Pick<Inventory, 'identityOf'>;

/**
 * One draft per still-present, overdue revocation of `campaign` in `report`.
 *
 * @example
 * const drafts = reviewRevokeNotDone(campaign, verifyRevocations(campaign, inv, runId, { asOf, slaDays }), inv);
 */
export function reviewRevokeNotDone(
  campaign: Campaign,
  report: RevocationReport,
  inv: RevokeRuleInventory,
): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  const items = new Map(campaign.items.map((i) => [i.id, i]));
  for (const check of report.checks) {
    if (check.status !== 'still-present' || !check.overdue || check.dueAt === undefined) continue;
    const item = items.get(check.itemId);
    if (!item) continue;
    const paths = check.remainingPaths ?? [];
    const identity = inv.identityOf(check.principal);
    const decision: EvidenceItem = {
      kind: 'attribute',
      principal: check.principal,
      entitlement: check.entitlement,
      signal: 'review-decision',
      at: check.decidedAt,
      text: `${check.decidedBy} decided to revoke ${item.entitlementName} from ${item.principalName} in campaign ${campaign.id} (item ${item.id}) at ${check.decidedAt}${item.decision?.note ? ` ("${item.decision.note}")` : ''}; due by ${check.dueAt} (slaDays.${check.severity})`,
    };
    const remaining: EvidenceItem[] = paths.map((p) => ({
      kind: 'grant',
      principal: check.principal,
      entitlement: check.entitlement,
      path: [...p.path],
      text: `${item.principalName} still holds ${item.entitlementName} ${p.path.length === 0 ? '(direct)' : `via ${p.text}`}${check.collectedAt ? ` in the collection of ${check.sourceId} at ${check.collectedAt}` : ''}`,
    }));
    drafts.push({
      rule: 'REVIEW-REVOKE-NOT-DONE',
      severity: check.severity,
      title: `Revocation not done: ${item.principalName} still holds ${item.entitlementName} (${campaign.name})`,
      subject: {
        identity: identity?.id ?? `principal:${check.principal}`,
        principals: [check.principal],
        anchors: identity?.anchors ?? [`principal:${check.principal}`],
      },
      detail: {
        campaignId: campaign.id,
        itemId: item.id,
        entitlement: check.entitlement,
        entitlementName: item.entitlementName,
        reviewedPath: [...item.path],
        decidedAt: check.decidedAt,
        decidedBy: check.decidedBy,
        revocationDueAt: check.dueAt,
        remainingPaths: paths.map((p) => p.text),
      },
      evidence: [decision, ...remaining],
      sources: [check.sourceId],
      key: `${check.principal}|${campaign.id}|${item.id}`,
      owner: campaign.createdBy,
      dueAt: check.dueAt,
    });
  }
  return drafts;
}
