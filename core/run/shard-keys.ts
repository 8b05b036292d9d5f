/**
 * The key index of a source (issue 18): one small line per principal, written by collect beside
 * the snapshot, so that plan-shards can correlate every principal of the run without reading the
 * grants, and every scan shard can see the principals of other shards the rules look up across
 * identities (an NHI's owner by email, the carriers of an ambiguous email, an identity's display
 * name) without their credentials, activity or grants.
 *
 * A key record is the principal as its snapshot line holds it minus what only rules about the
 * principal itself read (credentials, activity, owners, AWS facts, creation time): the person keys
 * correlation joins by (email, employee id), and what the people directory and the cross-identity
 * look-ups read (system, kind, type, status, validity window, name, tags).
 */
import type { PolicyStatement, Principal } from '../model';
import type { SnapshotRef } from '../ports';
import type { SnapshotHeader } from '../snapshot';

/** One principal of the key index (`{"key":…}` lines after the header). */
export interface KeyRecord {
  uid: string;
  system: Principal['system'];
  tenant: string;
  sourceId: string;
  nativeId: string;
  name: string;
  kind: Principal['kind'];
  type: string;
  status: Principal['status'];
  email?: string;
  employeeId?: string;
  tags: Record<string, string>;
  validFrom?: string;
  validUntil?: string;
  /**
   * A non-human principal's owners (uids or emails): plan-shards gives the owning shard the owners'
   * principals and carriers of their emails, which NHI-ORPHANED reads.
   */
  owners?: string[];
  /**
   * An AWS role whose trust policy lets in something other than a service (an AWS principal, an
   * account, `*`, an identity provider): a principal of another shard may assume it, so every
   * shard loads its record and grants. A role only services assume reaches no principal.
   */
  assumable?: true;
}

/** The header line of a key index file. */
export interface KeyIndexHeader {
  type: 'key-index';
  sourceId: string;
  /** Key lines that follow: one per principal line of the snapshot, in the same order. */
  principals: number;
  /** The snapshot's own header line, so plan-shards reads no snapshot but the HR ones. */
  snapshot: SnapshotHeader;
}

/**
 * The staging key of a source's key index: beside the snapshot's (`<runId>/<sourceId>`). The
 * suffix holds a dot, which no run id has, so it never names another source's parts.
 */
export function keyIndexStagingKey(snapshotKey: string): string {
  return `${snapshotKey}.keyindex`;
}

/** What `keyRecordOf` keeps of a principal. */
export function keyRecordOf(p: Principal): KeyRecord {
  const k: KeyRecord = {
    uid: p.uid,
    system: p.system,
    tenant: p.tenant,
    sourceId: p.sourceId,
    nativeId: p.nativeId,
    name: p.name,
    kind: p.kind,
    type: p.type,
    status: p.status,
    tags: p.tags,
  };
  if (p.email !== undefined) k.email = p.email;
  if (p.employeeId !== undefined) k.employeeId = p.employeeId;
  if (p.validFrom !== undefined) k.validFrom = p.validFrom;
  if (p.validUntil !== undefined) k.validUntil = p.validUntil;
  if (p.kind === 'nonhuman' && p.owners.length > 0) k.owners = p.owners;
  if (p.aws?.trustPolicy?.some(reachesPrincipals)) k.assumable = true;
  return k;
}

/**
 * Whether a trust statement may let in a principal of the inventory (core/sod/role-reach.ts): an
 * Allow naming anything but services (`AWS`, `*`, `Federated`), or a NotPrincipal. Services reach
 * no principal.
 */
function reachesPrincipals(s: PolicyStatement): boolean {
  if (s.effect !== 'Allow') return false;
  if (s.notPrincipal) return true;
  return Object.entries(s.principal ?? {}).some(([kind, values]) => kind !== 'Service' && values.length > 0);
}

/**
 * The principal a key record stands for in a shard that does not own it: no credentials, no
 * activity (owners only of a non-human principal). Only cross-identity look-ups read it; rules about it run in its own shard.
 */
export function principalOfKey(k: KeyRecord): Principal {
  const p: Principal = {
    uid: k.uid,
    system: k.system,
    tenant: k.tenant,
    sourceId: k.sourceId,
    nativeId: k.nativeId,
    name: k.name,
    kind: k.kind,
    type: k.type,
    status: k.status,
    owners: k.owners ? [...k.owners] : [],
    credentials: [],
    tags: { ...k.tags },
  };
  if (k.email !== undefined) p.email = k.email;
  if (k.employeeId !== undefined) p.employeeId = k.employeeId;
  if (k.validFrom !== undefined) p.validFrom = k.validFrom;
  if (k.validUntil !== undefined) p.validUntil = k.validUntil;
  return p;
}

/** A source's key index as collect staged it. */
export type KeyIndexRef = SnapshotRef;
