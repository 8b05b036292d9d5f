/** Control: a non-human identity never used within `neverUsedGraceDays` days of its creation is removed. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  ACTIVITY_TAG,
  activityUnknown,
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
 * NHI-NEVER-USED: an active non-human principal with no last activity and no credential ever used,
 * created more than `neverUsedGraceDays` days before `asOf`. Not judged when the creation date is
 * unknown, or when the connector tagged the activity unknown (`accessproof:activity: unknown`):
 * missing data never counts as "never used".
 *
 * @example
 * nhiNeverUsed(principal, ctx); // [] or [draft]
 */
export function nhiNeverUsed(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman' || PLATFORM_OWNED_TYPES.has(p.type)) return [];
  if (p.lastActivity || activityUnknown(p)) return [];
  if (p.credentials.some((c) => timeOf(c.lastUsedAt) !== undefined)) return [];
  const created = timeOf(p.createdAt);
  if (created === undefined || p.createdAt === undefined) return [];
  const used = ctx.threshold(p, 'neverUsedGraceDays');
  const grace = used.value;
  if (!olderThanDays(created, ctx.asOfMs, grace)) return [];
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('NHI-NEVER-USED', p, ctx, {
      severity: severityFor(exposure, 'high', 'medium'),
      title: `Non-human identity ${label(p)} never used`,
      detail: {
        createdAt: p.createdAt,
        graceDays: grace,
        thresholdFrom: used.from,
        privileged: exposure.privileged.length > 0,
        financiallySignificant: exposure.financiallySignificant,
      },
      evidence: [
        {
          kind: 'attribute',
          principal: p.uid,
          signal: 'createdAt',
          at: p.createdAt,
          text: `created ${day(p.createdAt)}: ${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than the ${grace}-day grace period`,
        },
        {
          kind: 'activity',
          principal: p.uid,
          text: `source ${p.sourceId} recorded no activity for it and no use of any of its ${p.credentials.length} credential(s); activity was not flagged unknown (${ACTIVITY_TAG})`,
        },
        ...exposureEvidence(p, exposure),
      ],
    }),
  ];
}
