/**
 * Identity correlation (DESIGN.md §3, issue 2 item 5): principals of different systems that carry
 * the same email (trimmed, case-insensitive) are one identity `person:<email>`; every other
 * principal is an identity of its own, `principal:<uid>`.
 *
 * Principals sharing an email inside ONE system only (a shared mailbox on several service users,
 * an admin account beside a normal one) are not merged: one system's data alone cannot tell a
 * person from a mailbox. As soon as the email also appears in a second system, every principal
 * with it joins the person.
 */
import type { Identity, Principal, PrincipalKind, System } from './model';

export interface Correlation {
  /** Sorted by id; each identity's principals sorted by uid. */
  identities: Identity[];
  /** Principal uid → its identity. */
  identityByPrincipal: Map<string, Identity>;
  /** Normalized email → the principals (any status, any system) carrying it, sorted by uid. */
  principalsByEmail: Map<string, Principal[]>;
}

/** The form emails are compared in: trimmed and lowercased; empty → undefined. */
export function normalizeEmail(email: string | undefined): string | undefined {
  if (email === undefined) return undefined;
  const e = email.trim().toLowerCase();
  return e.length > 0 ? e : undefined;
}

const byUid = (a: Principal, b: Principal) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);

/**
 * Groups principals into identities. Deterministic: same principals in any order → same result.
 *
 * @example
 * const { identities, identityByPrincipal } = correlate(inventoryPrincipals);
 * identityByPrincipal.get('erp:erp-prod:JDOE')?.id; // 'person:jane.doe@example.com'
 */
export function correlate(principals: Iterable<Principal>): Correlation {
  const principalsByEmail = new Map<string, Principal[]>();
  const loners: Principal[] = [];
  for (const p of principals) {
    const email = normalizeEmail(p.email);
    if (email === undefined) {
      loners.push(p);
      continue;
    }
    let group = principalsByEmail.get(email);
    if (!group) {
      group = [];
      principalsByEmail.set(email, group);
    }
    group.push(p);
  }

  const identities: Identity[] = [];
  for (const [email, group] of principalsByEmail) {
    group.sort(byUid);
    const systems = new Set<System>();
    for (const p of group) systems.add(p.system);
    if (systems.size < 2) {
      for (const p of group) loners.push(p);
      continue;
    }
    identities.push(personIdentity(email, group));
  }
  for (const p of loners) {
    const identity: Identity = { id: `principal:${p.uid}`, name: p.name, kind: p.kind, principals: [p.uid] };
    const email = normalizeEmail(p.email);
    if (email !== undefined) identity.email = email;
    identities.push(identity);
  }
  identities.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const identityByPrincipal = new Map<string, Identity>();
  for (const identity of identities) {
    for (const uid of identity.principals) identityByPrincipal.set(uid, identity);
  }
  return { identities, identityByPrincipal, principalsByEmail };
}

function personIdentity(email: string, group: Principal[]): Identity {
  const kind: PrincipalKind = group.some((p) => p.kind === 'human') ? 'human' : 'nonhuman';
  // Name from the first active human principal (uid order), so it does not flip between runs.
  const named =
    group.find((p) => p.kind === kind && p.status === 'active') ??
    group.find((p) => p.kind === kind) ??
    group[0]!;
  return {
    id: `person:${email}`,
    name: named.name,
    kind,
    email,
    principals: group.map((p) => p.uid),
  };
}
