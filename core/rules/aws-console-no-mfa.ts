/** Control: every IAM user who can sign in to the AWS console uses MFA. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  exposureEvidence,
  exposureOf,
  isAccountRoot,
  label,
  MFA_SOURCE_TAG,
  mfaOff,
  principalDraft,
  type RuleContext,
} from './context';

/**
 * AWS-CONSOLE-NO-MFA: an active IAM user (any kind) with an active console password whose
 * credential report row says `mfa_active` false. `high`. The root user is AWS-ROOT-NO-MFA's.
 *
 * @example
 * awsConsoleNoMfa(principal, ctx); // [] or [draft]
 */
export function awsConsoleNoMfa(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.system !== 'aws' || isAccountRoot(p) || !mfaOff(p)) return [];
  const password = p.credentials.find((c) => c.type === 'password' && c.active);
  if (!password) return [];
  const source = p.tags[MFA_SOURCE_TAG] ?? 'credential-report:mfa_active';
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('AWS-CONSOLE-NO-MFA', p, ctx, {
      severity: 'high',
      title: `Console user ${label(p)} without MFA`,
      detail: {
        passwordLastUsed: password.lastUsedAt ?? null,
        mfaSource: source,
        privileged: exposure.privileged.length > 0,
      },
      evidence: [
        {
          kind: 'credential',
          principal: p.uid,
          signal: 'credential-report:password_enabled',
          text: `${label(p)} has a console password${password.lastUsedAt ? ` (last used ${password.lastUsedAt})` : ''}`,
        },
        { kind: 'attribute', principal: p.uid, signal: source, text: `${source} is false` },
        ...exposureEvidence(p, exposure),
      ],
    }),
  ];
}
