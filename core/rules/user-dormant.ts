/** Control: a person's account unused for more than `dormantDays` days is disabled or removed. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  day,
  daysBetween,
  exposureEvidence,
  exposureOf,
  label,
  olderThanDays,
  principalDraft,
  type RuleContext,
  severityFor,
  timeOf,
} from './context';

/**
 * USER-DORMANT: an active human principal whose last activity is more than `dormantDays` days
 * before `asOf`. A user with no activity signal is not judged (unknown is never dormant).
 *
 * @example
 * userDormant(principal, ctx); // [] or [draft]
 */
export function userDormant(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human') return [];
  const activity = p.lastActivity;
  const at = timeOf(activity?.at);
  if (!activity || at === undefined) return [];
  const used = ctx.threshold(p, 'dormantDays');
  const threshold = used.value;
  if (!olderThanDays(at, ctx.asOfMs, threshold)) return [];
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('USER-DORMANT', p, ctx, {
      severity: severityFor(exposure, 'high', 'medium'),
      title: `Dormant user ${label(p)}`,
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
