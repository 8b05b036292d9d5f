/** Control: a person's account never used within `neverUsedGraceDays` days of its creation is removed. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  ACTIVITY_TAG,
  activityUnknown,
  day,
  daysBetween,
  exposureEvidence,
  exposureOf,
  isAccountRoot,
  label,
  olderThanDays,
  principalDraft,
  type RuleContext,
  severityFor,
  timeOf,
} from './context';

/**
 * USER-NEVER-USED: an active human account (a console user who never logged in, an ERP user with
 * no login) with no activity and no credential use, created more than `neverUsedGraceDays` days
 * before `asOf`. Not judged when the creation date is unknown or the source could not read
 * activity. `high` if exposed, else `medium`.
 *
 * @example
 * userNeverUsed(principal, ctx); // [] or [draft]
 */
export function userNeverUsed(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p)) return [];
  if (p.lastActivity || activityUnknown(p)) return [];
  if (p.credentials.some((c) => timeOf(c.lastUsedAt) !== undefined)) return [];
  const created = timeOf(p.createdAt);
  if (created === undefined || p.createdAt === undefined) return [];
  const grace = ctx.threshold(p, 'neverUsedGraceDays');
  if (!olderThanDays(created, ctx.asOfMs, grace.value)) return [];
  const exposure = exposureOf(p, ctx);
  return [
    principalDraft('USER-NEVER-USED', p, ctx, {
      severity: severityFor(exposure, 'high', 'medium'),
      title: `User ${label(p)} never used`,
      detail: {
        createdAt: p.createdAt,
        graceDays: grace.value,
        thresholdFrom: grace.from,
        privileged: exposure.privileged.length > 0,
        financiallySignificant: exposure.financiallySignificant,
      },
      evidence: [
        {
          kind: 'attribute',
          principal: p.uid,
          signal: 'createdAt',
          at: p.createdAt,
          text: `created ${day(p.createdAt)}: ${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than the ${grace.value}-day grace period`,
        },
        {
          kind: 'activity',
          principal: p.uid,
          text: `source ${p.sourceId} recorded no sign-in and no credential use; activity was not flagged unknown (${ACTIVITY_TAG})`,
        },
        ...exposureEvidence(p, exposure),
      ],
    }),
  ];
}
