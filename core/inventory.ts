/**
 * The inventory a scan evaluates: every source's principals, entitlements and grants, indexed once,
 * plus the correlated identities. Built by streaming records into an `InventoryBuilder`, so the
 * pipeline never holds a second copy of 2M grants: records are kept by reference, uids are hashed
 * once on the way in, and `finish()` lays the grant graph out as typed arrays (`InventoryIndex`)
 * that engines walk without hashing a uid per grant.
 */
import { type Correlation, correlate, normalizeEmail } from './correlate';
import type { Entitlement, Grant, Identity, Person, PersonLink, Principal, System } from './model';
import { type PeopleDirectory, regroupByPerson, resolvePeople } from './people';
import type { SnapshotCounts, SnapshotEvaluation, SnapshotHeader } from './snapshot';

/** What the scan knows about one configured source. */
export interface SourceInfo {
  sourceId: string;
  system: System;
  /** Empty when the source failed before its tenant was known. */
  tenant: string;
  /** `collected`: a snapshot exists (maybe incomplete); `failed`: no snapshot. */
  status: 'collected' | 'failed';
  /** The snapshot proves completeness: only then may its findings be resolved. */
  complete: boolean;
  financiallySignificant: boolean;
  collectedAt?: string;
  counts?: SnapshotCounts;
  warnings: string[];
  /** Why a failed source failed. */
  error?: string;
  /** From the snapshot header: which policy kinds were evaluated, the SCP/RCP levels (AWS). */
  evaluation?: SnapshotEvaluation;
}

/**
 * The grant graph as dense numbers (compressed sparse rows). Principals are numbered in the order
 * their uid was first seen (record or grant), entitlements likewise.
 */
export interface InventoryIndex {
  readonly principalCount: number;
  principalUidAt(index: number): string;
  principalIndexOf(uid: string): number | undefined;
  /** 1 when principal `i` has a principal record with status `active`. */
  readonly active: Uint8Array;
  readonly entitlementCount: number;
  entitlementUidAt(index: number): string;
  entitlementIndexOf(uid: string): number | undefined;
  /**
   * Principal `i`'s grants are `grantEntitlements[grantOffsets[i] … grantOffsets[i+1])` (entitlement
   * indexes), in the order of `grantsOf(uid)`.
   */
  readonly grantOffsets: Int32Array;
  readonly grantEntitlements: Int32Array;
  /** `identities[j]`'s principals are `identityPrincipals[identityOffsets[j] … identityOffsets[j+1])`. */
  readonly identityOffsets: Int32Array;
  readonly identityPrincipals: Int32Array;
}

export interface Inventory {
  readonly principals: ReadonlyMap<string, Principal>;
  readonly entitlements: ReadonlyMap<string, Entitlement>;
  /** Principal uid → its grants, in the order they were added. */
  readonly grantsByPrincipal: ReadonlyMap<string, readonly Grant[]>;
  readonly grantCount: number;
  /** Source id → info, for collected and failed sources. */
  readonly sources: ReadonlyMap<string, SourceInfo>;
  /** Sorted by id. */
  readonly identities: readonly Identity[];
  identityOf(principalUid: string): Identity | undefined;
  /** Principals (any system, any status) whose email equals `email` (trimmed, case-insensitive). */
  principalsWithEmail(email: string): readonly Principal[];
  grantsOf(principalUid: string): readonly Grant[];
  /** The same graph as dense numbers, for engines (SoD) that must not hash a uid per grant. */
  readonly index: InventoryIndex;
  /** The principal's grants with their entitlement indexes; undefined when it has none. */
  principalGrants(principalUid: string): PrincipalGrants | undefined;
  /**
   * Grants whose validity window (`validFrom`/`validUntil`) does not hold the as-of date: they give
   * nothing and are not in the grant graph. Empty when the inventory was built without an as-of.
   */
  readonly grantsNotInForce: readonly Grant[];
  /** The people of the system of record and which person each principal is (core/people.ts). */
  readonly directory: PeopleDirectory;
}

/** A principal's grants and, parallel to them, the dense index of each grant's entitlement. */
export interface PrincipalGrants {
  readonly grants: readonly Grant[];
  readonly entitlements: Int32Array;
}

export interface InventoryBuilderOptions {
  /** Default for `financiallySignificant` when a header or failed source does not say. */
  financiallySignificant?: (sourceId: string) => boolean;
  /**
   * The scan's as-of date. Connectors report validity windows (SAP `GLTGV`–`GLTGB`, `FROM_DAT`–
   * `TO_DAT`) without judging them; here a principal outside its window counts as `disabled`
   * (tagged {@link VALIDITY_TAG}) and a grant outside its window gives nothing.
   */
  asOf?: Date;
}

/** Tag set on a principal disabled because the as-of date lies outside its validity window. */
export const VALIDITY_TAG = 'accessproof:validity';

/** Whether `asOfMs` lies in `[validFrom, validUntil)`; an absent bound is unlimited. */
export function inForce(record: { validFrom?: string; validUntil?: string }, asOfMs: number): boolean {
  if (record.validFrom !== undefined && Date.parse(record.validFrom) > asOfMs) return false;
  if (record.validUntil !== undefined && Date.parse(record.validUntil) <= asOfMs) return false;
  return true;
}

function windowText(record: { validFrom?: string; validUntil?: string }): string {
  return `valid from ${record.validFrom ?? 'the start'} until ${record.validUntil ?? 'unlimited'} (exclusive)`;
}

const NO_GRANTS: readonly Grant[] = Object.freeze([]);
const NO_PRINCIPALS: readonly Principal[] = Object.freeze([]);

/** Dense numbering of uids as they are first seen. */
class UidNumbering {
  readonly byUid = new Map<string, number>();
  readonly uids: string[] = [];
  number(uid: string): number {
    let n = this.byUid.get(uid);
    if (n === undefined) {
      n = this.uids.length;
      this.byUid.set(uid, n);
      this.uids.push(uid);
    }
    return n;
  }
  uidAt(n: number): string {
    const uid = this.uids[n];
    if (uid === undefined) throw new RangeError(`no uid numbered ${n}`);
    return uid;
  }
}

/**
 * Streams snapshot records into an `Inventory`.
 *
 * @example
 * const b = new InventoryBuilder({ financiallySignificant: (id) => significant.has(id) });
 * b.addSnapshotHeader(header);
 * for (const r of records) { if ('principal' in r) b.addPrincipal(r.principal); else if ('grant' in r) b.addGrant(r.grant); else b.addEntitlement(r.entitlement); }
 * b.addFailedSource({ sourceId: 'sfdc', system: 'salesforce', error: 'login refused' });
 * const inventory = b.finish();
 */
export class InventoryBuilder {
  private readonly principals = new Map<string, Principal>();
  private readonly entitlements = new Map<string, Entitlement>();
  private readonly sources = new Map<string, SourceInfo>();
  private readonly people: Person[] = [];
  private readonly links: PersonLink[] = [];
  private readonly principalNumbers = new UidNumbering();
  private readonly entitlementNumbers = new UidNumbering();
  /** Per principal number: its grants and their entitlement numbers, until `finish()` packs them. */
  private readonly grantLists: (Grant[] | undefined)[] = [];
  private readonly entitlementLists: (number[] | undefined)[] = [];
  private grantCount = 0;
  private lastGrantPrincipal: string | undefined;
  private lastGrantNumber = 0;
  private finished = false;
  private readonly significant: (sourceId: string) => boolean;
  private readonly asOfMs: number | undefined;
  private readonly notInForce: Grant[] = [];

  constructor(options: InventoryBuilderOptions = {}) {
    this.significant = options.financiallySignificant ?? (() => false);
    this.asOfMs = options.asOf?.getTime();
  }

  addSnapshotHeader(header: SnapshotHeader, options: { financiallySignificant?: boolean } = {}): void {
    this.sources.set(header.sourceId, {
      sourceId: header.sourceId,
      system: header.system,
      tenant: header.tenant,
      status: 'collected',
      complete: header.complete,
      financiallySignificant: options.financiallySignificant ?? this.significant(header.sourceId),
      collectedAt: header.collectedAt,
      counts: header.counts,
      warnings: header.warnings,
      ...(header.evaluation ? { evaluation: header.evaluation } : {}),
    });
  }

  /** A source that produced no snapshot: recorded so its findings are never resolved. */
  addFailedSource(info: {
    sourceId: string;
    system: System;
    error: string;
    tenant?: string;
    financiallySignificant?: boolean;
  }): void {
    this.sources.set(info.sourceId, {
      sourceId: info.sourceId,
      system: info.system,
      tenant: info.tenant ?? '',
      status: 'failed',
      complete: false,
      financiallySignificant: info.financiallySignificant ?? this.significant(info.sourceId),
      warnings: [],
      error: info.error,
    });
  }

  /** Warnings the scan found in a source's records (activity after the as-of). */
  addSourceWarnings(sourceId: string, warnings: readonly string[]): void {
    const info = this.sources.get(sourceId);
    if (info) info.warnings = [...info.warnings, ...warnings];
  }

  // Records parsed from JSON carry a fresh string for every occurrence of a uid. Each record is
  // pointed at the first instance of its uids instead ("interning"): millions of duplicate strings
  // are dropped, and every later Map lookup hashes once and compares pointers.
  addPrincipal(principal: Principal): void {
    if (
      this.asOfMs !== undefined &&
      (principal.validFrom !== undefined || principal.validUntil !== undefined) &&
      !inForce(principal, this.asOfMs)
    ) {
      // Judged here, not by the connector: only the scan knows its as-of date.
      if (principal.status === 'active') principal.status = 'disabled';
      principal.tags = {
        ...principal.tags,
        [VALIDITY_TAG]: `outside its validity on the as-of date: ${windowText(principal)}`,
      };
    }
    const n = this.principalNumbers.number(principal.uid);
    principal.uid = this.principalNumbers.uids[n]!;
    this.principals.set(principal.uid, principal);
  }

  addEntitlement(entitlement: Entitlement): void {
    const n = this.entitlementNumbers.number(entitlement.uid);
    entitlement.uid = this.entitlementNumbers.uids[n]!;
    this.entitlements.set(entitlement.uid, entitlement);
  }

  addGrant(grant: Grant): void {
    if (
      this.asOfMs !== undefined &&
      (grant.validFrom !== undefined || grant.validUntil !== undefined) &&
      !inForce(grant, this.asOfMs)
    ) {
      this.notInForce.push(grant);
      return;
    }
    // Exports list a principal's grants together: the same uid as the last grant's skips the lookup.
    let p: number;
    if (grant.principal === this.lastGrantPrincipal) p = this.lastGrantNumber;
    else {
      p = this.principalNumbers.number(grant.principal);
      this.lastGrantPrincipal = grant.principal;
      this.lastGrantNumber = p;
    }
    const e = this.entitlementNumbers.number(grant.entitlement);
    grant.principal = this.principalNumbers.uids[p]!;
    grant.entitlement = this.entitlementNumbers.uids[e]!;
    for (let i = 0; i < grant.path.length; i++) {
      grant.path[i] = this.entitlementNumbers.uids[this.entitlementNumbers.number(grant.path[i]!)]!;
    }
    const grants = this.grantLists[p];
    if (grants) {
      grants.push(grant);
      this.entitlementLists[p]!.push(e);
    } else {
      // Fill any gap so the lists stay dense arrays, not dictionaries.
      while (this.grantLists.length < p) {
        this.grantLists.push(undefined);
        this.entitlementLists.push(undefined);
      }
      this.grantLists[p] = [grant];
      this.entitlementLists[p] = [e];
    }
    this.grantCount++;
  }

  /** A person of an HR source: not a principal, the authority principals are matched to. */
  addPerson(person: Person): void {
    this.people.push(person);
  }

  /** A manual correlation link of an HR source. */
  addLink(link: PersonLink): void {
    this.links.push(link);
  }

  /** Adds a whole parsed snapshot (tests, small sources). */
  addSnapshot(snapshot: {
    header: SnapshotHeader;
    principals: readonly Principal[];
    entitlements: readonly Entitlement[];
    grants: readonly Grant[];
  }): void {
    this.addSnapshotHeader(snapshot.header);
    for (const p of snapshot.principals) this.addPrincipal(p);
    for (const e of snapshot.entitlements) this.addEntitlement(e);
    for (const g of snapshot.grants) this.addGrant(g);
  }

  /**
   * Correlates identities, packs the grant graph and freezes the inventory. Call once.
   *
   * `prepared`: identities and people directory computed elsewhere over a larger inventory (a scan
   * shard holds part of the run; plan-shards correlated all of it). Every principal of a prepared
   * identity must be in this builder; `principalsWithEmail` answers from this builder's principals.
   */
  finish(prepared?: PreparedCorrelation): Inventory {
    if (this.finished) throw new Error('InventoryBuilder.finish() called twice');
    this.finished = true;
    let directory: PeopleDirectory;
    let correlation: Correlation;
    if (prepared) {
      directory = prepared.directory;
      correlation = preparedCorrelation(prepared.identities, this.principals);
    } else {
      const correlated = correlate(this.principals.values());
      // HR people found only in sources that failed are never used: the snapshot did not arrive.
      directory = resolvePeople({
        principals: this.principals.values(),
        people: this.people,
        links: this.links,
        sources: this.sources.values(),
        identities: correlated.identities,
      });
      correlation = withIdentities(
        correlated,
        regroupByPerson(correlated.identities, this.principals, directory),
      );
    }
    const pn = this.principalNumbers;
    const principalCount = pn.uids.length;

    const grantOffsets = new Int32Array(principalCount + 1);
    for (let p = 0; p < principalCount; p++) {
      grantOffsets[p + 1] = grantOffsets[p]! + (this.grantLists[p]?.length ?? 0);
    }
    const grantEntitlements = new Int32Array(this.grantCount);
    const grantsByPrincipal = new Map<string, readonly Grant[]>();
    for (let p = 0; p < principalCount; p++) {
      const list = this.entitlementLists[p];
      if (!list) continue;
      grantEntitlements.set(list, grantOffsets[p]!);
      this.entitlementLists[p] = undefined; // packed: let the collector have it
      grantsByPrincipal.set(pn.uids[p]!, this.grantLists[p]!);
    }

    const active = new Uint8Array(principalCount);
    for (const principal of this.principals.values()) {
      if (principal.status === 'active') active[pn.byUid.get(principal.uid)!] = 1;
    }

    const identities = correlation.identities;
    const identityOffsets = new Int32Array(identities.length + 1);
    let members = 0;
    for (const identity of identities) members += identity.principals.length;
    const identityPrincipals = new Int32Array(members);
    let k = 0;
    identities.forEach((identity, j) => {
      for (const uid of identity.principals) identityPrincipals[k++] = pn.byUid.get(uid)!;
      identityOffsets[j + 1] = k;
    });

    const en = this.entitlementNumbers;
    const index: InventoryIndex = {
      principalCount,
      principalUidAt: (n) => pn.uidAt(n),
      principalIndexOf: (uid) => pn.byUid.get(uid),
      active,
      entitlementCount: en.uids.length,
      entitlementUidAt: (n) => en.uidAt(n),
      entitlementIndexOf: (uid) => en.byUid.get(uid),
      grantOffsets,
      grantEntitlements,
      identityOffsets,
      identityPrincipals,
    };
    return new BuiltInventory(
      this.principals,
      this.entitlements,
      grantsByPrincipal,
      this.grantCount,
      this.sources,
      correlation,
      index,
      this.notInForce,
      directory,
    );
  }
}

/** Identities (sorted by id) and a people directory computed over the whole run. */
export interface PreparedCorrelation {
  identities: Identity[];
  directory: PeopleDirectory;
}

/** The prepared identities, and the principals by email as `correlate` lists them (by uid). */
function preparedCorrelation(
  identities: Identity[],
  principals: ReadonlyMap<string, Principal>,
): Correlation {
  const identityByPrincipal = new Map<string, Identity>();
  for (const identity of identities) {
    for (const uid of identity.principals) {
      if (!principals.has(uid)) throw new Error(`prepared identity ${identity.id}: no principal ${uid}`);
      identityByPrincipal.set(uid, identity);
    }
  }
  const principalsByEmail = new Map<string, Principal[]>();
  for (const p of [...principals.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0))) {
    const email = normalizeEmail(p.email);
    if (email === undefined) continue;
    const list = principalsByEmail.get(email);
    if (list) list.push(p);
    else principalsByEmail.set(email, [p]);
  }
  return { identities, identityByPrincipal, principalsByEmail };
}

function withIdentities(correlation: Correlation, identities: Identity[]): Correlation {
  if (identities === correlation.identities) return correlation;
  const identityByPrincipal = new Map<string, Identity>();
  for (const identity of identities) {
    for (const uid of identity.principals) identityByPrincipal.set(uid, identity);
  }
  return { identities, identityByPrincipal, principalsByEmail: correlation.principalsByEmail };
}

class BuiltInventory implements Inventory {
  readonly identities: readonly Identity[];
  constructor(
    readonly principals: ReadonlyMap<string, Principal>,
    readonly entitlements: ReadonlyMap<string, Entitlement>,
    readonly grantsByPrincipal: ReadonlyMap<string, readonly Grant[]>,
    readonly grantCount: number,
    readonly sources: ReadonlyMap<string, SourceInfo>,
    private readonly correlation: Correlation,
    readonly index: InventoryIndex,
    readonly grantsNotInForce: readonly Grant[] = [],
    readonly directory: PeopleDirectory,
  ) {
    this.identities = correlation.identities;
  }

  identityOf(principalUid: string): Identity | undefined {
    return this.correlation.identityByPrincipal.get(principalUid);
  }

  principalsWithEmail(email: string): readonly Principal[] {
    const key = normalizeEmail(email);
    return (key !== undefined && this.correlation.principalsByEmail.get(key)) || NO_PRINCIPALS;
  }

  grantsOf(principalUid: string): readonly Grant[] {
    return this.grantsByPrincipal.get(principalUid) ?? NO_GRANTS;
  }

  principalGrants(principalUid: string): PrincipalGrants | undefined {
    const p = this.index.principalIndexOf(principalUid);
    const grants = this.grantsByPrincipal.get(principalUid);
    if (p === undefined || !grants) return undefined;
    const { grantOffsets, grantEntitlements } = this.index;
    return { grants, entitlements: grantEntitlements.subarray(grantOffsets[p]!, grantOffsets[p + 1]!) };
  }
}
