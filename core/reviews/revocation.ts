/**
 * A `revoke` decision is a remediation expectation: the principal must no longer hold the
 * entitlement. The revoked grant going is not enough: the principal may still reach the same
 * entitlement directly, through another group, a permission set group or a role. So every later
 * scan checks every path by which the principal holds the entitlement; only a complete collection
 * of the source, made after the decision, that shows none proves the revocation done.
 */
import type { Severity } from '../findings/model';
import type { Inventory } from '../inventory';
import type { Campaign, ReviewItem } from './model';

/**
 * - `revoked`: no path left in a complete collection made after the decision.
 * - `still-present`: a collection made after the decision still shows a path (any path: the one
 *   reviewed or another), named in `remainingPaths`.
 * - `unverified`: the source was not collected (completely) after the decision: nothing is proven.
 */
export type RevocationStatus = 'revoked' | 'still-present' | 'unverified';

/** A path by which the principal still holds the entitlement. */
export interface RemainingPath {
  /** The uids the grant comes through, outermost first; `[]` is a direct grant. */
  path: string[];
  /** `direct`, or the path as names (`group payments-ops`). */
  text: string;
  /** A grant recorded but not in force at the run's as-of (a future start date): it will give access. */
  notYetInForce?: string;
}

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
  /** still-present: every path by which the principal still holds the entitlement. */
  remainingPaths?: RemainingPath[];
  /** `high` for a privileged entitlement, else `medium`: the SLA the revocation is held to. */
  severity: Severity;
  /** The decision plus `slaDays` for the severity (when the SLA was given). */
  dueAt?: string;
  /** Not proven done and past `dueAt` at the run's as-of (when the SLA was given). */
  overdue?: boolean;
}

export interface RevocationReport {
  campaignId: string;
  /** The run whose inventory was checked, when the caller names it. */
  runId?: string;
  /** One per revoked item, in the campaign's item order. */
  checks: RevocationCheck[];
  /** Proven done. */
  revoked: number;
  stillPresent: number;
  unverified: number;
  /** Not proven done, not yet due (when the SLA was given). */
  pending?: number;
  /** Not proven done and past due (when the SLA was given). */
  overdue?: number;
}

/** What the check needs of an inventory: its sources, grants and entitlement names. */
export type RevocationInventory = Pick<Inventory, 'sources' | 'grantsOf'> &
  Partial<Pick<Inventory, 'entitlements' | 'grantsNotInForce'>>;

/** The run's clock and SLA: with them each check gets a due date and `overdue`. */
export interface RevocationClock {
  asOf: Date;
  slaDays: Record<Severity, number>;
}

const DAY_MS = 86_400_000;

/** The SLA severity of a revocation: privileged access is `high`, the rest `medium`. */
export function revocationSeverity(item: Pick<ReviewItem, 'privileged'>): Severity {
  return item.privileged ? 'high' : 'medium';
}

/**
 * Check every `revoke` decision of `campaign` against `inventory` (a later run's).
 *
 * @example
 * const report = verifyRevocations(campaign, latestInventory, '20261101T000000Z-9f8e7d', { asOf, slaDays });
 * report.checks.filter((c) => c.status === 'still-present'); // revocations nobody carried out
 */
export function verifyRevocations(
  campaign: Campaign,
  inventory: RevocationInventory,
  runId?: string,
  clock?: RevocationClock,
): RevocationReport {
  const report: RevocationReport = {
    campaignId: campaign.id,
    checks: [],
    revoked: 0,
    stillPresent: 0,
    unverified: 0,
  };
  if (runId !== undefined) report.runId = runId;
  if (clock) {
    report.pending = 0;
    report.overdue = 0;
  }
  const inRun = runId ? ` in run ${runId}` : '';
  const nameOf = (uid: string) => inventory.entitlements?.get(uid)?.name ?? uid;
  const describe = (path: readonly string[]) =>
    path.length === 0
      ? 'direct'
      : path
          .map((uid) => {
            const e = inventory.entitlements?.get(uid);
            return e ? `${e.type} ${e.name}` : uid;
          })
          .join(' > ');
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
      severity: revocationSeverity(item),
    };
    const source = inventory.sources.get(item.sourceId);
    const decided = Date.parse(d.at);
    const collected = source?.collectedAt === undefined ? Number.NaN : Date.parse(source.collectedAt);
    if (source?.collectedAt !== undefined) check.collectedAt = source.collectedAt;
    // Every path, not only the reviewed one: a group left in place still gives the access.
    const remaining: RemainingPath[] = inventory
      .grantsOf(item.principal)
      .filter((g) => g.entitlement === item.entitlement)
      .map((g) => ({ path: [...g.path], text: describe(g.path) }));
    const asOfMs = clock?.asOf.getTime();
    for (const g of inventory.grantsNotInForce ?? []) {
      if (g.principal !== item.principal || g.entitlement !== item.entitlement) continue;
      // Ended before the as-of: it gives nothing any more. Starting later: it will.
      if (g.validFrom === undefined || (asOfMs !== undefined && Date.parse(g.validFrom) <= asOfMs)) continue;
      remaining.push({
        path: [...g.path],
        text: `${describe(g.path)} (in force from ${g.validFrom})`,
        notYetInForce: g.validFrom,
      });
    }

    if (!source || source.status === 'failed') {
      check.detail = `source ${item.sourceId} was not collected${inRun}${source?.error ? ` (${source.error})` : ''}`;
    } else if (!(collected >= decided)) {
      check.detail = `source ${item.sourceId} was collected at ${source.collectedAt ?? 'an unknown time'}, before the revocation was decided at ${d.at}`;
    } else if (remaining.length > 0) {
      check.status = 'still-present';
      check.remainingPaths = remaining;
      check.detail = `still granted in the collection of ${item.sourceId} at ${source.collectedAt}${inRun}: ${nameOf(item.entitlement)} through ${remaining.map((r) => r.text).join('; ')}`;
    } else if (!source.complete) {
      check.detail = `not seen, but the collection of ${item.sourceId}${inRun} was incomplete: absence proves nothing`;
    } else {
      check.status = 'revoked';
      check.detail = `no path left in complete collection of ${item.sourceId} at ${source.collectedAt}${inRun}`;
    }
    if (clock) {
      const due = decided + clock.slaDays[check.severity] * DAY_MS;
      if (!Number.isNaN(due)) {
        check.dueAt = new Date(due).toISOString();
        check.overdue = check.status !== 'revoked' && clock.asOf.getTime() > due;
      }
      if (check.status !== 'revoked') {
        if (check.overdue) report.overdue = (report.overdue ?? 0) + 1;
        else report.pending = (report.pending ?? 0) + 1;
      }
    }
    if (check.status === 'revoked') report.revoked++;
    else if (check.status === 'still-present') report.stillPresent++;
    else report.unverified++;
    report.checks.push(check);
  }
  return report;
}
