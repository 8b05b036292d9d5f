/**
 * The snapshot lines each scan shard reads (issue 18): plan-shards reads every snapshot once and
 * writes, per shard and source, the lines that shard keeps, in snapshot order, so a shard reads
 * about 1/N of the grants instead of gunzipping and splitting all of them (20M lines at 10x, in
 * each of 11 shards).
 *
 * A shard keeps: the header; its own principals' records and grants (an identity's principals
 * are the shard's of that identity); the grants of a principal without a record whose uid hashes
 * to it; the record and grants of every assumable AWS role (in every shard); every entitlement
 * (in every shard). People and links are not kept (the directory comes resolved in the context).
 * The kept lines are the very lines, in the very order, the shard kept when it read the whole
 * snapshot, so its inventory (and the uid numbering its engine iterates in) is the same.
 *
 * A principal line is written as `<ordinal> <line>`: its position among the source's principals
 * (the late-activity warnings are ordered by it). No JSON line starts with a digit.
 */
import { type RunStore, runStoreLineBatches, type SnapshotSource, snapshotLineBatches } from '../ports';
import { shardOf } from './shard-plan';

/** A shard's lines of one source, part `part` (parts are read in order). */
export const shardLinesKey = (runId: string, shard: number, source: number, part: number) =>
  `runs/${runId}/shards/lines-${shard}/${source}-${part}.jsonl`;

/** Where each principal's lines go: plan-shards' answers. */
export interface LineRouting {
  count: number;
  /** Principal uid → the shard of its identity (principals in no identity: absent). */
  ownerOf: ReadonlyMap<string, number>;
  /** Every principal uid with a record in the run (the key indexes). */
  known: ReadonlySet<string>;
  /** Assumable AWS roles: record and grants in every shard. */
  assumable: ReadonlySet<string>;
}

export const GRANT_PREFIX = '{"grant":{"principal":"';
export const PRINCIPAL_PREFIX = '{"principal":';
const ENTITLEMENT_PREFIX = '{"entitlement":';
const PERSON_PREFIX = '{"person":';
const LINK_PREFIX = '{"link":';

/** Characters a shard's buffered lines of one source may reach before they are written as a part. */
const PART_CHARS = 1 << 24;
/** All shards' buffered lines together stay under about this many characters (~256 MB). */
const BUFFERED_CHARS = 1 << 27;

/**
 * The principal uid of a grant line without parsing it, when the line starts the usual way
 * (connectors write `principal` first); undefined otherwise (then the line is parsed).
 */
export function grantPrincipalOf(line: string): string | undefined {
  if (!line.startsWith(GRANT_PREFIX)) return undefined;
  const end = line.indexOf('"', GRANT_PREFIX.length);
  if (end < 0) return undefined;
  const raw = line.slice(GRANT_PREFIX.length, end);
  // An escape inside the uid: let JSON.parse decode it.
  return raw.includes('\\') ? undefined : raw;
}

/**
 * Reads one source's snapshot and writes each shard's lines of it (`shardLinesKey`), checking
 * every principal line against the key index (`uids`: the source's principals in order). Returns
 * the parts written per shard (at least one: the header).
 *
 * @example
 * const parts = await partitionSource({ runStore, snapshots, runId, location, sourceNo: 0, uids, routing });
 */
export async function partitionSource(input: {
  runStore: RunStore;
  snapshots: SnapshotSource;
  runId: string;
  sourceId: string;
  location: string;
  sourceNo: number;
  uids: readonly string[];
  routing: LineRouting;
  /** Characters of one part (default: 16 Mi, less with many shards). */
  partChars?: number;
}): Promise<number[]> {
  const { runStore, runId, sourceNo, uids, routing } = input;
  const { count, ownerOf, known, assumable } = routing;
  const buffers: string[][] = Array.from({ length: count }, () => []);
  const sizes: number[] = Array(count).fill(0);
  const parts: number[] = Array(count).fill(0);
  const partChars =
    input.partChars ?? Math.max(1 << 18, Math.min(PART_CHARS, Math.floor(BUFFERED_CHARS / count)));
  const flush = async (shard: number) => {
    await runStore.putLines(shardLinesKey(runId, shard, sourceNo, parts[shard]!), buffers[shard]!);
    parts[shard]!++;
    buffers[shard] = [];
    sizes[shard] = 0;
  };
  // Lines are added synchronously (no promise per line: millions of them) and a shard's buffer is
  // written once it is full, after the line that filled it.
  const full: number[] = [];
  const add = (shard: number, line: string) => {
    buffers[shard]!.push(line);
    sizes[shard]! += line.length;
    if (sizes[shard]! >= partChars && sizes[shard]! - line.length < partChars) full.push(shard);
  };
  const toAll = (line: string) => {
    for (let s = 0; s < count; s++) add(s, line);
  };
  /** The shard a principal's grants go to, -1 for every shard, undefined for none. */
  const grantShard = (uid: string): number | undefined => {
    if (assumable.has(uid)) return -1;
    const owner = ownerOf.get(uid);
    if (owner !== undefined) return owner;
    return known.has(uid) ? undefined : shardOf(`principal:${uid}`, count);
  };
  // A principal's grants are consecutive lines: the last answer is kept.
  let lastUid: string | undefined;
  let lastShard: number | undefined;

  let ordinal = 0;
  let first = true;
  const one = (line: string) => {
    if (first) {
      first = false;
      toAll(line);
      return;
    }
    if (line.startsWith(PRINCIPAL_PREFIX)) {
      const uid = uids[ordinal];
      if (uid === undefined)
        throw new Error(`plan-shards: ${input.sourceId} has more principals than its key index`);
      const at = ordinal++;
      if (assumable.has(uid)) toAll(`${at} ${line}`);
      else {
        const owner = ownerOf.get(uid);
        if (owner !== undefined) add(owner, `${at} ${line}`);
      }
      // A record line that is not the key index's principal is caught by the shard's check.
      return;
    }
    let uid = grantPrincipalOf(line);
    if (uid === undefined) {
      if (line.startsWith(ENTITLEMENT_PREFIX)) {
        toAll(line);
        return;
      }
      if (line.startsWith(PERSON_PREFIX) || line.startsWith(LINK_PREFIX)) return;
      const rec = JSON.parse(line) as {
        grant?: { principal: string };
        principal?: { uid: string };
        entitlement?: unknown;
      };
      if (rec.principal)
        throw new Error(
          `plan-shards: ${input.sourceId}: principal ${rec.principal.uid} is not where its key index says`,
        );
      if (rec.entitlement) toAll(line);
      if (!rec.grant) return;
      uid = rec.grant.principal;
    }
    if (uid !== lastUid) {
      lastUid = uid;
      lastShard = grantShard(uid);
    }
    if (lastShard === undefined) return;
    if (lastShard < 0) toAll(line);
    else add(lastShard, line);
  };
  // A batch of lines at a time (one promise per batch, not per line); full buffers are written
  // between batches.
  for await (const batch of snapshotLineBatches(input.snapshots, input.location)) {
    for (const line of batch) one(line);
    if (full.length > 0) {
      for (const shard of full) await flush(shard);
      full.length = 0;
    }
  }
  if (ordinal !== uids.length)
    throw new Error(`plan-shards: ${input.sourceId} has ${ordinal} principals, its key index ${uids.length}`);
  for (let s = 0; s < count; s++) if (buffers[s]!.length > 0 || parts[s] === 0) await flush(s);
  return parts;
}

/**
 * A shard's lines of one source, parts in order, in batches. A missing part is an error (plan-shards wrote
 * them all before any context).
 */
export async function* shardLines(
  runStore: RunStore,
  runId: string,
  shard: number,
  sourceNo: number,
  parts: number,
): AsyncGenerator<string[]> {
  for (let part = 0; part < parts; part++) {
    const key = shardLinesKey(runId, shard, sourceNo, part);
    const batches = await runStoreLineBatches(runStore, key);
    if (!batches) throw new Error(`scan-shard: no ${key} (plan-shards writes it)`);
    yield* batches;
  }
}
