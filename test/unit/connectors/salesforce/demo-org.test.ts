/**
 * The demo org (examples/demo/salesforce) read in files mode: it must keep producing what the demo
 * tells — the cross-system credit-limit person, an unused integration user, one with Modify All
 * Data, an expired assignment that grants nothing.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { salesforceConnector } from '../../../../connectors/salesforce';
import { collectSource } from '../../../../core/collect-driver';
import { salesforceSourceSchema } from '../../../../core/config';
import { silentLogger } from '../../../../core/connector';
import { MemoryStaging, readSnapshot } from '../../../integration/salesforce/harness';

const DIR = resolve(import.meta.dirname, '../../../../examples/demo/salesforce');
const ORG = '00D8d000004HVNDEAK';
const AS_OF = new Date('2026-10-01T00:00:00.000Z');
const DAY = 86_400_000;

async function demoSnapshot() {
  const staging = new MemoryStaging();
  const source = salesforceSourceSchema.parse({
    id: 'salesforce',
    system: 'salesforce',
    files: { dir: DIR },
    objects: [
      'Credit_Limit__c',
      'Order',
      'blng__CreditNote__c',
      'blng__Invoice__c',
      'Account',
      'Opportunity',
    ],
  });
  const outcome = await collectSource({
    connector: salesforceConnector,
    source,
    key: 'demo/salesforce',
    staging,
    now: () => AS_OF,
    logger: silentLogger,
  });
  if (outcome.status !== 'complete') throw new Error(`demo collection ${outcome.status}`);
  return readSnapshot(staging.finals.get('demo/salesforce') ?? '');
}

describe('demo Salesforce org (files mode)', () => {
  it('reads every saved query result completely, about 80 users of the HR export', async () => {
    // Act
    const snap = await demoSnapshot();

    // Assert
    expect(snap.header).toMatchObject({ tenant: ORG, mode: 'files', complete: true, warnings: [] });
    expect(snap.principals).toHaveLength(80);
    expect(
      snap.principals
        .filter((p) => p.kind === 'human')
        .every((p) => String(p.email).endsWith('@halvorsen-industrial.example')),
    ).toBe(true);
  });

  it('lets nadia.zielinski create and edit Credit_Limit__c through the Credit Operations group', async () => {
    // Arrange
    const snap = await demoSnapshot();
    const nadia = snap.principals.find((p) => p.email === 'nadia.zielinski@halvorsen-industrial.example');
    const byUid = new Map(snap.entitlements.map((e) => [e.uid, e]));

    // Act
    const credit = snap.grants
      .filter((g) => g.principal === nadia?.uid)
      .filter((g) =>
        ((byUid.get(String(g.entitlement))?.permissions ?? []) as string[]).includes('Credit_Limit__c:Edit'),
      );

    // Assert
    expect(nadia).toMatchObject({ kind: 'human', status: 'active' });
    const editor = credit.find((g) => byUid.get(String(g.entitlement))?.name === 'Credit Limit Editor');
    expect(editor?.path).toEqual([snap.entitlements.find((e) => e.name === 'Credit Operations')?.uid]);
    expect(byUid.get(String(editor?.entitlement))?.permissions).toEqual(
      expect.arrayContaining(['Credit_Limit__c:Create', 'Credit_Limit__c:Edit']),
    );
  });

  it('has an unused integration user, one with Modify All Data, and an expired assignment that grants nothing', async () => {
    // Arrange
    const snap = await demoSnapshot();
    const byName = new Map(snap.principals.map((p) => [p.name, p]));
    const bridge = byName.get('billing-bridge@halvorsen-industrial.example.integration');
    const erpSync = byName.get('erp-sync@halvorsen-industrial.example.integration');
    const yusuf = byName.get('yusuf.novak@halvorsen-industrial.example');
    const modifyAll = new Set(
      snap.entitlements
        .filter((e) => (e.permissions as string[]).includes('ModifyAllData'))
        .map((e) => e.uid),
    );

    // Act
    const lastAt = (bridge?.lastActivity as { at?: string } | undefined)?.at ?? '';
    const idleDays = (AS_OF.getTime() - Date.parse(lastAt)) / DAY;

    // Assert
    expect(bridge).toMatchObject({
      kind: 'nonhuman',
      type: 'integration-user',
      status: 'active',
      owners: [],
    });
    expect(idleDays).toBeGreaterThan(90);
    expect(erpSync).toMatchObject({ kind: 'nonhuman', type: 'integration-user' });
    expect(
      snap.grants.some((g) => g.principal === erpSync?.uid && modifyAll.has(String(g.entitlement))),
    ).toBe(true);
    const creditEditor = snap.entitlements.find((e) => e.name === 'Credit Limit Editor')?.uid;
    expect(snap.grants.some((g) => g.principal === yusuf?.uid && g.entitlement === creditEditor)).toBe(false);
  });
});
