/**
 * Test-data factories: `makePrincipal(overrides)`, `makeEntitlement(overrides)`, `makeGrant(...)`,
 * `makeHeader(...)`, `buildInventory(...)`. Defaults are a valid, active, human ERP record; uids
 * follow `<system>:<tenant>:<nativeId>` so overriding `system` / `nativeId` keeps them consistent.
 */
import { type Policy, policySchema } from '../../core/config';
import { type Inventory, InventoryBuilder } from '../../core/inventory';
import {
  type Entitlement,
  type Grant,
  makeUid,
  type Person,
  type PersonLink,
  type PolicyStatement,
  type Principal,
  type System,
} from '../../core/model';
import type { SnapshotHeader } from '../../core/snapshot';

/** The default source id (and, for ERP, tenant) of each system in tests. */
export const TEST_SOURCE: Record<System, string> = {
  erp: 'erp-test',
  aws: 'aws-test',
  entra: 'entra-test',
  salesforce: 'sfdc-test',
  sap: 'sap-test',
  hr: 'hr-test',
};
export const TEST_TENANT: Record<System, string> = {
  erp: 'erp-test',
  aws: '123456789012',
  entra: '00000000-0000-0000-0000-000000000001',
  salesforce: '00D000000000001',
  sap: 'sap-test',
  hr: 'hr-test',
};

let seq = 0;
const next = () => ++seq;

/**
 * @example
 * makePrincipal({ system: 'aws', nativeId: 'arn:aws:iam::123456789012:role/batch', kind: 'nonhuman', type: 'iam-role' });
 */
export function makePrincipal(overrides: Partial<Principal> = {}): Principal {
  const system = overrides.system ?? 'erp';
  const tenant = overrides.tenant ?? TEST_TENANT[system];
  const nativeId = overrides.nativeId ?? `user-${next()}`;
  return {
    uid: makeUid(system, tenant, nativeId),
    system,
    tenant,
    sourceId: TEST_SOURCE[system],
    nativeId,
    name: nativeId,
    kind: 'human',
    type: 'user',
    status: 'active',
    owners: [],
    credentials: [],
    tags: {},
    ...overrides,
  };
}

/** A non-human principal (an ERP service user unless overridden). */
export function makeNhi(overrides: Partial<Principal> = {}): Principal {
  return makePrincipal({ kind: 'nonhuman', type: 'erp-service-user', ...overrides });
}

/**
 * @example
 * makeEntitlement({ name: 'AP Payment Release', permissions: ['F110'] });
 */
export function makeEntitlement(overrides: Partial<Entitlement> = {}): Entitlement {
  const system = overrides.system ?? 'erp';
  const tenant = overrides.tenant ?? TEST_TENANT[system];
  const nativeId = overrides.nativeId ?? `role-${next()}`;
  return {
    uid: makeUid(system, tenant, nativeId),
    system,
    tenant,
    sourceId: TEST_SOURCE[system],
    nativeId,
    type: system === 'aws' ? 'managed-policy' : 'erp-role',
    name: nativeId,
    privileged: false,
    permissions: [],
    ...overrides,
  };
}

/** An AWS policy entitlement holding `statements`. */
export function makePolicy(
  name: string,
  statements: PolicyStatement[],
  overrides: Partial<Entitlement> = {},
) {
  return makeEntitlement({
    system: 'aws',
    nativeId: `arn:aws:iam::${TEST_TENANT.aws}:policy/${name}`,
    name,
    type: 'managed-policy',
    statements,
    ...overrides,
  });
}

/**
 * @example
 * makeGrant(principal, role); makeGrant(user, policy, { path: [group.uid] });
 */
export function makeGrant(
  principal: Principal | string,
  entitlement: Entitlement | string,
  overrides: Partial<Grant> = {},
): Grant {
  return {
    principal: typeof principal === 'string' ? principal : principal.uid,
    entitlement: typeof entitlement === 'string' ? entitlement : entitlement.uid,
    path: [],
    ...overrides,
  };
}

export function makeHeader(overrides: Partial<SnapshotHeader> = {}): SnapshotHeader {
  const system = overrides.system ?? 'erp';
  return {
    type: 'snapshot',
    system,
    tenant: TEST_TENANT[system],
    sourceId: TEST_SOURCE[system],
    collectedAt: '2026-10-01T00:00:00.000Z',
    connector: 'test',
    connectorVersion: '0.0.0',
    mode: 'files',
    calls: 0,
    queries: [],
    counts: { principals: 0, entitlements: 0, grants: 0 },
    complete: true,
    warnings: [],
    ...overrides,
  };
}

/** The policy with every default (`dormantDays` 90, `neverUsedGraceDays` 30, `credentialMaxAgeDays` 90). */
export function makePolicyConfig(overrides: Partial<Policy> = {}): Policy {
  return { ...policySchema.parse({}), ...overrides };
}

/**
 * An inventory of the given records, with one complete header per system present.
 *
 * @example
 * const inv = buildInventory({ principals: [p], entitlements: [e], grants: [makeGrant(p, e)] });
 */
export function buildInventory(records: {
  principals?: Principal[];
  entitlements?: Entitlement[];
  grants?: Grant[];
  financiallySignificant?: string[];
  /** The as-of date validity windows are judged against (none judged without it). */
  asOf?: Date;
  /** HR people: an HR source `hr-test` is added (complete unless `hr` says otherwise). */
  people?: Person[];
  links?: PersonLink[];
  /** The HR source's state: `complete` (default with people), `incomplete` or `failed` (no records). */
  hr?: 'complete' | 'incomplete' | 'failed';
}): Inventory {
  const significant = new Set(records.financiallySignificant ?? []);
  const builder = new InventoryBuilder({
    financiallySignificant: (id) => significant.has(id),
    ...(records.asOf ? { asOf: records.asOf } : {}),
  });
  const sources = new Map<string, System>();
  for (const r of [...(records.principals ?? []), ...(records.entitlements ?? [])])
    sources.set(r.sourceId, r.system);
  for (const [sourceId, system] of sources) {
    builder.addSnapshotHeader(makeHeader({ system, sourceId, tenant: TEST_TENANT[system] }));
  }
  const hr = records.hr ?? (records.people || records.links ? 'complete' : undefined);
  if (hr === 'failed')
    builder.addFailedSource({ sourceId: TEST_SOURCE.hr, system: 'hr', error: 'people.csv: not found' });
  else if (hr) {
    builder.addSnapshotHeader(makeHeader({ system: 'hr', complete: hr === 'complete' }));
    for (const p of records.people ?? []) builder.addPerson(p);
    for (const l of records.links ?? []) builder.addLink(l);
  }
  for (const p of records.principals ?? []) builder.addPrincipal(p);
  for (const e of records.entitlements ?? []) builder.addEntitlement(e);
  for (const g of records.grants ?? []) builder.addGrant(g);
  return builder.finish();
}

let line = 1;
/**
 * An HR person (active unless overridden), uid `hr:hr-test:<employeeId>`.
 *
 * @example
 * makePerson({ employeeId: 'E1', email: 'jane@example.com', status: 'terminated', terminationDate: daysAgo(1) });
 */
export function makePerson(overrides: Partial<Person> = {}): Person {
  const employeeId = overrides.employeeId ?? `E${next()}`;
  return {
    uid: makeUid('hr', TEST_SOURCE.hr, employeeId),
    sourceId: TEST_SOURCE.hr,
    employeeId,
    name: overrides.email ?? employeeId,
    status: 'active',
    statusText: overrides.status ?? 'active',
    otherEmails: [],
    origin: `people.csv:${++line}`,
    ...overrides,
  };
}
