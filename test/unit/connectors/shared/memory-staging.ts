/**
 * Test support for file-mode connectors: an in-memory SnapshotStaging and a helper that drives a
 * connector through the real collection driver and hands back the parsed snapshot.
 */
import { type CollectOutcome, collectSource, type Deadline } from '../../../../core/collect-driver';
import type { AnyConnector } from '../../../../core/connector';
import type { Entitlement, Grant, Principal } from '../../../../core/model';
import type { SnapshotHeader } from '../../../../core/snapshot';
import { MemoryStaging } from '../../../support/memory-staging';

export { MemoryStaging } from '../../../support/memory-staging';

export interface Collected {
  header: SnapshotHeader;
  text: string;
  principals: Principal[];
  entitlements: Entitlement[];
  grants: Grant[];
}

export const NOW = () => new Date('2026-10-01T00:00:00Z');
export const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function parseSnapshot(text: string): Collected {
  const [head, ...lines] = text.split('\n');
  const out: Collected = {
    header: JSON.parse(head ?? '{}'),
    text,
    principals: [],
    entitlements: [],
    grants: [],
  };
  for (const line of lines) {
    const r = JSON.parse(line);
    if (r.principal) out.principals.push(r.principal);
    else if (r.entitlement) out.entitlements.push(r.entitlement);
    else out.grants.push(r.grant);
  }
  return out;
}

/** Collect one source to completion (no deadline) and parse the snapshot. */
export async function collectAll(connector: AnyConnector, source: { id: string }): Promise<Collected> {
  const staging = new MemoryStaging();
  const outcome = await collectSource({
    connector,
    source,
    key: `run/${source.id}`,
    staging,
    now: NOW,
    logger: quietLogger,
  });
  if (outcome.status !== 'complete')
    throw new Error(`expected a complete collection, got ${JSON.stringify(outcome)}`);
  return parseSnapshot(staging.finals.get(`run/${source.id}`) as string);
}

/** A deadline that allows `steps` connector steps, then asks the driver to pause. */
export function deadlineAfter(steps: number): Deadline {
  let left = steps;
  return { remainingMs: () => (left-- > 0 ? 10_000 : 0), marginMs: 1_000 };
}

export async function collectWith(
  connector: AnyConnector,
  source: { id: string },
  staging: MemoryStaging,
  extra: { deadline?: Deadline; cursor?: string } = {},
): Promise<CollectOutcome> {
  return collectSource({
    connector,
    source,
    key: `run/${source.id}`,
    staging,
    now: NOW,
    logger: quietLogger,
    ...extra,
  });
}
