/** Control: nobody signs in to a company system after they left. */
import type { FindingDraft } from '../findings/model';
import type { Activity, Principal } from '../model';
import {
  credentialLabel,
  isAccountRoot,
  label,
  personEvidence,
  principalDraft,
  type RuleContext,
  timeOf,
} from './context';

/** The latest use of the account: its last activity, or a credential's last use when later. */
function latestUse(p: Principal): (Activity & { ms: number }) | undefined {
  let best: (Activity & { ms: number }) | undefined;
  const consider = (at: string | undefined, source: string) => {
    const ms = timeOf(at);
    if (at !== undefined && ms !== undefined && (best === undefined || ms > best.ms))
      best = { at, source, ms };
  };
  consider(p.lastActivity?.at, p.lastActivity?.source ?? 'lastActivity');
  for (const c of p.credentials) consider(c.lastUsedAt, `${credentialLabel(c)} lastUsedAt`);
  return best;
}

/**
 * USER-ACTIVE-AFTER-TERMINATION: an account (active or disabled) of a terminated person whose latest
 * activity (sign-in, or a credential's last use) is strictly after the termination date. `critical`:
 * it is either a leaver still working or someone using their access. The issue defines it on the
 * activity, not on the account's state: an account disabled today after being used last week, after
 * its owner left, is the same incident, and disabling it does not undo the use. A termination date
 * that is unknown proves nothing, so nothing is raised then (a bare date is midnight UTC).
 *
 * @example
 * userActiveAfterTermination(principal, ctx); // [] or [draft]
 */
export function userActiveAfterTermination(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (isAccountRoot(p)) return [];
  const match = ctx.personOf(p);
  if (match?.person.status !== 'terminated') return [];
  const person = match.person;
  const term = timeOf(person.terminationDate);
  if (term === undefined || person.terminationDate === undefined) return [];
  const use = latestUse(p);
  if (!use || !(use.ms > term)) return [];
  const draft = principalDraft('USER-ACTIVE-AFTER-TERMINATION', p, ctx, {
    severity: 'critical',
    title: `${label(p)} used after ${person.name} left`,
    detail: {
      person: person.uid,
      employeeId: person.employeeId,
      terminationDate: person.terminationDate,
      activityAt: use.at,
      activitySource: use.source,
      accountStatus: p.status,
      matchedBy: match.by,
    },
    evidence: [
      ...personEvidence(p, match),
      {
        kind: 'activity',
        principal: p.uid,
        signal: use.source,
        at: use.at,
        text: `${label(p)} was used at ${use.at} (${use.source}), after the termination date ${person.terminationDate}`,
      },
      {
        kind: 'attribute',
        principal: p.uid,
        signal: 'status',
        text:
          p.status === 'active'
            ? `${label(p)} is still active as of ${ctx.asOfIso}`
            : `${label(p)} is disabled as of ${ctx.asOfIso}; the use after the termination date stands`,
      },
    ],
  });
  if (person.sourceId !== p.sourceId) draft.sources = [p.sourceId, person.sourceId].sort();
  return [draft];
}
