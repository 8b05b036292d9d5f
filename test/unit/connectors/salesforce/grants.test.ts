import { describe, expect, it } from 'vitest';
import { type Catalog, emptyCatalog, emptyFacts } from '../../../../connectors/salesforce/catalog';
import { grantsForAssignment } from '../../../../connectors/salesforce/grants';
import { permissionSetAssignmentRecord } from '../../../../connectors/salesforce/records';

const NOW = new Date('2026-10-01T00:00:00.000Z');
const T = '00DORG';
const u = (id: string) => `salesforce:${T}:${id}`;

function catalog(): Catalog {
  const c = emptyCatalog();
  c.permissionSets.PS1 = { name: 'Credit Limit Editor', owner: 'permission-set', system: [] };
  c.permissionSets.PS2 = { name: 'Billing Viewer', owner: 'permission-set', system: [] };
  c.permissionSets.PSAPI = { name: 'API Only Access', owner: 'permission-set', system: ['ApiUserOnly'] };
  c.permissionSets.PSPROF = { name: 'X00e', owner: 'profile', profileId: '00e1', system: [] };
  c.permissionSets.PSAGG = { name: 'Billing Ops', owner: 'group', groupId: 'PSG1', system: [] };
  c.groups.PSG1 = { name: 'Billing Ops' };
  c.groupComponents.PSG1 = ['PS1', 'PS2', 'MUTING1'];
  return c;
}

const assignment = (overrides: Record<string, unknown>) =>
  permissionSetAssignmentRecord.parse({
    AssigneeId: '005A',
    PermissionSetId: 'PS1',
    IsActive: true,
    ...overrides,
  });

describe('grantsForAssignment', () => {
  it('grants an active, unexpired permission set directly, with its dates', () => {
    // Act
    const out = grantsForAssignment(
      assignment({
        ExpirationDate: '2027-01-01T00:00:00.000+0000',
        SystemModstamp: '2026-01-01T00:00:00.000+0000',
      }),
      catalog(),
      emptyFacts(),
      T,
      NOW,
    );
    // Assert
    expect(out.grants).toEqual([
      {
        principal: u('005A'),
        entitlement: u('PS1'),
        path: [],
        grantedAt: '2026-01-01T00:00:00.000Z',
        expiresAt: '2027-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('grants nothing for an expired assignment', () => {
    // Act
    const out = grantsForAssignment(
      assignment({ ExpirationDate: '2026-09-30T23:59:59.000+0000' }),
      catalog(),
      emptyFacts(),
      T,
      NOW,
    );
    // Assert
    expect(out).toEqual({ grants: [], skipped: 'expired' });
  });

  it('grants nothing for an inactive assignment', () => {
    // Act
    const out = grantsForAssignment(assignment({ IsActive: false }), catalog(), emptyFacts(), T, NOW);
    // Assert
    expect(out).toEqual({ grants: [], skipped: 'inactive' });
  });

  it('grants a group and each known component with the group as path', () => {
    // Act
    const out = grantsForAssignment(
      assignment({ PermissionSetId: 'PSAGG', PermissionSetGroupId: 'PSG1' }),
      catalog(),
      emptyFacts(),
      T,
      NOW,
    );
    // Assert
    expect(out.grants).toEqual([
      { principal: u('005A'), entitlement: u('PSG1'), path: [] },
      { principal: u('005A'), entitlement: u('PS1'), path: [u('PSG1')] },
      { principal: u('005A'), entitlement: u('PS2'), path: [u('PSG1')] },
    ]);
  });

  it("leaves the profile's own assignment to the User.ProfileId grant", () => {
    // Act
    const out = grantsForAssignment(
      assignment({ PermissionSetId: 'PSPROF' }),
      catalog(),
      emptyFacts(),
      T,
      NOW,
    );
    // Assert
    expect(out).toEqual({ grants: [], skipped: 'profile' });
  });

  it('notes PermissionsApiUserOnly given by a permission set', () => {
    // Arrange
    const facts = emptyFacts();
    // Act
    grantsForAssignment(assignment({ PermissionSetId: 'PSAPI' }), catalog(), facts, T, NOW);
    // Assert
    expect(facts.apiOnlyVia).toEqual({ '005A': 'API Only Access' });
  });
});
