/** Control: a non-human identity's credential never used within `neverUsedGraceDays` days of its creation is revoked. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  credentialActivityUnknown,
  credentialLabel,
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
 * NHI-CRED-UNUSED: per active credential of an active non-human principal, with no last use and
 * created more than `neverUsedGraceDays` days before `asOf`. Not judged when the creation date is
 * unknown or the principal's (or its credentials') activity is tagged unknown. Key: `<uid>|<credential id>`.
 *
 * @example
 * nhiCredUnused(principal, ctx); // one draft per unused credential
 */
export function nhiCredUnused(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman' || credentialActivityUnknown(p)) return [];
  const used = ctx.threshold(p, 'neverUsedGraceDays');
  const grace = used.value;
  const drafts: FindingDraft[] = [];
  for (const c of p.credentials) {
    if (!c.active || timeOf(c.lastUsedAt) !== undefined) continue;
    const created = timeOf(c.createdAt);
    if (created === undefined || c.createdAt === undefined || !olderThanDays(created, ctx.asOfMs, grace))
      continue;
    const exposure = exposureOf(p, ctx);
    drafts.push(
      principalDraft('NHI-CRED-UNUSED', p, ctx, {
        severity: severityFor(exposure, 'high', 'medium'),
        title: `Unused ${credentialLabel(c)} on ${label(p)}`,
        key: `${p.uid}|${c.id}`,
        detail: {
          credentialId: c.id,
          credentialType: c.type,
          createdAt: c.createdAt,
          graceDays: grace,
          thresholdFrom: used.from,
        },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: 'createdAt',
            at: c.createdAt,
            text: `${credentialLabel(c)} is active, was created ${day(c.createdAt)} (${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, grace ${grace}) and has no recorded use`,
          },
          ...exposureEvidence(p, exposure),
        ],
      }),
    );
  }
  return drafts;
}
