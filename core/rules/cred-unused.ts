/** Control: a person's password or access key that is not used is removed, whatever their other credentials do. */
import type { FindingDraft } from '../findings/model';
import type { Credential, Principal } from '../model';
import {
  credentialActivityUnknown,
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

/** The credentials of people these rules judge: what signs in as them. */
export const PERSON_CREDENTIAL_TYPES: ReadonlySet<Credential['type']> = new Set(['access-key', 'password']);

/**
 * CRED-UNUSED: per active password or access key of an active human account (NHI credentials are
 * NHI-CRED-UNUSED's) that was last used more than `dormantDays` days before `asOf`, or never used
 * and created more than `neverUsedGraceDays` days before it (not judged when the source could not
 * read credential use). Each credential on its own: a password unused for months on a user whose
 * key was used yesterday is a finding. `high` if exposed, else `medium`. Key: `<uid>|<credential id>`.
 *
 * @example
 * credUnused(principal, ctx); // one draft per unused credential
 */
export function credUnused(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p)) return [];
  const dormant = ctx.threshold(p, 'dormantDays');
  const grace = ctx.threshold(p, 'neverUsedGraceDays');
  const drafts: FindingDraft[] = [];
  for (const c of p.credentials) {
    if (!c.active || !PERSON_CREDENTIAL_TYPES.has(c.type)) continue;
    const used = timeOf(c.lastUsedAt);
    let text: string;
    let detail: Record<string, unknown>;
    if (used !== undefined && c.lastUsedAt !== undefined) {
      if (!olderThanDays(used, ctx.asOfMs, dormant.value)) continue;
      text = `${credentialLabel(c)} last used ${day(c.lastUsedAt)}: ${daysBetween(used, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than ${dormant.value}`;
      detail = { lastUsedAt: c.lastUsedAt, thresholdDays: dormant.value, thresholdFrom: dormant.from };
    } else {
      if (credentialActivityUnknown(p)) continue;
      const created = timeOf(c.createdAt);
      if (created === undefined || c.createdAt === undefined) continue;
      if (!olderThanDays(created, ctx.asOfMs, grace.value)) continue;
      text = `${credentialLabel(c)} never used; created ${day(c.createdAt)}, ${daysBetween(created, ctx.asOfMs)} days before ${day(ctx.asOfIso)}, more than the ${grace.value}-day grace period`;
      detail = {
        lastUsedAt: null,
        createdAt: c.createdAt,
        graceDays: grace.value,
        thresholdFrom: grace.from,
      };
    }
    const exposure = exposureOf(p, ctx);
    drafts.push(
      principalDraft('CRED-UNUSED', p, ctx, {
        severity: severityFor(exposure, 'high', 'medium'),
        title: `Unused ${credentialLabel(c)} on ${label(p)}`,
        key: `${p.uid}|${c.id}`,
        detail: { credentialId: c.id, credentialType: c.type, ...detail },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: c.lastUsedAt ? 'lastUsedAt' : 'createdAt',
            ...(c.lastUsedAt ? { at: c.lastUsedAt } : c.createdAt ? { at: c.createdAt } : {}),
            text,
          },
          ...exposureEvidence(p, exposure),
        ],
      }),
    );
  }
  return drafts;
}
