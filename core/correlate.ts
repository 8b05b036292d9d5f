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
import type { Identity, Principal, PrincipalKind } from './model';

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
  const n = all.length;
  // Each principal's email and employee id normalized once (they were normalized again per group).
  const emailAt: (string | undefined)[] = new Array(n);
  const employeeAt: (string | undefined)[] = new Array(n);
  const principalsByEmail = new Map<string, Principal[]>();
  /** Last position (uid order) carrying each email, and per position the one before it with its email. */
  const lastWithEmail = new Map<string, number>();
  const previousWithEmail = new Int32Array(n).fill(-1);
  /** First position carrying each employee id: the others are joined to it. */
  const firstWithEmployee = new Map<string, number>();

  // Union-find over principal positions; a root is always the smallest position of its set.
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  for (let i = 0; i < n; i++) {
    const p = all[i]!;
    const email = normalizeEmail(p.email);
    emailAt[i] = email;
    if (email !== undefined) {
      const last = lastWithEmail.get(email);
      if (last === undefined) principalsByEmail.set(email, [p]);
      else {
        principalsByEmail.get(email)!.push(p);
        previousWithEmail[i] = last;
      }
      lastWithEmail.set(email, i);
    }
    // An employee id is the HR key: principals carrying one are always joined.
    const emp = normalizeEmployeeId(p.employeeId);
    employeeAt[i] = emp;
    if (emp !== undefined) {
      const first = firstWithEmployee.get(emp);
      if (first === undefined) firstWithEmployee.set(emp, i);
      else union(first, i);
    }
  }
  // Emails that may key a person: carried by one principal, or by principals of two systems or more.
  const joiningEmails = new Set<string>();
  for (const [email, group] of principalsByEmail) {
    if (group.length === 1) {
      joiningEmails.add(email);
      continue;
    }
    const system = group[0]!.system;
    if (!group.some((p) => p.system !== system)) continue;
    joiningEmails.add(email);
    for (let i = lastWithEmail.get(email)!; previousWithEmail[i]! >= 0; i = previousWithEmail[i]!) {
      union(i, previousWithEmail[i]!);
    }
  }

  // Groups in order of their smallest position (= their root), members in uid order.
  const slotOfRoot = new Int32Array(n).fill(-1);
  const groups: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r = find(i);
    const slot = slotOfRoot[r]!;
    if (slot < 0) {
      slotOfRoot[r] = groups.length;
      groups.push([i]);
    } else groups[slot]!.push(i);
  }

  const identities: Identity[] = new Array(groups.length);
  for (let g = 0; g < groups.length; g++) {
    identities[g] = identityOf(groups[g]!, all, emailAt, employeeAt, joiningEmails);
  }
  identities.sort((a, b) => cmp(a.id, b.id));

  const identityByPrincipal = new Map<string, Identity>();
  for (const identity of identities) {
    for (const uid of identity.principals) identityByPrincipal.set(uid, identity);
  }
  return { identities, identityByPrincipal, principalsByEmail };
}

/** `list` with `value` added in code-unit order, once (lists of one or two: no Set, no sort). */
function addSorted(list: string[], value: string): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > value) i--;
  if (i > 0 && list[i - 1] === value) return;
  list.splice(i, 0, value);
}

function identityOf(
  group: readonly number[],
  all: readonly Principal[],
  emailAt: readonly (string | undefined)[],
  employeeAt: readonly (string | undefined)[],
  joiningEmails: ReadonlySet<string>,
): Identity {
  // Each list sorted and without repeats as it is built: a group has one to a few principals.
  const employeeIds: string[] = [];
  const emails: string[] = [];
  const keyEmails: string[] = [];
  const principals: string[] = new Array(group.length);
  let human = false;
  for (let k = 0; k < group.length; k++) {
    const i = group[k]!;
    const p = all[i]!;
    principals[k] = p.uid;
    if (p.kind === 'human') human = true;
    const emp = employeeAt[i];
    if (emp !== undefined) addSorted(employeeIds, emp);
    const email = emailAt[i];
    if (email === undefined) continue;
    addSorted(emails, email);
    if (joiningEmails.has(email)) addSorted(keyEmails, email);
  }
  const key =
    employeeIds.length > 0
      ? `person:employee:${employeeIds[0]}`
      : keyEmails.length > 0
        ? `person:${keyEmails[0]}`
        : undefined;
  // "email:" < "employee:" < "principal:", and each part is sorted: the whole list is sorted.
  const anchors: string[] = [];
  for (const e of emails) anchors.push(`email:${e}`);
  for (const e of employeeIds) anchors.push(`employee:${e}`);
  for (const uid of principals) anchors.push(`principal:${uid}`);
  const kind: PrincipalKind = human ? 'human' : 'nonhuman';
  // Name from the first active principal of the identity's kind (uid order), so it does not flip between runs.
  let named: Principal | undefined;
  let ofKind: Principal | undefined;
  for (const i of group) {
    const p = all[i]!;
    if (p.kind !== kind) continue;
    ofKind ??= p;
    if (p.status === 'active') {
      named = p;
      break;
    }
  }
  const first = all[group[0]!]!;
  const identity: Identity = {
    id: key ?? `principal:${first.uid}`,
    name: (named ?? ofKind ?? first).name,
    kind,
    principals,
    anchors,
  };
  const email = keyEmails[0] ?? emails[0];
  if (email !== undefined) identity.email = email;
  return identity;
}
