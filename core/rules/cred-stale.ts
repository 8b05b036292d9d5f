/** Control: a person's passwords and access keys are rotated at least every `credentialMaxAgeDays` days. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  credentialLabel,
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
import { PERSON_CREDENTIAL_TYPES } from './cred-unused';

/**
 * CRED-STALE: per active password or access key of an active human account created or last
 * rotated more than `credentialMaxAgeDays` days before `asOf` (NHI credentials are
 * NHI-CRED-STALE's). An unknown date is not judged. `high` if exposed, else `medium`.
 * Key: `<uid>|<credential id>`.
 *
 * @example
 * credStale(principal, ctx); // one draft per stale credential
 */
export function credStale(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p)) return [];
  const used = ctx.threshold(p, 'credentialMaxAgeDays');
  const drafts: FindingDraft[] = [];
  for (const c of p.credentials) {
    if (!c.active || !PERSON_CREDENTIAL_TYPES.has(c.type)) continue;
    const created = timeOf(c.createdAt);
    if (created === undefined || c.createdAt === undefined || !olderThanDays(created, ctx.asOfMs, used.value))
      continue;
    const exposure = exposureOf(p, ctx);
    drafts.push(
      principalDraft('CRED-STALE', p, ctx, {
        severity: severityFor(exposure, 'high', 'medium'),
        title: `${credentialLabel(c)} on ${label(p)} older than ${used.value} days`,
        key: `${p.uid}|${c.id}`,
        detail: {
          credentialId: c.id,
          credentialType: c.type,
          createdAt: c.createdAt,
          maxAgeDays: used.value,
          thresholdFrom: used.from,
        },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: 'createdAt',
            at: c.createdAt,
            text: `${credentialLabel(c)} created or rotated ${day(c.createdAt)}: ${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than ${used.value}`,
          },
          ...exposureEvidence(p, exposure),
        ],
      }),
    );
  }
  return drafts;
}
