/**
 * The inventory a scan evaluates: every source's principals, entitlements and grants, indexed once,
 * plus the correlated identities. Built by streaming records into an `InventoryBuilder`, so the
 * pipeline never holds a second copy of 2M grants: records are stored by reference, indexed in
 * Maps, and nothing is quadratic.
 */
import { type Correlation, correlate, normalizeEmail } from './correlate';
import type { Entitlement, Grant, Identity, Principal, System } from './model';
import type { SnapshotCounts, SnapshotHeader } from './snapshot';

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
}

export interface InventoryBuilderOptions {
  /** Default for `financiallySignificant` when a header or failed source does not say. */
  financiallySignificant?: (sourceId: string) => boolean;
}

const NO_GRANTS: readonly Grant[] = Object.freeze([]);
const NO_PRINCIPALS: readonly Principal[] = Object.freeze([]);

/**
 * Streams snapshot records into an `Inventory`.
 *
 * @example
 * const b = new InventoryBuilder({ financiallySignificant: (id) => config.sources.find((s) => s.id === id)?.financiallySignificant ?? false });
 * b.addSnapshotHeader(header);
 * for (const r of records) { if ('principal' in r) b.addPrincipal(r.principal); else if ('grant' in r) b.addGrant(r.grant); else b.addEntitlement(r.entitlement); }
 * b.addFailedSource({ sourceId: 'sfdc', system: 'salesforce', error: 'login refused' });
 * const inventory = b.finish();
 */
export class InventoryBuilder {
  private readonly principals = new Map<string, Principal>();
  private readonly entitlements = new Map<string, Entitlement>();
  private readonly grants = new Map<string, Grant[]>();
  private readonly sources = new Map<string, SourceInfo>();
  private grantCount = 0;
  private finished = false;
  private readonly significant: (sourceId: string) => boolean;

  constructor(options: InventoryBuilderOptions = {}) {
    this.significant = options.financiallySignificant ?? (() => false);
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

  addPrincipal(principal: Principal): void {
    this.principals.set(principal.uid, principal);
  }

  addEntitlement(entitlement: Entitlement): void {
    this.entitlements.set(entitlement.uid, entitlement);
  }

  addGrant(grant: Grant): void {
    const list = this.grants.get(grant.principal);
    if (list) list.push(grant);
    else this.grants.set(grant.principal, [grant]);
    this.grantCount++;
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

  /** Correlates identities and freezes the inventory. The builder cannot be used afterwards. */
  finish(): Inventory {
    if (this.finished) throw new Error('InventoryBuilder.finish() called twice');
    this.finished = true;
    return new BuiltInventory(
      this.principals,
      this.entitlements,
      this.grants,
      this.grantCount,
      this.sources,
      correlate(this.principals.values()),
    );
  }
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
}
