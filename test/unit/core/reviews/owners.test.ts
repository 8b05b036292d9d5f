/**
 * Campaign owners' scopes and the entitlement-owner catalog: owners.yaml checked with file:line
 * errors; reviewers from the catalog, else the holder's HR manager, else the source owner, else
 * the fallback; financially-significant-only and open-findings-only scopes.
 */
import { describe, expect, it } from 'vitest';
import { startCampaign } from '../../../../core/reviews/campaign';
import { parseOwnersCatalog, withCatalog } from '../../../../core/reviews/owners';
import { buildInventory, makePerson } from '../../../support/factories';
import { AT, baseOptions, CFO, itemOf, reviewTenant } from './review-fixture';

const OWNERS = `entitlements:
  - match: "AP *"
    source: erp-test
    owner: ap.owner@example.com
sources:
  aws-test: cloud.owner@example.com
fallback: cfo@example.com
`;

describe('owners.yaml', () => {
  it('parses the catalog and records its hash', () => {
    const c = parseOwnersCatalog(OWNERS, 'owners.yaml');
    expect(c.entitlements).toEqual([{ match: 'AP *', source: 'erp-test', owner: 'ap.owner@example.com' }]);
    expect(c.managers).toBe(true);
    expect(c.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names file, line and field of a mistake', () => {
    expect(() =>
      parseOwnersCatalog(OWNERS.replace('ap.owner@example.com', 'not-an-email'), 'owners.yaml'),
    ).toThrow(/^owners\.yaml:4 \(entitlements\[0\]\.owner\): must be an email address/);
    expect(() => parseOwnersCatalog(`${OWNERS}reviewer: x@example.com\n`, 'owners.yaml')).toThrow(
      /^owners\.yaml:8 \(reviewer\): /,
    );
    expect(() => parseOwnersCatalog('entitlements: [\n', 'o.yaml')).toThrow(/^o\.yaml:\d+: /);
  });

  it('assigns the entitlement owner, else the HR manager, else the source owner, else the fallback', () => {
    // Arrange: Bob's manager is in HR; Alice's is not.
    const t = reviewTenant();
    const inventory = buildInventory({
      ...t.records,
      people: [
        makePerson({ employeeId: 'E2', email: 'bob@example.com', managerEmail: 'bob.boss@example.com' }),
      ],
    });
    const reviewers = withCatalog({}, parseOwnersCatalog(OWNERS, 'owners.yaml'));
    // Act
    const c = startCampaign(inventory, baseOptions({ reviewers }), AT);
    // Assert
    const who = (p: string, e: string) => {
      const i = itemOf(c, p, e);
      return [i.reviewer, i.reviewerRule];
    };
    expect(who('U-ALICE', 'R-AP-PAY')).toEqual(['ap.owner@example.com', 'entitlement:AP *']);
    expect(who('U-BOB', 'R-AP-PAY')).toEqual(['ap.owner@example.com', 'entitlement:AP *']);
    expect(who('U-ALICE', 'R-DISPLAY')).toEqual([CFO, 'fallback']);
    expect(who('SVC-BATCH', 'R-DISPLAY')).toEqual([CFO, 'fallback']);
    expect(who('user/alice', 'AdministratorAccess')).toEqual(['cloud.owner@example.com', 'source:aws-test']);
    expect(c.reviewers.catalog?.file).toBe('owners.yaml');
    // With managers, Bob's display role goes to his HR manager (no entitlement owner covers it).
    const bobDisplay = startCampaign(
      buildInventory({
        ...t.records,
        grants: [...t.records.grants, { principal: t.bob.uid, entitlement: t.display.uid, path: [] }],
        people: [
          makePerson({ employeeId: 'E2', email: 'bob@example.com', managerEmail: 'bob.boss@example.com' }),
        ],
      }),
      baseOptions({ reviewers }),
      AT,
    );
    expect([
      itemOf(bobDisplay, 'U-BOB', 'R-DISPLAY').reviewer,
      itemOf(bobDisplay, 'U-BOB', 'R-DISPLAY').reviewerRule,
    ]).toEqual(['bob.boss@example.com', 'manager']);
  });
});

describe('campaign scopes', () => {
  it('financially significant only: from the pack policy, refused when the pack does not say', () => {
    const t = reviewTenant();
    const c = startCampaign(
      t.inventory,
      baseOptions({ scope: { financialOnly: true }, financialSources: ['aws-test'] }),
      AT,
    );
    expect(new Set(c.items.map((i) => i.sourceId))).toEqual(new Set(['aws-test']));
    expect(c.scope.financialOnly).toBe(true);
    expect(() => startCampaign(t.inventory, baseOptions({ scope: { financialOnly: true } }), AT)).toThrow(
      /does not record which sources are financially significant/,
    );
  });

  it('open findings only: the grants a finding names, or every grant of a principal a finding is about', () => {
    const t = reviewTenant();
    const finding = (id: string, principal: string, entitlement?: string) => ({
      id,
      rule: 'SOD-CONFLICT',
      severity: 'high',
      title: id,
      status: 'open',
      subject: { principals: [principal] },
      evidence: entitlement ? [{ kind: 'grant', principal, entitlement }] : [],
    });
    const c = startCampaign(
      t.inventory,
      baseOptions({
        scope: { openFindingsOnly: true },
        findings: [finding('f1', t.alice.uid, t.pay.uid), finding('f2', t.svc.uid)],
      }),
      AT,
    );
    expect(c.items.map((i) => `${i.principalName} → ${i.entitlementName}`).sort()).toEqual([
      'Batch user → Display',
      'Keller, Alice → AP Payment Release',
    ]);
    expect(() => startCampaign(t.inventory, baseOptions({ scope: { openFindingsOnly: true } }), AT)).toThrow(
      /no findings are known/,
    );
  });
});
