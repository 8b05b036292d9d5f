/**
 * Identity correlation and identity anchors.
 *
 * A person is keyed by an authoritative id from the first principal on, so the key never depends
 * on how many principals correlate:
 * - `person:employee:<employee id>` when any principal of the person carries an employee id;
 * - else `person:<normalized email>`;
 * - a principal with no person key (no email, no employee id, or an email shared by several
 *   principals of ONE system only) is an identity of its own, `principal:<uid>`.
 *
 * Principals are joined when they carry the same employee id (any system: it is the HR key), or the
 * same email (trimmed, case-insensitive) in two systems or more. Principals sharing an email inside
 * ONE system only (a shared mailbox on several service users) are not joined by it: one system's
 * data alone cannot tell a person from a mailbox.
 *
 * Every identity also lists its `anchors`: each employee id, email and principal uid it was built
 * from. A finding about an identity remembers them, so when the identity's key changes (its only
 * principal with an employee id is deleted) the finding is still recognised as the same one.
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

/** The form employee ids are compared in: trimmed (case kept: HR systems differ); empty → undefined. */
export function normalizeEmployeeId(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const e = id.trim();
  return e.length > 0 ? e : undefined;
}

/**
 * The person key a group of principals gets: the smallest employee id, else the smallest email of
 * the emails that joined it, else undefined (the principal is its own identity).
 *
 * @example
 * personKey(['HI-10134'], ['ben@example.com']); // 'person:employee:HI-10134'
 * personKey([], ['ben@example.com']);           // 'person:ben@example.com'
 */
export function personKey(employeeIds: readonly string[], emails: readonly string[]): string | undefined {
  const emp = [...employeeIds].sort()[0];
  if (emp !== undefined) return `person:employee:${emp}`;
  const email = [...emails].sort()[0];
  return email !== undefined ? `person:${email}` : undefined;
}

/**
 * The anchors of a group of principals: each employee id, email and principal uid, sorted, plus
 * any the caller knows from elsewhere (an HR person's employee id and emails).
 */
export function anchorsOf(
  group: readonly Principal[],
  extra: { employeeIds?: readonly string[]; emails?: readonly string[]; uids?: readonly string[] } = {},
): string[] {
  const out = new Set<string>();
  for (const p of group) {
    const emp = normalizeEmployeeId(p.employeeId);
    if (emp !== undefined) out.add(`employee:${emp}`);
    const email = normalizeEmail(p.email);
    if (email !== undefined) out.add(`email:${email}`);
    out.add(`principal:${p.uid}`);
  }
  for (const e of extra.employeeIds ?? []) {
    const emp = normalizeEmployeeId(e);
    if (emp !== undefined) out.add(`employee:${emp}`);
  }
  for (const e of extra.emails ?? []) {
    const email = normalizeEmail(e);
    if (email !== undefined) out.add(`email:${email}`);
  }
  for (const uid of extra.uids ?? []) out.add(`principal:${uid}`);
  return [...out].sort();
}

const byUid = (a: Principal, b: Principal) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Groups principals into identities. Deterministic: same principals in any order → same result.
 *
 * @example
 * const { identities, identityByPrincipal } = correlate(inventoryPrincipals);
 * identityByPrincipal.get('erp:erp-prod:JDOE')?.id; // 'person:jane.doe@example.com'
 */
export function correlate(principals: Iterable<Principal>): Correlation {
  const all: Principal[] = [...principals].sort(byUid);
  const principalsByEmail = new Map<string, Principal[]>();
  const byEmployee = new Map<string, Principal[]>();
  for (const p of all) {
    const email = normalizeEmail(p.email);
    if (email !== undefined) push(principalsByEmail, email, p);
    const emp = normalizeEmployeeId(p.employeeId);
    if (emp !== undefined) push(byEmployee, emp, p);
  }

  // Union-find over principal positions.
  const index = new Map<string, number>();
  for (let i = 0; i < all.length; i++) index.set(all[i]!.uid, i);
  const parent = all.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (group: readonly Principal[]) => {
    const first = find(index.get(group[0]!.uid)!);
    for (const p of group) {
      const r = find(index.get(p.uid)!);
      if (r !== first) parent[Math.max(r, first)] = Math.min(r, first);
    }
  };
  // Emails that may key a person: carried by one principal, or by principals of two systems or more.
  const joiningEmails = new Set<string>();
  for (const [email, group] of principalsByEmail) {
    const systems = new Set<System>(group.map((p) => p.system));
    if (group.length === 1 || systems.size >= 2) {
      joiningEmails.add(email);
      union(group);
    }
  }
  for (const group of byEmployee.values()) union(group);

  const groups = new Map<number, Principal[]>();
  for (let i = 0; i < all.length; i++) push(groups, find(i), all[i]!);

  const identities: Identity[] = [];
  for (const group of groups.values()) identities.push(identityOf(group, joiningEmails));
  identities.sort((a, b) => cmp(a.id, b.id));

  const identityByPrincipal = new Map<string, Identity>();
  for (const identity of identities) {
    for (const uid of identity.principals) identityByPrincipal.set(uid, identity);
  }
  return { identities, identityByPrincipal, principalsByEmail };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function identityOf(group: Principal[], joiningEmails: ReadonlySet<string>): Identity {
  const employeeIds = new Set<string>();
  const emails = new Set<string>();
  const keyEmails = new Set<string>();
  for (const p of group) {
    const emp = normalizeEmployeeId(p.employeeId);
    if (emp !== undefined) employeeIds.add(emp);
    const email = normalizeEmail(p.email);
    if (email === undefined) continue;
    emails.add(email);
    if (joiningEmails.has(email)) keyEmails.add(email);
  }
  const key = personKey([...employeeIds], [...keyEmails]);
  const anchors = [
    ...[...employeeIds].map((e) => `employee:${e}`),
    ...[...emails].map((e) => `email:${e}`),
    ...group.map((p) => `principal:${p.uid}`),
  ].sort();
  const kind: PrincipalKind = group.some((p) => p.kind === 'human') ? 'human' : 'nonhuman';
  // Name from the first active principal of the identity's kind (uid order), so it does not flip between runs.
  const named =
    group.find((p) => p.kind === kind && p.status === 'active') ??
    group.find((p) => p.kind === kind) ??
    group[0]!;
  const identity: Identity = {
    id: key ?? `principal:${group[0]!.uid}`,
    name: named.name,
    kind,
    principals: group.map((p) => p.uid),
    anchors,
  };
  const email = [...keyEmails].sort()[0] ?? [...emails].sort()[0];
  if (email !== undefined) identity.email = email;
  return identity;
}
