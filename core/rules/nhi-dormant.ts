/** Control: a non-human identity unused for more than `dormantDays` days is disabled or removed. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  day,
  daysBetween,
  exposureEvidence,
  exposureOf,
  label,
  olderThanDays,
  PLATFORM_OWNED_TYPES,
  principalDraft,
  type RuleContext,
  severityFor,
  timeOf,
} from './context';

/**
 * NHI-DORMANT: an active non-human principal whose last activity is more than `dormantDays` days
 * before `asOf`. No activity signal means unknown, never dormant (NHI-NEVER-USED covers "never").
 * Service-linked roles and managed identities are the platform's and never dormant findings.
 *
 * @example
 * nhiDormant(principal, ctx); // [] or [draft]
 */
export function nhiDormant(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman' || PLATFORM_OWNED_TYPES.has(p.type)) return [];
  const activity = p.lastActivity;
  const at = timeOf(activity?.at);
  if (!activity || at === undefined) return [];
  const used = ctx.threshold(p, 'dormantDays');
  const threshold = used.value;
  if (!olderThanDays(at, ctx.asOfMs, threshold)) return [];
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('NHI-DORMANT', p, ctx, {
      severity: severityFor(exposure, 'high', 'medium'),
      title: `Dormant non-human identity ${label(p)}`,
      detail: {
        lastActivityAt: activity.at,
        lastActivitySource: activity.source,
        thresholdDays: threshold,
        thresholdFrom: used.from,
        privileged: exposure.privileged.length > 0,
        financiallySignificant: exposure.financiallySignificant,
      },
      evidence: [
        {
          kind: 'activity',
          principal: p.uid,
          signal: activity.source,
          at: activity.at,
          text: `last activity ${day(activity.at)} (${activity.source}): ${daysBetween(at, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than ${threshold}`,
        },
        ...exposureEvidence(p, exposure),
      ],
    }),
  ];
}
