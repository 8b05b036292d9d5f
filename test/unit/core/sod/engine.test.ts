import { describe, expect, it } from 'vitest';
import { compileRulesets, evaluateSod, functionsByIdentity, parseRuleset } from '../../../../core/sod';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makePolicy,
  makePrincipal,
} from '../../../support/factories';

const RULES = `version: 1
functions:
  - id: VENDOR
    name: Maintain vendors
    grants:
      - system: erp
        permission: [XK01, XK02]
      - system: aws
        action: ["dynamodb:PutItem"]
        resource: "arn:aws:dynamodb:*:*:table/vendor-master"
  - id: PAY
    name: Release payments
    grants:
      - system: erp
        permission: [F110]
      - system: erp
        entitlement: ["AP Payment*"]
  - id: CREDIT-LIMIT
    name: Maintain credit limits
    grants:
      - system: salesforce
        objectPermission: { object: Credit_Limit__c, actions: [create, edit] }
      - system: salesforce
        permission: [ModifyAllData]
  - id: CREDIT-MEMO
    name: Post credit memos
    grants:
      - system: erp
        permission: [FB75]
  - id: USER-ADMIN
    name: Administer users
    grants:
      - system: entra
        entitlement: ["User Administrator", "NetSuite ERP:Administrator"]
risks:
  - id: P2P-01
    title: Maintain vendors and release payments
    functions: [VENDOR, PAY]
    severity: critical
  - id: O2C-01
    title: Credit limits and credit memos
    functions: [CREDIT-LIMIT, CREDIT-MEMO]
    severity: high
  - id: ITGC-01
    title: Administer users, maintain vendors and pay
    functions: [USER-ADMIN, VENDOR, PAY]
    severity: critical
`;

const compiled = () => compileRulesets([parseRuleset(RULES, 'rules/test.yaml')]);

describe('evaluateSod — the sources a conflict depends on', () => {
  it('lists every source of the identity, so a failed correlating system cannot resolve it', () => {
    // Guards against a failed Entra collection resolving an ERP-only conflict of a correlated person.
    const erp = makePrincipal({ nativeId: 'CDOE', email: 'c.doe@example.com' });
    const entra = makePrincipal({
      system: 'entra',
      sourceId: 'entra-test',
      nativeId: 'oid-1',
      email: 'c.doe@example.com',
    });
    const both = makeEntitlement({ permissions: ['XK01', 'F110'] });
    const inv = buildInventory({
      principals: [erp, entra],
      entitlements: [both],
      grants: [makeGrant(erp, both)],
    });
    const [d] = evaluateSod(inv, compiled());
    expect(d!.subject.principals).toEqual([erp.uid]);
    expect(d!.sources).toEqual(['entra-test', 'erp-test']);
  });
});

describe('evaluateSod — ERP', () => {
  it('finds one identity holding both functions through two roles, with grants as evidence', () => {
    // Arrange
    const user = makePrincipal({ nativeId: 'JDOE', name: 'Jane Doe' });
    const vendorRole = makeEntitlement({ nativeId: 'R-VENDOR', name: 'Vendor Clerk', permissions: ['XK01'] });
    const payRole = makeEntitlement({ nativeId: 'R-PAY', name: 'AP Payment Release' });
    const inv = buildInventory({
      principals: [user],
      entitlements: [vendorRole, payRole],
      grants: [makeGrant(user, vendorRole), makeGrant(user, payRole)],
      financiallySignificant: ['erp-test'],
    });

    // Act
    const drafts = evaluateSod(inv, compiled());

    // Assert
    expect(drafts).toHaveLength(1);
    const d = drafts[0]!;
    expect(d.rule).toBe('SOD-CONFLICT');
    expect(d.severity).toBe('critical');
    expect(d.key).toBe(`principal:${user.uid}|P2P-01`);
    expect(d.subject).toMatchObject({ identity: `principal:${user.uid}`, principals: [user.uid] });
    expect(d.sources).toEqual(['erp-test']);
    expect(d.detail).toEqual({
      riskId: 'P2P-01',
      riskTitle: 'Maintain vendors and release payments',
      // The ruleset's id, never a local path (issue 10).
      ruleset: 'test',
      functions: [
        {
          id: 'VENDOR',
          name: 'Maintain vendors',
        },
        {
          id: 'PAY',
          name: 'Release payments',
        },
      ],
    });
    expect(
      d.evidence
        .filter((e) => e.kind === 'grant')
        .map((e) => [e.function, e.principal, e.entitlement, e.path]),
    ).toEqual([
      ['VENDOR', user.uid, vendorRole.uid, []],
      ['PAY', user.uid, payRole.uid, []],
    ]);
  });

  it('gives no conflict when one role holds only one side', () => {
    const user = makePrincipal();
    const role = makeEntitlement({ permissions: ['XK01', 'XK03', 'FB60'] });
    const inv = buildInventory({ principals: [user], entitlements: [role], grants: [makeGrant(user, role)] });
    expect(evaluateSod(inv, compiled())).toEqual([]);
  });

  it('gives no conflict for a disabled principal', () => {
    // Arrange
    const user = makePrincipal({ status: 'disabled' });
    const role = makeEntitlement({ permissions: ['XK01', 'F110'] });
    const inv = buildInventory({ principals: [user], entitlements: [role], grants: [makeGrant(user, role)] });

    // Act / Assert
    expect(evaluateSod(inv, compiled())).toEqual([]);
    expect(functionsByIdentity(inv, compiled()).size).toBe(0);
  });

  it('ignores the disabled account of a person whose other account is active', () => {
    // Arrange: same email in two systems, the vendor side only through the disabled one
    const erp = makePrincipal({ email: 'ann@example.com' });
    const payRole = makeEntitlement({ permissions: ['F110'] });
    const aws = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/ann',
      email: 'Ann@Example.com',
      status: 'disabled',
    });
    const put = makePolicy('VendorWrite', [
      { effect: 'Allow', action: ['dynamodb:PutItem'], resource: ['*'] },
    ]);
    const inv = buildInventory({
      principals: [erp, aws],
      entitlements: [payRole, put],
      grants: [makeGrant(erp, payRole), makeGrant(aws, put)],
    });

    // Act / Assert
    expect(evaluateSod(inv, compiled())).toEqual([]);
    expect(functionsByIdentity(inv, compiled())).toEqual(new Map([['person:ann@example.com', ['PAY']]]));
  });

  it('reports a permission code in a role reached through a composite role with its path', () => {
    const user = makePrincipal();
    const composite = makeEntitlement({ nativeId: 'COMPOSITE' });
    const role = makeEntitlement({ permissions: ['XK02', 'F110'] });
    const inv = buildInventory({
      principals: [user],
      entitlements: [composite, role],
      grants: [makeGrant(user, composite), makeGrant(user, role, { path: [composite.uid] })],
    });
    const [d] = evaluateSod(inv, compiled());
    expect(d!.evidence.find((e) => e.kind === 'grant')!.path).toEqual([composite.uid]);
    expect(d!.evidence[0]!.text).toContain(`via ${composite.name}`);
  });
});

describe('evaluateSod — across systems', () => {
  it('finds a conflict across ERP and AWS through email correlation', () => {
    // Arrange
    const erp = makePrincipal({ nativeId: 'BSMITH', name: 'Bob Smith', email: ' Bob.Smith@Example.com ' });
    const payRole = makeEntitlement({ name: 'AP Payment Release' });
    const aws = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/bob',
      name: 'bob',
      email: 'bob.smith@example.com',
    });
    const vendorPolicy = makePolicy('VendorMasterWrite', [
      {
        effect: 'Allow',
        action: ['dynamodb:PutItem'],
        resource: ['arn:aws:dynamodb:eu-west-1:123456789012:table/vendor-master'],
      },
    ]);
    const inv = buildInventory({
      principals: [erp, aws],
      entitlements: [payRole, vendorPolicy],
      grants: [makeGrant(erp, payRole), makeGrant(aws, vendorPolicy)],
    });

    // Act
    const drafts = evaluateSod(inv, compiled());

    // Assert
    expect(drafts.map((d) => d.key)).toEqual(['person:bob.smith@example.com|P2P-01']);
    expect(drafts[0]!.subject.principals).toEqual([aws.uid, erp.uid].sort());
    expect(drafts[0]!.sources).toEqual(['aws-test', 'erp-test']);
    expect(
      drafts[0]!.evidence.some((e) => e.kind === 'attribute' && e.text.includes('bob.smith@example.com')),
    ).toBe(true);
    expect(
      drafts[0]!.evidence.some((e) => e.kind === 'note' && e.text.includes('conditions are not evaluated')),
    ).toBe(true);
  });

  it('does not join principals without a shared email', () => {
    const erp = makePrincipal({ email: 'a@example.com' });
    const aws = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/b',
      email: 'b@example.com',
    });
    const payRole = makeEntitlement({ permissions: ['F110'] });
    const put = makePolicy('P', [{ effect: 'Allow', action: ['*'], resource: ['*'] }]);
    const inv = buildInventory({
      principals: [erp, aws],
      entitlements: [payRole, put],
      grants: [makeGrant(erp, payRole), makeGrant(aws, put)],
    });
    expect(evaluateSod(inv, compiled())).toEqual([]);
  });

  it('finds Salesforce credit limits + ERP credit memos, with and without the Permissions prefix', () => {
    // Arrange
    const sf = makePrincipal({ system: 'salesforce', nativeId: '005A', email: 'c@example.com' });
    const sf2 = makePrincipal({ system: 'salesforce', nativeId: '005B', email: 'd@example.com' });
    const erp = makePrincipal({ email: 'c@example.com' });
    const erp2 = makePrincipal({ email: 'd@example.com' });
    const creditSet = makeEntitlement({
      system: 'salesforce',
      type: 'permission-set',
      permissions: ['Credit_Limit__c:Edit'],
    });
    const adminSet = makeEntitlement({
      system: 'salesforce',
      type: 'permission-set',
      permissions: ['PermissionsModifyAllData'],
    });
    const memoRole = makeEntitlement({ permissions: ['fb75'] });
    const inv = buildInventory({
      principals: [sf, sf2, erp, erp2],
      entitlements: [creditSet, adminSet, memoRole],
      grants: [
        makeGrant(sf, creditSet),
        makeGrant(sf2, adminSet),
        makeGrant(erp, memoRole),
        makeGrant(erp2, memoRole),
      ],
      financiallySignificant: ['erp-test', 'sfdc-test'],
    });

    // Act
    const drafts = evaluateSod(inv, compiled());

    // Assert
    expect(drafts.map((d) => d.key)).toEqual(['person:c@example.com|O2C-01', 'person:d@example.com|O2C-01']);
    expect(drafts.every((d) => d.severity === 'high')).toBe(true);
  });

  it('does not count a read-only object permission', () => {
    const sf = makePrincipal({ system: 'salesforce', nativeId: '005C', email: 'e@example.com' });
    const erp = makePrincipal({ email: 'e@example.com' });
    const readSet = makeEntitlement({
      system: 'salesforce',
      permissions: ['Credit_Limit__c:Read', 'Credit_Limit__c:ViewAll'],
    });
    const memoRole = makeEntitlement({ permissions: ['FB75'] });
    const inv = buildInventory({
      principals: [sf, erp],
      entitlements: [readSet, memoRole],
      grants: [makeGrant(sf, readSet), makeGrant(erp, memoRole)],
    });
    expect(evaluateSod(inv, compiled())).toEqual([]);
  });

  it('needs every function of a three-function risk, and matches Entra app roles by name', () => {
    // Arrange
    const entra = makePrincipal({ system: 'entra', nativeId: 'oid-1', email: 'f@example.com' });
    const erp = makePrincipal({ email: 'f@example.com' });
    const appRole = makeEntitlement({
      system: 'entra',
      type: 'app-role',
      name: 'NetSuite ERP:Administrator',
      nativeId: 'sp-1/role-1',
    });
    const both = makeEntitlement({ permissions: ['XK01', 'F110'] });
    const inv = buildInventory({
      principals: [entra, erp],
      entitlements: [appRole, both],
      grants: [makeGrant(entra, appRole), makeGrant(erp, both)],
    });

    // Act
    const keys = evaluateSod(inv, compiled()).map((d) => d.key);

    // Assert: P2P-01 from the ERP role alone, ITGC-01 needs the Entra app role too
    expect(keys).toEqual(['person:f@example.com|P2P-01', 'person:f@example.com|ITGC-01']);
  });

  it('matches entitlement globs on the native id too, case-insensitively', () => {
    const user = makePrincipal();
    const byId = makeEntitlement({ nativeId: 'ap payment batch', name: 'Z_FI_PAY_01' });
    const vendor = makeEntitlement({ permissions: ['XK01'] });
    const inv = buildInventory({
      principals: [user],
      entitlements: [byId, vendor],
      grants: [makeGrant(user, byId), makeGrant(user, vendor)],
    });
    expect(evaluateSod(inv, compiled()).map((d) => d.detail.riskId)).toEqual(['P2P-01']);
  });
});

describe('functionsByIdentity', () => {
  it('lists the sorted function ids each identity holds, leaving out identities with none', () => {
    // Arrange
    const a = makePrincipal({ nativeId: 'A' });
    const b = makePrincipal({ nativeId: 'B' });
    const c = makePrincipal({ nativeId: 'C' });
    const r1 = makeEntitlement({ permissions: ['F110', 'XK01'] });
    const r2 = makeEntitlement({ permissions: ['FB75'] });
    const inv = buildInventory({
      principals: [a, b, c],
      entitlements: [r1, r2],
      grants: [makeGrant(a, r1), makeGrant(b, r2)],
    });

    // Act
    const held = functionsByIdentity(inv, compiled());

    // Assert
    expect([...held]).toEqual([
      [`principal:${a.uid}`, ['PAY', 'VENDOR']],
      [`principal:${b.uid}`, ['CREDIT-MEMO']],
    ]);
  });

  it('handles more than 32 functions (several bitset words)', () => {
    // Arrange: 40 functions F0..F39, one risk over F3 and F38
    const fns = Array.from(
      { length: 40 },
      (_, i) =>
        `  - id: F${i}\n    name: f${i}\n    grants:\n      - system: erp\n        permission: [P${i}]`,
    ).join('\n');
    const text = `version: 1\nfunctions:\n${fns}\nrisks:\n  - id: R\n    title: r\n    functions: [F3, F38]\n    severity: low\n`;
    const big = compileRulesets([parseRuleset(text, 'big.yaml')]);
    const user = makePrincipal();
    const r1 = makeEntitlement({ permissions: ['P3', 'P31'] });
    const r2 = makeEntitlement({ permissions: ['P38'] });
    const inv = buildInventory({
      principals: [user],
      entitlements: [r1, r2],
      grants: [makeGrant(user, r1), makeGrant(user, r2)],
    });

    // Act / Assert
    expect(big.words).toBe(2);
    expect(functionsByIdentity(inv, big).get(`principal:${user.uid}`)).toEqual(['F3', 'F31', 'F38']);
    expect(evaluateSod(inv, big).map((d) => d.key)).toEqual([`principal:${user.uid}|R`]);
  });
});
