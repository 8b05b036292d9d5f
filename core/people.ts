/**
 * The people side of the inventory (issue 12): which person of the system of record each account
 * belongs to, and whether that person still works here.
 *
 * The authority is the HR source (`system: hr`) when one is configured. Without one, Entra (when
 * collected) is the directory of record: an identity whose Entra user accounts are all disabled is
 * a leaver, as of the run (Graph does not say when an account was disabled).
 *
 * Matching order, per principal (first that applies wins):
 * 1. the HR source's `links` file: `principal_uid,employee_id`, `principal_uid,email`, or
 *    `principal_uid,none` (kept apart from every person);
 * 2. the principal's employee id (ERP `employee_id`, Entra `employeeId`, Salesforce
 *    `EmployeeNumber`, AWS tag `employee_id`), when HR knows it;
 * 3. human principals only: the principal's email equal to a person's email (trimmed,
 *    case-insensitive), then to one of a person's `other_emails`;
 * 4. human principals only: the email of principals already matched in 2. (an ERP account that
 *    carries the stale address its Entra account had, beside the employee id that proves who it is).
 * A non-human principal is matched by a link or an employee id only: an integration user that
 * carries its owner's email is the owner's relation, not the owner.
 *
 * An email that leads to two different people (two HR records claim it, or principals matched by
 * employee id to two people carry it) is ambiguous: nothing is matched through it and it is
 * reported (IDENTITY-AMBIGUOUS).
 *
 * When an HR source failed, no person is known: nothing is matched, and no rule may conclude that
 * an account has no HR record.
 */
import { anchorsOf, normalizeEmail } from './correlate';
import type { Identity, Person, PersonLink, Principal } from './model';

/** Tag of a deleted Entra user: when Graph says it was deleted (`deletedDateTime`). */
export const ENTRA_DELETED_TAG = 'entra:deletedDateTime';

export type MatchedBy = 'link' | 'employee-id' | 'email' | 'other-email' | 'correlated-email' | 'entra';

export interface PersonMatch {
  person: Person;
  by: MatchedBy;
  /** The value that matched (employee id, email) or the link's origin (`links.csv:4`). */
  value: string;
}

/** An email that leads to more than one person. */
export interface Ambiguity {
  email: string;
  /** The people it leads to, by uid order. */
  people: Person[];
  /** Principals that would have matched through it (left unmatched), sorted. */
  principals: string[];
}

/** A link the resolver did not apply, and why. */
export interface UnusedLink {
  /** `links.csv:4`. */
  origin: string;
  reason: 'principal' | 'person';
  /** `links.csv:4: principal … is not in the inventory of this run: the link is not applied`. */
  text: string;
}

/** What the HR side of a run knows about itself. */
export interface HrStatus {
  /** HR sources configured for the run (collected or failed). */
  configured: string[];
  /** Every configured HR source was collected, and completely: absence of a record then means something. */
  complete: boolean;
  /** HR sources that failed or are incomplete. */
  notComplete: string[];
}

export interface PeopleDirectory {
  /** `hr`: an HR source is configured; `entra`: no HR source, Entra is the directory of record; `none`. */
  authority: 'hr' | 'entra' | 'none';
  hr: HrStatus;
  /** HR people by uid. */
  people: ReadonlyMap<string, Person>;
  matchOf(principalUid: string): PersonMatch | undefined;
  /** HR people whose email or other_emails is `email` (trimmed, case-insensitive). */
  peopleWithEmail(email: string): readonly Person[];
  /** Principals a link file keeps apart from every person (`principal_uid,none`). */
  keptApart: ReadonlySet<string>;
  ambiguities: readonly Ambiguity[];
  /**
   * Links that are not applied, with their file:line: `principal` when the account is in no source
   * of the run (only the scan can know: the scan warnings), `person` when it names no HR person or
   * several (the HR snapshot already warns of these at collection).
   */
  unusedLinks: readonly UnusedLink[];
}

export interface DirectoryInput {
  principals: Iterable<Principal>;
  people: Iterable<Person>;
  links: Iterable<PersonLink>;
  /** Sources of the run: HR ones decide `authority` and completeness. */
  sources: Iterable<{ sourceId: string; system: string; status: 'collected' | 'failed'; complete: boolean }>;
  /** Email correlation, for the Entra fallback (identities holding an Entra user). */
  identities: readonly Identity[];
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Employee ids compare trimmed, case kept (HR systems differ on case; most ids have none). */
export function normalizeEmployeeIdText(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const t = id.trim();
  return t.length > 0 ? t : undefined;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

/**
 * @example
 * const directory = resolvePeople({ principals, people, links, sources, identities });
 * directory.matchOf('erp:netsuite:U10042')?.person.status; // 'terminated'
 */
export function resolvePeople(input: DirectoryInput): PeopleDirectory {
  const sources = [...input.sources]; // an iterator (Map.values()) is read once only
  const hrSources = sources.filter((s) => s.system === 'hr');
  const notComplete = hrSources
    .filter((s) => s.status === 'failed' || !s.complete)
    .map((s) => s.sourceId)
    .sort(byString);
  const hr: HrStatus = {
    configured: hrSources.map((s) => s.sourceId).sort(byString),
    complete: hrSources.length > 0 && notComplete.length === 0,
    notComplete,
  };
  const principals = [...input.principals].sort((a, b) => byString(a.uid, b.uid));
  if (hrSources.length > 0) return hrDirectory(input, principals, hr);
  const hasEntra = sources.some((s) => s.system === 'entra' && s.status === 'collected');
  if (hasEntra) return entraDirectory(input, principals, hr);
  return emptyDirectory('none', hr);
}

function emptyDirectory(authority: PeopleDirectory['authority'], hr: HrStatus): PeopleDirectory {
  return {
    authority,
    hr,
    people: new Map(),
    matchOf: () => undefined,
    peopleWithEmail: () => [],
    keptApart: new Set(),
    ambiguities: [],
    unusedLinks: [],
  };
}

function hrDirectory(input: DirectoryInput, principals: Principal[], hr: HrStatus): PeopleDirectory {
  const people = new Map<string, Person>();
  for (const p of input.people) people.set(p.uid, p);
  const sorted = [...people.values()].sort((a, b) => byString(a.uid, b.uid));
  const byEmployee = new Map<string, Person[]>();
  const byEmail = new Map<string, Person[]>();
  const byOtherEmail = new Map<string, Person[]>();
  for (const person of sorted) {
    push(byEmployee, person.employeeId, person);
    const email = normalizeEmail(person.email);
    if (email) push(byEmail, email, person);
    for (const other of person.otherEmails) {
      const e = normalizeEmail(other);
      if (e) push(byOtherEmail, e, person);
    }
  }
  /** Every person an email names, primary or other. */
  const peopleOfEmail = (email: string): Person[] => {
    const out = [...(byEmail.get(email) ?? [])];
    for (const p of byOtherEmail.get(email) ?? []) if (!out.includes(p)) out.push(p);
    return out;
  };

  const matches = new Map<string, PersonMatch>();
  const keptApart = new Set<string>();
  const unusedLinks: UnusedLink[] = [];
  const principalUids = new Set(principals.map((p) => p.uid));
  const linked = new Set<string>();
  // 1. Links.
  for (const link of [...input.links].sort((a, b) => byString(a.origin, b.origin))) {
    if (!principalUids.has(link.principal)) {
      unusedLinks.push({
        origin: link.origin,
        reason: 'principal',
        text: `${link.origin}: principal ${link.principal} is in no source of this run: the link is not applied`,
      });
      continue;
    }
    linked.add(link.principal);
    if (link.none) {
      keptApart.add(link.principal);
      continue;
    }
    const id = normalizeEmployeeIdText(link.employeeId);
    const email = normalizeEmail(link.email);
    const found =
      id !== undefined ? byEmployee.get(id) : email !== undefined ? peopleOfEmail(email) : undefined;
    if (found?.length !== 1) {
      unusedLinks.push({
        origin: link.origin,
        reason: 'person',
        text: `${link.origin}: ${id !== undefined ? `employee id ${id}` : `email ${email}`} ${found && found.length > 1 ? 'names several people' : 'is not in the HR records'}: the link is not applied`,
      });
      continue;
    }
    matches.set(link.principal, { person: found[0]!, by: 'link', value: link.origin });
  }
  // 2. Employee ids.
  for (const p of principals) {
    if (linked.has(p.uid)) continue;
    const id = normalizeEmployeeIdText(p.employeeId);
    if (id === undefined) continue;
    const found = byEmployee.get(id);
    if (found?.length === 1) matches.set(p.uid, { person: found[0]!, by: 'employee-id', value: id });
  }
  // Which people each email leads to: HR's own claims plus the principals matched so far.
  const leadsTo = new Map<string, Person[]>();
  for (const [email, list] of byEmail) for (const person of list) push(leadsTo, email, person);
  for (const [email, list] of byOtherEmail) for (const person of list) push(leadsTo, email, person);
  for (const p of principals) {
    const m = matches.get(p.uid);
    const email = normalizeEmail(p.email);
    if (m && email && p.kind === 'human') push(leadsTo, email, m.person);
  }
  const ambiguous = new Map<string, Ambiguity>();
  // 3./4. Emails, humans only.
  for (const p of principals) {
    if (linked.has(p.uid) || matches.has(p.uid) || p.kind !== 'human') continue;
    const email = normalizeEmail(p.email);
    if (email === undefined) continue;
    const candidates = leadsTo.get(email);
    if (!candidates || candidates.length === 0) continue;
    if (candidates.length > 1) {
      let a = ambiguous.get(email);
      if (!a) {
        a = {
          email,
          people: [...candidates].sort((x, y) => byString(x.uid, y.uid)),
          principals: [],
        };
        ambiguous.set(email, a);
      }
      a.principals.push(p.uid);
      continue;
    }
    const person = candidates[0]!;
    const by: MatchedBy = byEmail.get(email)?.includes(person)
      ? 'email'
      : byOtherEmail.get(email)?.includes(person)
        ? 'other-email'
        : 'correlated-email';
    matches.set(p.uid, { person, by, value: email });
  }
  // Accounts of two different people carrying one email (a shared mailbox set on both): ambiguous
  // even when each account is attributed by its employee id, so the email is never trusted alone.
  const carriedBy = new Map<string, Person[]>();
  for (const p of principals) {
    const m = matches.get(p.uid);
    const email = normalizeEmail(p.email);
    if (m && email && p.kind === 'human') push(carriedBy, email, m.person);
  }
  for (const [email, list] of carriedBy) {
    if (list.length < 2 || ambiguous.has(email)) continue;
    ambiguous.set(email, { email, people: [...list].sort((x, y) => byString(x.uid, y.uid)), principals: [] });
  }
  return {
    authority: 'hr',
    hr,
    people,
    matchOf: (uid) => matches.get(uid),
    peopleWithEmail: (email) => {
      const e = normalizeEmail(email);
      return e === undefined ? [] : peopleOfEmail(e);
    },
    keptApart,
    ambiguities: [...ambiguous.values()].sort((a, b) => byString(a.email, b.email)),
    unusedLinks: unusedLinks.sort((a, b) => a.origin.localeCompare(b.origin, 'en', { numeric: true })),
  };
}

/** Types of Entra principals that are people's directory accounts. */
const ENTRA_PERSON_TYPES: ReadonlySet<string> = new Set(['user', 'guest']);

/**
 * No HR source: each identity holding a human Entra user account gets a person derived from it,
 * terminated when every such account is disabled or deleted. When every one is deleted, the
 * termination date is the latest `deletedDateTime` (the time Graph reports); otherwise it is
 * unknown (Graph does not report when an account was disabled) and the leaver is one as of the run.
 */
function entraDirectory(input: DirectoryInput, principals: Principal[], hr: HrStatus): PeopleDirectory {
  const byUid = new Map(principals.map((p) => [p.uid, p]));
  const matches = new Map<string, PersonMatch>();
  for (const identity of input.identities) {
    const entra = identity.principals
      .map((uid) => byUid.get(uid))
      .filter(
        (p): p is Principal => p?.system === 'entra' && p.kind === 'human' && ENTRA_PERSON_TYPES.has(p.type),
      );
    if (entra.length === 0) continue;
    const active = entra.some((p) => p.status === 'active');
    const first = entra[0]!;
    const deletedAt = entra.map((p) => p.tags[ENTRA_DELETED_TAG]);
    const allDeleted = deletedAt.every((t): t is string => t !== undefined && t !== '');
    const terminationDate = !active && allDeleted ? [...deletedAt].sort().at(-1) : undefined;
    const person: Person = {
      uid: `entra-person:${identity.id}`,
      sourceId: first.sourceId,
      employeeId: first.employeeId ?? '',
      name: identity.name,
      status: active ? 'active' : 'terminated',
      statusText: active
        ? 'accountEnabled'
        : terminationDate
          ? `deleted (deletedDateTime ${terminationDate}) ${entra.map((p) => p.uid).join(', ')} (no HR source: Entra is the directory of record)`
          : `accountEnabled=false on ${entra.map((p) => p.uid).join(', ')} (no HR source: Entra is the directory of record)`,
      otherEmails: [],
      origin: entra.map((p) => p.uid).join(', '),
    };
    if (identity.email) person.email = identity.email;
    if (terminationDate) person.terminationDate = terminationDate;
    for (const uid of identity.principals) {
      const p = byUid.get(uid);
      if (p && p.kind === 'human') matches.set(uid, { person, by: 'entra', value: identity.id });
    }
  }
  return {
    ...emptyDirectory('entra', hr),
    matchOf: (uid) => matches.get(uid),
  };
}

/**
 * Regroups correlated identities around the HR people: every principal matched to a person joins
 * that person's identity `person:employee:<employee id>` (named as HR names them); principals kept
 * apart by a link, matched through an ambiguous email, or non-human beside a person's accounts are
 * identities of their own; the rest keep the email correlation. Without an HR source nothing changes.
 *
 * @example
 * const identities = regroupByPerson(correlation.identities, principals, directory);
 */
export function regroupByPerson(
  identities: Identity[],
  principals: ReadonlyMap<string, Principal>,
  directory: PeopleDirectory,
): Identity[] {
  // The same list when there is no HR authority: the inventory then keeps its principal → identity
  // map instead of building a second one (150k principals, issue 18).
  if (directory.authority !== 'hr') return identities;
  const ambiguous = new Set<string>();
  for (const a of directory.ambiguities) for (const uid of a.principals) ambiguous.add(uid);
  const personGroups = new Map<string, { person: Person; uids: string[] }>();
  const out: Identity[] = [];
  const alone = (uid: string): Identity => {
    const p = principals.get(uid);
    const identity: Identity = {
      id: `principal:${uid}`,
      name: p?.name ?? uid,
      kind: p?.kind ?? 'human',
      principals: [uid],
      anchors: p ? anchorsOf([p]) : [`principal:${uid}`],
    };
    const email = normalizeEmail(p?.email);
    if (email) identity.email = email;
    return identity;
  };
  for (const identity of identities) {
    const rest: string[] = [];
    let matchedHere = false;
    for (const uid of identity.principals) {
      const m = directory.matchOf(uid);
      if (m) {
        matchedHere = true;
        let g = personGroups.get(m.person.uid);
        if (!g) {
          g = { person: m.person, uids: [] };
          personGroups.set(m.person.uid, g);
        }
        g.uids.push(uid);
      } else rest.push(uid);
    }
    const residual: string[] = [];
    for (const uid of rest) {
      const p = principals.get(uid);
      // An NHI correlated by email with a person's account is that person's relation, not the person.
      if (directory.keptApart.has(uid) || ambiguous.has(uid) || (matchedHere && p?.kind === 'nonhuman'))
        out.push(alone(uid));
      else residual.push(uid);
    }
    if (residual.length === identity.principals.length) out.push(identity);
    else if (residual.length === 1) out.push(alone(residual[0]!));
    else if (residual.length > 1) {
      const members = residual.map((uid) => principals.get(uid)).filter((x): x is Principal => !!x);
      out.push({ ...identity, principals: residual, anchors: anchorsOf(members, { uids: residual }) });
    }
  }
  const personIds = new Set<string>();
  const personIdentities: Identity[] = [];
  for (const { person, uids } of personGroups.values()) {
    const identity: Identity = {
      id: `person:employee:${person.employeeId}`,
      name: person.name,
      kind: 'human',
      principals: uids.sort(byString),
      anchors: anchorsOf(
        uids.map((uid) => principals.get(uid)).filter((x): x is Principal => !!x),
        { employeeIds: [person.employeeId], emails: person.email ? [person.email] : [], uids },
      ),
    };
    const email = normalizeEmail(person.email);
    if (email) identity.email = email;
    personIds.add(identity.id);
    personIdentities.push(identity);
  }
  // A residual group may still carry the key of a person whose accounts were linked elsewhere.
  const final = out.flatMap((identity) =>
    personIds.has(identity.id) ? identity.principals.map((uid) => alone(uid)) : [identity],
  );
  return [...final, ...personIdentities].sort((a, b) => byString(a.id, b.id));
}
