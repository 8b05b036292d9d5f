/**
 * `correlate` numbers principals and joins them with a union-find over positions, normalizing each
 * email and employee id once (issue 18: correlate was ~3 s of the bench scan). It must give exactly
 * what the plain definition gives: principals joined by a shared employee id, or by an email shared
 * across two systems or more (or carried by one principal only), keyed by the smallest employee id
 * else the smallest joining email, anchors sorted, named after the first active principal of the
 * identity's kind. The definition below is that rule written with Sets and sorts, as before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlate, normalizeEmail, normalizeEmployeeId, personKey } from '../../../core/correlate';
import type { Identity, Principal, PrincipalKind, System } from '../../../core/model';
import { makePrincipal } from '../../support/factories';

function reference(principals: Principal[]): Identity[] {
  const all = [...principals].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  const byEmail = new Map<string, Principal[]>();
  const byEmployee = new Map<string, Principal[]>();
  for (const p of all) {
    const email = normalizeEmail(p.email);
    if (email !== undefined) byEmail.set(email, [...(byEmail.get(email) ?? []), p]);
    const emp = normalizeEmployeeId(p.employeeId);
    if (emp !== undefined) byEmployee.set(emp, [...(byEmployee.get(emp) ?? []), p]);
  }
  // Components by repeated merging of sets (slow and obvious).
  let sets: Set<Principal>[] = all.map((p) => new Set([p]));
  const join = (group: Principal[]) => {
    const touched = sets.filter((s) => group.some((p) => s.has(p)));
    const merged = new Set<Principal>(touched.flatMap((s) => [...s]));
    sets = [...sets.filter((s) => !touched.includes(s)), merged];
  };
  const joining = new Set<string>();
  for (const [email, group] of byEmail) {
    if (group.length === 1 || new Set(group.map((p) => p.system)).size >= 2) {
      joining.add(email);
      join(group);
    }
  }
  for (const group of byEmployee.values()) join(group);
  const identities = sets.map((set) => {
    const group = all.filter((p) => set.has(p));
    const emps = new Set(group.flatMap((p) => normalizeEmployeeId(p.employeeId) ?? []));
    const emails = new Set(group.flatMap((p) => normalizeEmail(p.email) ?? []));
    const keyEmails = [...emails].filter((e) => joining.has(e));
    const kind: PrincipalKind = group.some((p) => p.kind === 'human') ? 'human' : 'nonhuman';
    const named =
      group.find((p) => p.kind === kind && p.status === 'active') ??
      group.find((p) => p.kind === kind) ??
      group[0]!;
    const identity: Identity = {
      id: personKey([...emps], keyEmails) ?? `principal:${group[0]!.uid}`,
      name: named.name,
      kind,
      principals: group.map((p) => p.uid),
      anchors: [
        ...[...emps].map((e) => `employee:${e}`),
        ...[...emails].map((e) => `email:${e}`),
        ...group.map((p) => `principal:${p.uid}`),
      ].sort(),
    };
    const email = [...keyEmails].sort()[0] ?? [...emails].sort()[0];
    if (email !== undefined) identity.email = email;
    return identity;
  });
  return identities.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

// Few values of each, so principals share emails and employee ids often (inside and across systems).
const principal = fc
  .record({
    system: fc.constantFrom<System>('erp', 'aws', 'entra', 'salesforce'),
    nativeId: fc.stringMatching(/^[a-e]{1,3}$/),
    email: fc.option(fc.constantFrom('a@x.com', ' A@X.com', 'b@x.com', 'c@y.org ', '', '  ', 'émile@x.fr'), {
      nil: undefined,
    }),
    employeeId: fc.option(fc.constantFrom('E1', ' E1', 'E2', 'e2', '', '10'), { nil: undefined }),
    kind: fc.constantFrom<PrincipalKind>('human', 'nonhuman'),
    status: fc.constantFrom<Principal['status']>('active', 'disabled'),
    name: fc.constantFrom('Ann', 'Bo', 'svc'),
  })
  .map((r) => {
    const overrides: Partial<Principal> = {
      system: r.system,
      nativeId: r.nativeId,
      kind: r.kind,
      status: r.status,
      name: r.name,
    };
    if (r.email !== undefined) overrides.email = r.email;
    if (r.employeeId !== undefined) overrides.employeeId = r.employeeId;
    return makePrincipal(overrides);
  });

describe('correlate (property)', () => {
  it('gives the identities the plain definition gives, whatever the input order', () => {
    fc.assert(
      fc.property(fc.uniqueArray(principal, { selector: (p) => p.uid, maxLength: 40 }), (principals) => {
        const expected = reference(principals);
        const got = correlate([...principals].reverse());
        expect(got.identities).toEqual(expected);
        for (const identity of got.identities) {
          for (const uid of identity.principals) expect(got.identityByPrincipal.get(uid)).toBe(identity);
        }
      }),
      { numRuns: 300 },
    );
  });
});
