/** Control: the AWS root user is protected by MFA. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import { isAccountRoot, label, MFA_SOURCE_TAG, mfaOff, principalDraft, type RuleContext } from './context';

/**
 * AWS-ROOT-NO-MFA: the credential report's `<root_account>` row says `mfa_active` is false.
 * `critical`. Unknown (no such column) raises nothing.
 *
 * @example
 * awsRootNoMfa(rootPrincipal, ctx); // [] or [draft]
 */
export function awsRootNoMfa(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || !isAccountRoot(p) || !mfaOff(p)) return [];
  const source = p.tags[MFA_SOURCE_TAG] ?? 'credential-report:mfa_active';
  return [
    principalDraft('AWS-ROOT-NO-MFA', p, ctx, {
      severity: 'critical',
      title: `Root user of AWS account ${p.tenant} has no MFA (${label(p)})`,
      detail: { account: p.tenant, mfaSource: source },
      evidence: [
        {
          kind: 'attribute',
          principal: p.uid,
          signal: source,
          text: `${source} is false for the <root_account> row`,
        },
      ],
    }),
  ];
}
