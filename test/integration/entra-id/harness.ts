/**
 * Runs the Entra connector through the real collection driver into memory, against the local Graph
 * imitation or a files-mode folder, and captures everything it logs.
 */
import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import { createEntraConnector, type EntraConnectorOptions } from '../../../connectors/entra-id';
import { type CollectOutcome, collectSource, type Deadline } from '../../../core/collect-driver';
import { entraSourceSchema, policySchema } from '../../../core/config';
import type { Logger } from '../../../core/connector';
import type { FindingDraft } from '../../../core/findings/model';
import { InventoryBuilder } from '../../../core/inventory';
import { evaluateRules } from '../../../core/rules';
import type { SnapshotHeader } from '../../../core/snapshot';
import type { CompiledRuleset } from '../../../core/sod';
import { MemoryStaging } from '../../support/memory-staging';

export { MemoryStaging } from '../../support/memory-staging';

/** Every log call as one JSON line, to search for secrets. */
export function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, message, fields }));
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const fakeTokenProvider = (token: string): AuthenticationProvider => ({
  getAccessToken: async () => token,
});

export interface Collected {
  outcome: CollectOutcome;
  header?: SnapshotHeader;
  /** Record lines (after the header). */
  lines: string[];
  text: string;
  logs: string[];
  staging: MemoryStaging;
}

export interface CollectOptions {
  source: Record<string, unknown>;
  connector?: EntraConnectorOptions;
  deadline?: Deadline;
  cursor?: string;
  staging?: MemoryStaging;
  logger?: Logger & { lines: string[] };
}

export const NOW = () => new Date('2026-10-01T06:00:00Z');

export async function collect(options: CollectOptions): Promise<Collected> {
  const staging = options.staging ?? new MemoryStaging();
  const logger = options.logger ?? capturingLogger();
  const source = entraSourceSchema.parse(options.source);
  const outcome = await collectSource({
    connector: createEntraConnector(options.connector ?? {}),
    source,
    key: `run-1/${source.id}`,
    staging,
    now: NOW,
    logger,
    ...(options.deadline ? { deadline: options.deadline } : {}),
    ...(options.cursor ? { cursor: options.cursor } : {}),
  });
  const text = staging.finals.get(`run-1/${source.id}`) ?? '';
  const [head, ...lines] = text ? text.split('\n') : [];
  return {
    outcome,
    ...(head ? { header: JSON.parse(head) as SnapshotHeader } : {}),
    lines,
    text,
    logs: logger.lines,
    staging,
  };
}

export function recordsOf(lines: string[]) {
  const principals = lines.filter((l) => l.startsWith('{"principal"')).map((l) => JSON.parse(l).principal);
  const entitlements = lines
    .filter((l) => l.startsWith('{"entitlement"'))
    .map((l) => JSON.parse(l).entitlement);
  const grants = lines.filter((l) => l.startsWith('{"grant"')).map((l) => JSON.parse(l).grant);
  return { principals, entitlements, grants };
}

/** The rules' view of one collected snapshot, judged as of `asOf`. */
export function findingsOf(
  c: Collected,
  asOf = '2026-10-01T00:00:00Z',
  sod?: CompiledRuleset,
): FindingDraft[] {
  if (!c.header) throw new Error(`no snapshot: ${JSON.stringify(c.outcome)}`);
  const b = new InventoryBuilder();
  b.addSnapshotHeader(c.header, { financiallySignificant: true });
  const r = recordsOf(c.lines);
  for (const p of r.principals) b.addPrincipal(p);
  for (const e of r.entitlements) b.addEntitlement(e);
  for (const g of r.grants) b.addGrant(g);
  return evaluateRules(b.finish(), {
    asOf: new Date(asOf),
    policy: policySchema.parse({}),
    sod,
    financiallySignificant: () => true,
  });
}

/** Drafts as `RULE name` lines, for readable assertions. */
export function ruleHits(drafts: FindingDraft[], principalsByUid: Map<string, { name: string }>): string[] {
  return drafts.map(
    (d) => `${d.rule} ${d.subject.principals.map((u) => principalsByUid.get(u)?.name ?? u).join(',')}`,
  );
}
