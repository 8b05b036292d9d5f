/** Control: every account is attributed to exactly one person, or the doubt is raised for a human to settle. */
import type { FindingDraft } from '../findings/model';
import type { Inventory } from '../inventory';
import type { RuleContext } from './context';

/**
 * IDENTITY-AMBIGUOUS: one draft per email that leads to two or more HR people (HR records claim it,
 * or accounts matched to different people by employee id carry it): nothing is merged through it,
 * and the accounts that carry it without an employee id stay unattributed until a `links` file
 * settles them. `medium`: the leaver test cannot be run for those accounts. Key: `email:<email>`.
 *
 * @example
 * identityAmbiguous(inventory, ctx); // [] when every email leads to one person
 */
export function identityAmbiguous(inv: Inventory, _ctx: RuleContext): FindingDraft[] {
  return inv.directory.ambiguities.map((a) => {
    const carriers = inv.principalsWithEmail(a.email);
    const principals = [...new Set([...a.principals, ...carriers.map((p) => p.uid)])].sort();
    const sources = new Set<string>();
    for (const p of carriers) sources.add(p.sourceId);
    for (const person of a.people) sources.add(person.sourceId);
    const names = a.people.map((p) => `${p.name} (employee ${p.employeeId}, ${p.origin})`);
    return {
      rule: 'IDENTITY-AMBIGUOUS' as const,
      severity: 'medium' as const,
      title: `Email ${a.email} leads to ${a.people.length} people: ${a.people.map((p) => p.name).join(' and ')}`,
      subject: { identity: `email:${a.email}`, principals },
      detail: {
        email: a.email,
        people: a.people.map((p) => ({ uid: p.uid, employeeId: p.employeeId, name: p.name })),
        unattributed: [...a.principals].sort(),
      },
      evidence: [
        { kind: 'attribute' as const, signal: 'email', text: `${a.email} leads to ${names.join(' and ')}` },
        ...carriers.map((p) => {
          const m = inv.directory.matchOf(p.uid);
          return {
            kind: 'attribute' as const,
            principal: p.uid,
            signal: 'email',
            text: m
              ? `${p.name} (${p.sourceId}) carries ${a.email} and is ${m.person.name} by ${m.by} ${m.value}`
              : `${p.name} (${p.sourceId}) carries ${a.email} and nothing else says who it is: not attributed`,
          };
        }),
      ],
      sources: [...sources].sort(),
      key: `email:${a.email}`,
    };
  });
}
