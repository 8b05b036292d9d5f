/** Control: access of people who left is removed within `leaverGraceDays` days of their termination date. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import {
  DAY_MS,
  day,
  entitlementsEvidence,
  isAccountRoot,
  label,
  personEvidence,
  principalDraft,
  type RuleContext,
  timeOf,
} from './context';

/**
 * USER-TERMINATED-ACCESS: an active account (any source, any kind) whose person is terminated in the
 * system of record and whose termination date plus `leaverGraceDays` is on or before `asOf`. A
 * terminated person without a termination date (or a leaver known only from Entra, which does not
 * say when) is judged as of the run. `critical` on a financially significant source, else `high`.
 * Sources: the account's and the HR source's (a run without the HR record cannot resolve it).
 *
 * @example
 * userTerminatedAccess(principal, ctx); // [] or [draft]
 */
export function userTerminatedAccess(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || isAccountRoot(p)) return [];
  const match = ctx.personOf(p);
  if (match?.person.status !== 'terminated') return [];
  const person = match.person;
  const grace = ctx.threshold(p, 'leaverGraceDays');
  const term = timeOf(person.terminationDate);
  if (term !== undefined && term + grace.value * DAY_MS > ctx.asOfMs) return [];
  const significant = ctx.options.financiallySignificant(p.sourceId);
  const due = term === undefined ? undefined : new Date(term + grace.value * DAY_MS).toISOString();
  const draft = principalDraft('USER-TERMINATED-ACCESS', p, ctx, {
    severity: significant ? 'critical' : 'high',
    title: `Leaver ${person.name} still has active account ${label(p)}`,
    detail: {
      person: person.uid,
      employeeId: person.employeeId,
      personStatus: person.statusText,
      terminationDate: person.terminationDate ?? null,
      leaverGraceDays: grace.value,
      thresholdFrom: grace.from,
      removalDueAt: due ?? null,
      matchedBy: match.by,
      financiallySignificant: significant,
    },
    evidence: [
      ...personEvidence(p, match),
      {
        kind: 'attribute',
        principal: p.uid,
        signal: 'status',
        text:
          due === undefined
            ? `${label(p)} is active as of ${day(ctx.asOfIso)}; the termination date is unknown, so the leaver is judged as of the run`
            : `${label(p)} is active as of ${ctx.asOfIso}, after the removal deadline ${due} (termination date + ${grace.value} day(s) of ${grace.from})`,
      },
      ...entitlementsEvidence(p, ctx),
    ],
  });
  if (person.sourceId !== p.sourceId) draft.sources = [p.sourceId, person.sourceId].sort();
  return [draft];
}
