/** Control: a non-human identity's credentials are rotated at least every `credentialMaxAgeDays` days. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
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
 * NHI-CRED-STALE: per active, unexpired credential of an active non-human principal created (or
 * last rotated) more than `credentialMaxAgeDays` days before `asOf`. Expired credentials are
 * NHI-CRED-EXPIRED's; an unknown creation date is not judged. Key: `<uid>|<credential id>`.
 *
 * @example
 * nhiCredStale(principal, ctx); // one draft per stale credential
 */
export function nhiCredStale(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman') return [];
  const used = ctx.threshold(p, 'credentialMaxAgeDays');
  const maxAge = used.value;
  const drafts: FindingDraft[] = [];
  for (const c of p.credentials) {
    if (!c.active) continue;
    const expires = timeOf(c.expiresAt);
    if (expires !== undefined && expires < ctx.asOfMs) continue;
    const created = timeOf(c.createdAt);
    if (created === undefined || c.createdAt === undefined || !olderThanDays(created, ctx.asOfMs, maxAge))
      continue;
    const exposure = exposureOf(p, ctx);
    drafts.push(
      principalDraft('NHI-CRED-STALE', p, ctx, {
        severity: severityFor(exposure, 'high', 'medium'),
        title: `${credentialLabel(c)} on ${label(p)} older than ${maxAge} days`,
        key: `${p.uid}|${c.id}`,
        detail: {
          credentialId: c.id,
          credentialType: c.type,
          createdAt: c.createdAt,
          maxAgeDays: maxAge,
          thresholdFrom: used.from,
        },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: 'createdAt',
            at: c.createdAt,
            text: `${credentialLabel(c)} created or rotated ${day(c.createdAt)}: ${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than ${maxAge}`,
          },
          ...exposureEvidence(p, exposure),
        ],
      }),
    );
  }
  return drafts;
}
