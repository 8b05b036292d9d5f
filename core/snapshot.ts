/**
 * SystemSnapshot (docs/staging.md): a header line, then one JSON line per record.
 *
 * Record lines are one-key objects — `{"principal":{…}}`, `{"entitlement":{…}}`, `{"grant":{…}}` —
 * because `type` and `kind` are already fields of the records themselves.
 */
import type { Entitlement, Grant, Person, PersonLink, Principal, System } from './model';

/** One upstream operation as completeness evidence: what was asked, how often, what came back. */
export interface QueryRecord {
  /** e.g. `iam:GetAccountAuthorizationDetails`, `GET /v1.0/users`, `SOQL User`, `file:users.csv`. */
  operation: string;
  /** Request parameters that define the question (filters, `$select`, SOQL text). Never a token or marker. */
  params?: Record<string, string>;
  /** Requests made, retries included. */
  calls: number;
  /** Pages received. */
  pages: number;
  /** Records received. */
  records: number;
  /** Total the upstream said exists, when it says (`totalSize`, `@odata.count`). */
  expected?: number;
}

export interface SnapshotCounts {
  principals: number;
  entitlements: number;
  grants: number;
  /** HR sources: person records (absent for every other system). */
  people?: number;
}

export interface SnapshotHeader {
  type: 'snapshot';
  system: System;
  tenant: string;
  sourceId: string;
  collectedAt: string;
  connector: string;
  connectorVersion: string;
  mode: 'api' | 'files';
  /** Total upstream requests (sum of `queries[].calls`). */
  calls: number;
  queries: QueryRecord[];
  counts: SnapshotCounts;
  complete: boolean;
  warnings: string[];
  /** What the access answers built on this snapshot take into account (AWS; issue 13). */
  evaluation?: SnapshotEvaluation;
}

/** One level of an AWS Organizations policy hierarchy: the root, an OU or the account. */
export interface ControlPolicyLevel {
  /** `r-…`, `ou-…` or the account id. */
  target: string;
  /** Entitlement uids of the policies attached there. */
  policies: string[];
}

/**
 * Which kinds of policy the source's access answers take into account, and the Organizations
 * policies that bound the account.
 */
export interface SnapshotEvaluation {
  /** Policy kind (`permissions boundaries`, `SCPs`, …) → `evaluated`, or why not. */
  policies: Record<string, string>;
  /**
   * The SCPs in force, root first, then each OU down to the account: an action must be allowed at
   * every level. Absent: no SCP applies (management account, or none collected).
   */
  serviceControlLevels?: ControlPolicyLevel[];
  /** The RCPs in force on the account's resources, the same way. */
  resourceControlLevels?: ControlPolicyLevel[];
}

export type SnapshotRecord =
  | { principal: Principal }
  | { entitlement: Entitlement }
  | { grant: Grant }
  | { person: Person }
  | { link: PersonLink };

/** Everything a snapshot holds, parsed. */
export interface SystemSnapshot {
  header: SnapshotHeader;
  principals: Principal[];
  entitlements: Entitlement[];
  grants: Grant[];
}

export function encodeRecordLine(record: SnapshotRecord): string {
  return JSON.stringify(record);
}

/** Record kinds of a kept part, in the order of {@link SnapshotRecord}'s keys. */
export const RECORD_KINDS = ['principal', 'entitlement', 'grant', 'person', 'link'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/**
 * One part's records kept in memory: `records[i]` is the value of line i's single key, whose
 * index in {@link RECORD_KINDS} is `kinds[i]`. (No one-key wrapper object per record.)
 */
export interface KeptPart {
  kinds: Uint8Array;
  records: unknown[];
}

/** A snapshot's header and parts kept in memory by the staging that wrote it. */
export interface KeptSnapshot {
  header: SnapshotHeader;
  parts: readonly KeptPart[];
}

/** The path of every direct grant: one frozen empty array shared by all, never one array each. */
export const NO_PATH = Object.freeze([]) as unknown as string[];

/**
 * A direct grant (no path) as a connector that emits millions of them builds it (ERP exports).
 * Its line is `{"grant":…}` with `JSON.stringify`'s bytes like any record's, but the collect driver
 * writes it from cached pieces instead of serializing each one. Fields in this order, `grantedAt`
 * set only when known; never add another field to one (the driver would not write it: it checks
 * the grant fields it knows of and serializes any other grant the ordinary way).
 */
export class DirectGrant implements Grant {
  principal: string;
  entitlement: string;
  path: string[];
  declare grantedAt?: string;

  constructor(principal: string, entitlement: string, grantedAt?: string) {
    this.principal = principal;
    this.entitlement = entitlement;
    this.path = NO_PATH;
    if (grantedAt !== undefined) this.grantedAt = grantedAt;
  }
}
