/** Control: privileged people sign in with multi-factor authentication. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  grantEvidence,
  isAccountRoot,
  label,
  MFA_SOURCE_TAG,
  mfaOff,
  principalDraft,
  type RuleContext,
} from './context';

/**
 * USER-PRIVILEGED-NO-MFA: an active human account holding a privileged entitlement whose source
 * says MFA is off (`accessproof:mfa: false`: the credential report's `mfa_active`, Entra
 * registration details where collected). Unknown MFA raises nothing. `high`.
 *
 * @example
 * userPrivilegedNoMfa(principal, ctx); // [] or [draft]
 */
export function userPrivilegedNoMfa(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p) || !mfaOff(p)) return [];
  const grants = ctx.privilegedGrants(p);
  if (grants.length === 0) return [];
  const source = p.tags[MFA_SOURCE_TAG] ?? 'the source';
  return [
    principalDraft('USER-PRIVILEGED-NO-MFA', p, ctx, {
      severity: 'high',
      title: `Privileged user ${label(p)} without MFA`,
      detail: { mfaSource: source, entitlements: [...new Set(grants.map((g) => g.entitlement.uid))].sort() },
      evidence: [
        {
          kind: 'attribute',
          principal: p.uid,
          signal: source,
          text: `${source}: MFA is not active for ${label(p)}`,
        },
        ...grants.map(({ grant, entitlement }) => grantEvidence(p, grant, entitlement)),
      ],
    }),
  ];
}
