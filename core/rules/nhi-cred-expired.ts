/** Control: expired credentials of non-human identities are removed, not left in place. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import { credentialLabel, day, label, principalDraft, type RuleContext, timeOf } from './context';

/**
 * NHI-CRED-EXPIRED: per credential of an active non-human principal whose `expiresAt` is strictly
 * before `asOf` and which is still present. Severity `low`: it can no longer sign in, but it is
 * clutter that hides the live credentials and shows rotation is not cleaned up. Key:
 * `<uid>|<credential id>`.
 *
 * @example
 * nhiCredExpired(principal, ctx); // one draft per expired credential
 */
export function nhiCredExpired(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || p.kind !== 'nonhuman') return [];
  const drafts: FindingDraft[] = [];
  for (const c of p.credentials) {
    const expires = timeOf(c.expiresAt);
    if (expires === undefined || c.expiresAt === undefined || !(expires < ctx.asOfMs)) continue;
    drafts.push(
      principalDraft('NHI-CRED-EXPIRED', p, ctx, {
        severity: 'low',
        title: `Expired ${credentialLabel(c)} still present on ${label(p)}`,
        key: `${p.uid}|${c.id}`,
        detail: { credentialId: c.id, credentialType: c.type, expiresAt: c.expiresAt },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: 'expiresAt',
            at: c.expiresAt,
            text: `${credentialLabel(c)} expired ${day(c.expiresAt)}, before ${day(ctx.asOfIso)}, and is still on the principal`,
          },
        ],
      }),
    );
  }
  return drafts;
}
