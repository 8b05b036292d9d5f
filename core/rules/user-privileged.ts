/** Control: people with privileged access are known, in review scope and justified. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  grantEvidence,
  isAccountRoot,
  label,
  type PrivilegedGrant,
  principalDraft,
  type RuleContext,
} from './context';

/**
 * USER-PRIVILEGED: an active human account holding a privileged entitlement (IAM permissions
 * management or `*`, privileged Entra directory roles, Salesforce Modify/View All Data or Customize
 * Application, ERP roles marked privileged or holding `*`). `medium`: not a defect by itself; it
 * puts the account in review scope and in the report.
 *
 * @example
 * userPrivileged(principal, ctx); // [] or [draft]
 */
export function userPrivileged(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p)) return [];
  const grants = ctx.privilegedGrants(p);
  if (grants.length === 0) return [];
  const entitlements = sortedUids(grants);
  return [
    principalDraft('USER-PRIVILEGED', p, ctx, {
      severity: 'medium',
      title: `Privileged user ${label(p)}`,
      detail: { entitlements },
      evidence: grants.map(({ grant, entitlement }) => grantEvidence(p, grant, entitlement)),
    }),
  ];
}

/** `[...new Set(grants.map((g) => g.entitlement.uid))].sort()`, without the Set, map and spread (a few grants each). */
function sortedUids(grants: readonly PrivilegedGrant[]): string[] {
  const out: string[] = [];
  for (const g of grants) {
    const uid = g.entitlement.uid;
    let i = out.length;
    while (i > 0 && out[i - 1]! > uid) i--;
    if (i > 0 && out[i - 1] === uid) continue;
    out.splice(i, 0, uid);
  }
  return out;
}
