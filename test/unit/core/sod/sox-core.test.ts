import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRulesets, evaluateSod, parseRuleset } from '../../../../core/sod';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makePolicy,
  makePrincipal,
} from '../../../support/factories';

const FILE = 'rules/sox-core.yaml';
const text = readFileSync(new URL('../../../../rules/sox-core.yaml', import.meta.url), 'utf8');

describe('rules/sox-core.yaml (the shipped starter ruleset)', () => {
  it('parses and compiles, and every function is used by a risk', () => {
    // Arrange / Act
    const ruleset = parseRuleset(text, FILE);
    const compiled = compileRulesets([ruleset]);

    // Assert
    expect(ruleset.functions.length).toBeGreaterThanOrEqual(15);
    expect(ruleset.risks.length).toBeGreaterThanOrEqual(12);
    const used = new Set(ruleset.risks.flatMap((r) => r.functions));
    expect(ruleset.functions.map((f) => f.id).filter((id) => !used.has(id))).toEqual([]);
    expect(new Set(ruleset.functions.map((f) => f.process))).toEqual(
      new Set([
        'procure-to-pay',
        'order-to-cash',
        'record-to-report',
        'payroll',
        'treasury',
        'it-general-controls',
      ]),
    );
    expect(compiled.words).toBe(1);
  });

  it('finds the classic conflicts it promises', () => {
    // Arrange
    const compiled = compileRulesets([parseRuleset(text, FILE)]);
    const clerk = makePrincipal({ email: 'clerk@example.com' });
    const clerkRole = makeEntitlement({ name: 'AP Clerk', permissions: ['XK02', 'F110', 'MIRO'] });
    const sales = makePrincipal({ system: 'salesforce', nativeId: '005X', email: 'sales@example.com' });
    const salesErp = makePrincipal({ email: 'sales@example.com' });
    const creditSet = makeEntitlement({
      system: 'salesforce',
      name: 'Credit Desk',
      permissions: ['Credit_Limit__c:Edit'],
    });
    const memoRole = makeEntitlement({ name: 'AR Adjustments', permissions: ['FB75'] });
    const admin = makePrincipal({ system: 'entra', nativeId: 'oid-admin', email: 'admin@example.com' });
    const adminErp = makePrincipal({ email: 'admin@example.com' });
    const globalAdmin = makeEntitlement({
      system: 'entra',
      type: 'directory-role',
      name: 'Global Administrator',
    });
    const jeRole = makeEntitlement({ name: 'GL Accountant' });
    const dev = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/dev',
      email: 'dev@example.com',
    });
    const devErp = makePrincipal({ email: 'dev@example.com' });
    const ledgerWrite = makePolicy('LedgerWrite', [
      {
        effect: 'Allow',
        action: ['dynamodb:PutItem'],
        resource: ['arn:aws:dynamodb:eu-west-1:123456789012:table/general-ledger'],
      },
    ]);
    const approver = makeEntitlement({ name: 'Journal Approver' });
    const inv = buildInventory({
      principals: [clerk, sales, salesErp, admin, adminErp, dev, devErp],
      entitlements: [clerkRole, creditSet, memoRole, globalAdmin, jeRole, ledgerWrite, approver],
      grants: [
        makeGrant(clerk, clerkRole),
        makeGrant(sales, creditSet),
        makeGrant(salesErp, memoRole),
        makeGrant(admin, globalAdmin),
        makeGrant(adminErp, jeRole),
        makeGrant(dev, ledgerWrite),
        makeGrant(devErp, approver),
      ],
    });

    // Act
    const found = evaluateSod(inv, compiled).map((d) => `${d.subject.identity} ${d.detail.riskId}`);

    // Assert
    expect(found).toEqual(
      [
        'person:admin@example.com ITGC-02',
        'person:dev@example.com R2R-01',
        // One principal with an email is already a person (issue 10: the key never depends on how many correlate).
        'person:clerk@example.com P2P-01',
        'person:clerk@example.com P2P-02',
        'person:clerk@example.com P2P-05',
        'person:sales@example.com O2C-01',
      ].sort((a, b) => (a < b ? -1 : 1)),
    );
  });
});
