/**
 * A small two-system tenant for review tests: Alice (ERP + AWS, one person), Bob (ERP), a service
 * user, a privileged payment role, a display role, and an AWS admin policy held through a group.
 */
import { InventoryBuilder } from '../../../../core/inventory';
import type { Grant } from '../../../../core/model';
import type { StartCampaignOptions } from '../../../../core/reviews/campaign';
import { startCampaign } from '../../../../core/reviews/campaign';
import type { Campaign } from '../../../../core/reviews/model';
import type { SnapshotHeader } from '../../../../core/snapshot';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makeHeader,
  makeNhi,
  makePrincipal,
} from '../../../support/factories';

export const AT = new Date('2026-10-02T09:00:00.000Z');
export const LATER = new Date('2026-10-03T09:00:00.000Z');
export const CONTROLLER = 'controller@example.com';
export const CFO = 'cfo@example.com';
/** When the later run of `laterRun` collected both sources. */
export const RESCAN = '2026-10-06T06:00:00.000Z';

export function reviewTenant() {
  const alice = makePrincipal({ nativeId: 'U-ALICE', name: 'Keller, Alice', email: 'Alice@Example.com' });
  const bob = makePrincipal({ nativeId: 'U-BOB', name: 'Ortiz, Bob', email: 'bob@example.com' });
  const svc = makeNhi({ nativeId: 'SVC-BATCH', name: 'Batch user' });
  const pay = makeEntitlement({ nativeId: 'R-AP-PAY', name: 'AP Payment Release', privileged: true });
  const display = makeEntitlement({ nativeId: 'R-DISPLAY', name: 'Display' });
  const awsAlice = makePrincipal({
    system: 'aws',
    nativeId: 'arn:aws:iam::123456789012:user/alice',
    name: 'alice',
    type: 'iam-user',
    email: 'alice@example.com',
  });
  const admins = makeEntitlement({
    system: 'aws',
    nativeId: 'arn:aws:iam::123456789012:group/admins',
    name: 'admins',
    type: 'group',
  });
  const adminPolicy = makeEntitlement({
    system: 'aws',
    nativeId: 'arn:aws:iam::aws:policy/AdministratorAccess',
    name: 'AdministratorAccess',
    privileged: true,
  });
  const grants = {
    alicePay: makeGrant(alice, pay),
    aliceDisplay: makeGrant(alice, display),
    bobPay: makeGrant(bob, pay),
    svcDisplay: makeGrant(svc, display),
    aliceGroup: makeGrant(awsAlice, admins),
    aliceAdmin: makeGrant(awsAlice, adminPolicy, { path: [admins.uid] }),
  };
  const records = {
    principals: [alice, bob, svc, awsAlice],
    entitlements: [pay, display, admins, adminPolicy],
    grants: Object.values(grants),
  };
  return {
    alice,
    bob,
    svc,
    awsAlice,
    pay,
    display,
    admins,
    adminPolicy,
    grants,
    records,
    inventory: buildInventory(records),
  };
}

export function baseOptions(overrides: Partial<StartCampaignOptions> = {}): StartCampaignOptions {
  return {
    name: 'Q4 2026 access review',
    createdBy: CONTROLLER,
    dueAt: '2026-12-31',
    base: { runId: 'run-1', manifestSha256: 'a'.repeat(64) },
    reviewers: { default: CONTROLLER },
    ...overrides,
  };
}

/** A started campaign over the tenant (every grant, reviewed by the controller). */
export function startedCampaign(overrides: Partial<StartCampaignOptions> = {}): Campaign {
  return startCampaign(reviewTenant().inventory, baseOptions(overrides), AT);
}

/** The item of a grant, by principal and entitlement native ids. */
export function itemOf(c: Campaign, principalSuffix: string, entitlementSuffix: string) {
  const item = c.items.find(
    (i) => i.principal.endsWith(principalSuffix) && i.entitlement.endsWith(entitlementSuffix),
  );
  if (!item) throw new Error(`no item ${principalSuffix} → ${entitlementSuffix}`);
  return item;
}

/** A later run: the tenant's records with some grants dropped or added, per-source headers adjustable. */
export function laterRun(options: {
  drop?: (keyof ReturnType<typeof reviewTenant>['grants'])[];
  add?: Grant[];
  erp?: Partial<SnapshotHeader>;
  aws?: Partial<SnapshotHeader> | 'failed';
}) {
  const t = reviewTenant();
  const b = new InventoryBuilder();
  b.addSnapshotHeader(makeHeader({ collectedAt: RESCAN, ...options.erp }));
  if (options.aws === 'failed')
    b.addFailedSource({ sourceId: 'aws-test', system: 'aws', error: 'AccessDenied' });
  else
    b.addSnapshotHeader(
      makeHeader({
        system: 'aws',
        sourceId: 'aws-test',
        tenant: '123456789012',
        collectedAt: RESCAN,
        ...options.aws,
      }),
    );
  for (const p of t.records.principals) b.addPrincipal(p);
  for (const e of t.records.entitlements) b.addEntitlement(e);
  const dropped = new Set((options.drop ?? []).map((k) => t.grants[k]));
  for (const g of t.records.grants) if (!dropped.has(g)) b.addGrant(g);
  for (const g of options.add ?? []) b.addGrant(g);
  return b.finish();
}
