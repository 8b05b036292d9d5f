import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import { InventoryBuilder } from '../../../../core/inventory';
import { startCampaign } from '../../../../core/reviews/campaign';
import { campaignIdFor, reviewItemId } from '../../../../core/reviews/model';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makeHeader,
  makePrincipal,
} from '../../../support/factories';
import { AT, baseOptions, CFO, CONTROLLER, itemOf, reviewTenant, startedCampaign } from './review-fixture';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('startCampaign', () => {
  it('makes one item per grant, with holder, path names and reviewer, from the base run', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const c = startCampaign(t.inventory, baseOptions(), AT);
    // Assert
    expect(c).toMatchObject({
      id: 'rev-20261002-q4-2026-access-review',
      status: 'open',
      createdAt: AT.toISOString(),
      createdBy: CONTROLLER,
      dueAt: '2026-12-31T00:00:00.000Z',
      baseRunId: 'run-1',
      baseManifestSha256: 'a'.repeat(64),
      scope: { sources: [], entitlements: [], privilegedOnly: false },
    });
    expect(c.items).toHaveLength(6);
    const admin = itemOf(c, 'user/alice', 'AdministratorAccess');
    expect(admin).toMatchObject({
      id: reviewItemId(t.grants.aliceAdmin),
      sourceId: 'aws-test',
      identity: 'person:alice@example.com',
      principalName: 'alice',
      entitlementName: 'AdministratorAccess',
      privileged: true,
      path: [t.admins.uid],
      pathNames: ['admins'],
      reviewer: CONTROLLER,
      reviewerRule: 'default',
      principalStatus: 'active',
    });
    expect(admin.holderEmails).toEqual(['alice@example.com']);
    expect(c.sources.map((s) => [s.id, s.items, s.complete])).toEqual([
      ['aws-test', 2, true],
      ['erp-test', 4, true],
    ]);
    expect(c.history).toEqual([
      {
        at: AT.toISOString(),
        event: 'started',
        by: CONTROLLER,
        note: '6 grant(s) for 1 reviewer(s) from run run-1',
      },
    ]);
  });

  it('is deterministic: the same inventory in another order gives the same campaign', () => {
    // Arrange
    const t = reviewTenant();
    const reversed = buildInventory({
      principals: [...t.records.principals].reverse(),
      entitlements: [...t.records.entitlements].reverse(),
      grants: [...t.records.grants].reverse(),
    });
    // Act
    const a = startCampaign(t.inventory, baseOptions(), AT);
    const b = startCampaign(reversed, baseOptions(), AT);
    // Assert
    expect(b).toEqual(a);
  });

  it('scopes by source, by entitlement name glob (case-insensitive) and to privileged entitlements', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const erpOnly = startCampaign(t.inventory, baseOptions({ scope: { sources: ['erp-test'] } }), AT);
    const byGlob = startCampaign(t.inventory, baseOptions({ scope: { entitlements: ['ap payment*'] } }), AT);
    const privileged = startCampaign(t.inventory, baseOptions({ scope: { privilegedOnly: true } }), AT);
    // Assert
    expect(erpOnly.items.every((i) => i.sourceId === 'erp-test')).toBe(true);
    expect(erpOnly.items).toHaveLength(4);
    expect(erpOnly.sources.map((s) => s.id)).toEqual(['erp-test']);
    expect(byGlob.items.map((i) => i.principalName).sort()).toEqual(['Keller, Alice', 'Ortiz, Bob']);
    expect(privileged.items.map((i) => i.entitlementName).sort()).toEqual([
      'AP Payment Release',
      'AP Payment Release',
      'AdministratorAccess',
    ]);
  });

  it('assigns the first matching entitlement glob, then the source reviewer, then the default', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const c = startCampaign(
      t.inventory,
      baseOptions({
        reviewers: {
          default: CONTROLLER,
          bySource: { 'aws-test': 'cloud-owner@example.com' },
          byEntitlement: [
            { pattern: 'AP *', reviewer: 'ap-owner@example.com' },
            { pattern: '*Payment*', reviewer: 'never@example.com' },
          ],
        },
      }),
      AT,
    );
    // Assert
    expect(itemOf(c, 'U-BOB', 'R-AP-PAY')).toMatchObject({
      reviewer: 'ap-owner@example.com',
      reviewerRule: 'entitlement:AP *',
    });
    expect(itemOf(c, 'user/alice', 'group/admins')).toMatchObject({
      reviewer: 'cloud-owner@example.com',
      reviewerRule: 'source:aws-test',
    });
    expect(itemOf(c, 'SVC-BATCH', 'R-DISPLAY')).toMatchObject({
      reviewer: CONTROLLER,
      reviewerRule: 'default',
    });
  });

  it('sends a grant its reviewer holds to the fallback reviewer (a reviewer never reviews their own access)', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const c = startCampaign(
      t.inventory,
      baseOptions({ reviewers: { default: 'alice@example.com', fallback: CFO } }),
      AT,
    );
    // Assert: Alice's ERP and AWS grants (one person) go to the CFO, the rest stay with Alice.
    const alices = c.items.filter((i) => i.identity === 'person:alice@example.com');
    expect(alices).toHaveLength(4);
    expect(alices.every((i) => i.reviewer === CFO && i.reviewerRule === 'fallback:default')).toBe(true);
    expect(itemOf(c, 'U-BOB', 'R-AP-PAY').reviewer).toBe('alice@example.com');
  });

  it('refuses a reviewer who would review their own access when no fallback is given', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const err = inputError(() =>
      startCampaign(t.inventory, baseOptions({ reviewers: { default: 'ALICE@example.com ' } }), AT),
    );
    // Assert
    expect(err.location.field).toBe('reviewers.fallback');
    expect(err.message).toMatch(/alice@example\.com would review their own access \(4 grant\(s\)/);
  });

  it('refuses a fallback reviewer who holds the grant too', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const err = inputError(() =>
      startCampaign(
        t.inventory,
        baseOptions({ reviewers: { default: 'alice@example.com', fallback: 'alice@example.com' } }),
        AT,
      ),
    );
    // Assert
    expect(err.location.field).toBe('reviewers.fallback');
  });

  it('treats an email-shaped user name as the holder (AWS users named after their email)', () => {
    // Arrange
    const p = makePrincipal({
      system: 'aws',
      nativeId: 'arn:aws:iam::123456789012:user/dan@example.com',
      name: 'dan@example.com',
    });
    const e = makeEntitlement({
      system: 'aws',
      nativeId: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      name: 'ReadOnlyAccess',
    });
    const inv = buildInventory({ principals: [p], entitlements: [e], grants: [makeGrant(p, e)] });
    // Act
    const err = inputError(() =>
      startCampaign(inv, baseOptions({ reviewers: { default: 'Dan@example.com' } }), AT),
    );
    // Assert
    expect(err.message).toMatch(/dan@example\.com would review their own access/);
  });

  it('refuses a grant without a reviewer, naming its source', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const err = inputError(() =>
      startCampaign(t.inventory, baseOptions({ reviewers: { bySource: { 'erp-test': CONTROLLER } } }), AT),
    );
    // Assert
    expect(err.location.field).toBe('reviewers');
    expect(err.message).toMatch(/no reviewer for 2 grant\(s\), e\.g\. alice → admins on aws-test/);
  });

  it.each([
    [{ reviewers: {} }, 'reviewers', /at least one reviewer/],
    [{ reviewers: { default: 'not-an-email' } }, 'reviewers.default', /must be an email/],
    [
      { reviewers: { default: CONTROLLER, bySource: { nope: CFO } } },
      'reviewers.bySource.nope',
      /unknown source "nope"/,
    ],
    [{ dueAt: '2026-10-01' }, 'dueAt', /is not after 2026-10-02T09:00:00.000Z/],
    [{ dueAt: 'next friday' }, 'dueAt', /ISO 8601 date/],
    [{ name: '  ' }, 'name', /is required/],
    [
      { scope: { sources: ['nope'] } },
      'scope.sources',
      /unknown source "nope" in run run-1 \(sources: aws-test, erp-test\)/,
    ],
    [{ scope: { entitlements: ['No Such Role*'] } }, 'scope', /matches no grant in run run-1/],
    [{ maxItems: 5 }, 'scope', /more than 5 grants/],
    [{ id: '../escape' }, 'id', /letters, digits/],
  ])('refuses bad options %#', (overrides, field, message) => {
    // Arrange
    const t = reviewTenant();
    // Act
    const err = inputError(() => startCampaign(t.inventory, baseOptions(overrides), AT));
    // Assert
    expect(err.location.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('refuses to review a source that failed in the base run: its grants are unknown', () => {
    // Arrange
    const t = reviewTenant();
    const b = new InventoryBuilder();
    b.addSnapshot({
      header: makeHeader(),
      principals: [t.bob],
      entitlements: [t.pay],
      grants: [t.grants.bobPay],
    });
    b.addFailedSource({ sourceId: 'sfdc', system: 'salesforce', error: 'login refused' });
    const inv = b.finish();
    // Act
    const err = inputError(() => startCampaign(inv, baseOptions({ scope: { sources: ['sfdc'] } }), AT));
    const all = startCampaign(inv, baseOptions(), AT);
    // Assert: named, it is refused; unnamed, the campaign records it as failed with no items.
    expect(err.location.field).toBe('scope.sources');
    expect(err.message).toMatch(/source "sfdc" failed in run run-1 \(login refused\)/);
    expect(all.sources.find((s) => s.id === 'sfdc')).toEqual({
      id: 'sfdc',
      system: 'salesforce',
      status: 'failed',
      complete: false,
      items: 0,
    });
  });

  it('reviews a duplicated grant record once', () => {
    // Arrange
    const t = reviewTenant();
    const inv = buildInventory({ ...t.records, grants: [...t.records.grants, t.grants.bobPay] });
    // Act
    const c = startCampaign(inv, baseOptions(), AT);
    // Assert
    expect(c.items).toHaveLength(6);
    expect(new Set(c.items.map((i) => i.id)).size).toBe(6);
  });

  it('gives the same grant the same item id in every campaign, and another path another id', () => {
    // Arrange
    const t = reviewTenant();
    // Act
    const a = startedCampaign({ name: 'first' });
    const b = startedCampaign({ name: 'second' });
    // Assert
    expect(a.items.map((i) => i.id)).toEqual(b.items.map((i) => i.id));
    expect(reviewItemId(t.grants.aliceAdmin)).not.toBe(reviewItemId({ ...t.grants.aliceAdmin, path: [] }));
    expect(reviewItemId(t.grants.aliceAdmin)).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('campaignIdFor', () => {
  it('makes a file-safe id from the date and the name', () => {
    expect(campaignIdFor('Q4 2026: SOX — privileged access!', AT)).toBe(
      'rev-20261002-q4-2026-sox-privileged-access',
    );
    expect(campaignIdFor('***', AT)).toBe('rev-20261002-campaign');
    expect(campaignIdFor('x'.repeat(100), AT)).toHaveLength('rev-20261002-'.length + 48);
  });
});
