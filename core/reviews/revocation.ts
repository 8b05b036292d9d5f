/**
 * A `revoke` decision is a remediation expectation: the grant must go. A complete collection of
 * the grant's source, made after the decision, that no longer sees the grant proves it went — the
 * same proof that resolves a finding (DESIGN.md §4).
 */
import type { Inventory } from '../inventory';
import type { Campaign } from './model';

/**
 * - `revoked`: not seen in a complete collection made after the decision.
 * - `still-present`: seen in a collection made after the decision.
 * - `unverified`: the source was not collected (completely) after the decision: nothing is proven.
 */
export type RevocationStatus = 'revoked' | 'still-present' | 'unverified';

export interface RevocationCheck {
  itemId: string;
  sourceId: string;
  principal: string;
  entitlement: string;
  path: string[];
  decidedAt: string;
  decidedBy: string;
  status: RevocationStatus;
  /** The proof (or why there is none), for a person. */
  detail: string;
  /** When the checked collection of the source was made. */
  collectedAt?: string;
  /**
   * Revoked through this path, but the principal still holds the entitlement through these other
   * paths (each a list of uids; `[]` is a direct grant). Each is a grant of its own to review.
   */
  otherPaths?: string[][];
}

export interface RevocationReport {
  campaignId: string;
  /** The run whose inventory was checked, when the caller names it. */
  runId?: string;
  /** One per revoked item, in the campaign's item order. */
  checks: RevocationCheck[];
  revoked: number;
  stillPresent: number;
  unverified: number;
}

/** What the check needs of an inventory: its sources and grants. */
export type RevocationInventory = Pick<Inventory, 'sources' | 'grantsOf'>;

/**
 * Check every `revoke` decision of `campaign` against `inventory` (a later run's).
 *
 * @example
 * const report = verifyRevocations(campaign, latestInventory, '20261101T000000Z-9f8e7d');
 * report.checks.filter((c) => c.status === 'still-present'); // revocations nobody carried out
 */
export function verifyRevocations(
  campaign: Campaign,
  inventory: RevocationInventory,
  runId?: string,
): RevocationReport {
  const report: RevocationReport = {
    campaignId: campaign.id,
    checks: [],
    revoked: 0,
    stillPresent: 0,
    unverified: 0,
  };
  if (runId !== undefined) report.runId = runId;
  const inRun = runId ? ` in run ${runId}` : '';
  for (const item of campaign.items) {
    const d = item.decision;
    if (d?.outcome !== 'revoke') continue;
    const check: RevocationCheck = {
      itemId: item.id,
      sourceId: item.sourceId,
      principal: item.principal,
      entitlement: item.entitlement,
      path: item.path,
      decidedAt: d.at,
      decidedBy: d.by,
      status: 'unverified',
      detail: '',
    };
    const source = inventory.sources.get(item.sourceId);
    const decided = Date.parse(d.at);
    const collected = source?.collectedAt === undefined ? Number.NaN : Date.parse(source.collectedAt);
    if (source?.collectedAt !== undefined) check.collectedAt = source.collectedAt;
    const held = inventory.grantsOf(item.principal).filter((g) => g.entitlement === item.entitlement);
    const samePath = (p: readonly string[]) =>
      p.length === item.path.length && p.every((uid, i) => uid === item.path[i]);

    if (!source || source.status === 'failed') {
      check.detail = `source ${item.sourceId} was not collected${inRun}${source?.error ? ` (${source.error})` : ''}`;
    } else if (!(collected >= decided)) {
      check.detail = `source ${item.sourceId} was collected at ${source.collectedAt ?? 'an unknown time'}, before the revocation was decided at ${d.at}`;
    } else if (held.some((g) => samePath(g.path))) {
      check.status = 'still-present';
      check.detail = `still granted in the collection of ${item.sourceId} at ${source.collectedAt}${inRun}`;
    } else if (!source.complete) {
      check.detail = `not seen, but the collection of ${item.sourceId}${inRun} was incomplete: absence proves nothing`;
    } else {
      check.status = 'revoked';
      check.detail = `not seen in complete collection of ${item.sourceId} at ${source.collectedAt}${inRun}`;
      if (held.length > 0) check.otherPaths = held.map((g) => [...g.path]);
    }
    if (check.status === 'revoked') report.revoked++;
    else if (check.status === 'still-present') report.stillPresent++;
    else report.unverified++;
    report.checks.push(check);
  }
  return report;
}
