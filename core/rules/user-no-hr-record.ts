/** Control: every person's account on a financially significant system belongs to someone HR knows. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import { entitlementsEvidence, isAccountRoot, label, principalDraft, type RuleContext } from './context';

/**
 * USER-NO-HR-RECORD: an active human account that matches no HR person (no link, employee id or
 * email), when an HR source is configured and every HR source was collected completely — while
 * one failed or is partial, a missing record proves nothing and nothing is raised. `high` on a
 * financially significant source; elsewhere `medium`, and only with `policy.unmatchedHumans: all`.
 * Accounts a links file keeps apart (`principal_uid,none`) and accounts behind an ambiguous email
 * (IDENTITY-AMBIGUOUS) are not raised here, nor federated roles (assumed by many people). Sources: the account's and every HR source.
 *
 * @example
 * userNoHrRecord(principal, ctx); // [] or [draft]
 */
export function userNoHrRecord(p: Principal, ctx: RuleContext): FindingDraft[] {
  // A federated role (an SSO permission set) is assumed by many people: it is nobody's account.
  if (p.status !== 'active' || p.kind !== 'human' || isAccountRoot(p) || p.type === 'federated-role')
    return [];
  const directory = ctx.inv.directory;
  if (directory.authority !== 'hr' || !directory.hr.complete) return [];
  if (ctx.personOf(p) || directory.keptApart.has(p.uid)) return [];
  if (directory.ambiguities.some((a) => a.principals.includes(p.uid))) return [];
  const significant = ctx.options.financiallySignificant(p.sourceId);
  if (!significant && ctx.policy.unmatchedHumans !== 'all') return [];
  const tried = [
    p.employeeId ? `employee id ${p.employeeId}` : 'no employee id',
    p.email ? `email ${p.email}` : 'no email',
  ].join(', ');
  const draft = principalDraft('USER-NO-HR-RECORD', p, ctx, {
    severity: significant ? 'high' : 'medium',
    title: `${label(p)} matches no HR record`,
    detail: {
      employeeId: p.employeeId ?? null,
      email: p.email ?? null,
      hrSources: directory.hr.configured,
      financiallySignificant: significant,
    },
    evidence: [
      {
        kind: 'attribute',
        principal: p.uid,
        signal: 'hr',
        text: `${label(p)} (${tried}) matches no person of HR source(s) ${directory.hr.configured.join(', ')}, all collected completely, and no link`,
      },
      ...entitlementsEvidence(p, ctx),
    ],
  });
  draft.sources = [...new Set([p.sourceId, ...directory.hr.configured])].sort();
  return [draft];
}
