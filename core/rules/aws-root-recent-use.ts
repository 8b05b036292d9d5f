/** Control: the AWS root user is not used for daily work. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  credentialLabel,
  DAY_MS,
  isAccountRoot,
  label,
  principalDraft,
  type RuleContext,
  timeOf,
} from './context';

/**
 * AWS-ROOT-RECENT-USE: the root user's password or an access key was used within
 * `policy.rootUseDays` days before `asOf` (exactly that many days ago is recent). `high`: every use
 * must be an approved break-glass event. Key: the root principal's uid.
 *
 * @example
 * awsRootRecentUse(rootPrincipal, ctx); // [] or [draft]
 */
export function awsRootRecentUse(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || !isAccountRoot(p)) return [];
  const days = ctx.policy.rootUseDays;
  const uses = p.credentials
    .map((c) => ({ c, ms: timeOf(c.lastUsedAt) }))
    .filter(
      (u): u is { c: (typeof p.credentials)[number]; ms: number } =>
        u.ms !== undefined && ctx.asOfMs - u.ms <= days * DAY_MS,
    )
    .sort((a, b) => b.ms - a.ms);
  if (uses.length === 0) return [];
  return [
    principalDraft('AWS-ROOT-RECENT-USE', p, ctx, {
      severity: 'high',
      title: `Root user of AWS account ${p.tenant} used within ${days} days (${label(p)})`,
      detail: {
        account: p.tenant,
        rootUseDays: days,
        uses: uses.map(({ c }) => ({ credentialId: c.id, lastUsedAt: c.lastUsedAt })),
      },
      evidence: uses.map(({ c }) => ({
        kind: 'activity' as const,
        principal: p.uid,
        signal: `credential-report:${c.id}_last_used`,
        ...(c.lastUsedAt ? { at: c.lastUsedAt } : {}),
        text: `root ${credentialLabel(c)} last used ${c.lastUsedAt}, within ${days} days of ${ctx.asOfIso}`,
      })),
    }),
  ];
}
