/** Control: privileged access of non-human identities to financially significant systems is known and justified. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import { grantEvidence, label, principalDraft, type RuleContext } from './context';

/**
 * NHI-PRIVILEGED: an active non-human principal holding a privileged entitlement whose source is
 * financially significant. Severity `medium`: such access is not a defect by itself but must be
 * justified by its owner; dormancy, missing owners and stale credentials on the same identity are
 * raised by their own rules. Service-linked roles (their policies belong to AWS) are skipped.
 *
 * @example
 * nhiPrivileged(principal, ctx); // [] or [draft]
 */
export function nhiPrivileged(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman' || p.type === 'service-linked-role') return [];
  const grants = ctx
    .privilegedGrants(p)
    .filter(({ entitlement }) => ctx.options.financiallySignificant(entitlement.sourceId));
  if (grants.length === 0) return [];
  const entitlements = [...new Set(grants.map((g) => g.entitlement.uid))].sort();
  return [
    principalDraft('NHI-PRIVILEGED', p, ctx, {
      severity: 'medium',
      title: `Privileged non-human identity ${label(p)}`,
      detail: { entitlements },
      evidence: grants.map(({ grant, entitlement }) => grantEvidence(p, grant, entitlement)),
    }),
  ];
}
