import { describe, expect, it } from 'vitest';
import {
  addObjectPermissions,
  addPermissionSets,
  emptyCatalog,
} from '../../../../connectors/salesforce/catalog';
import { buildEntitlements } from '../../../../connectors/salesforce/entitlements';
import { objectPermissionRecord, permissionSetRecord } from '../../../../connectors/salesforce/records';

function catalog() {
  const c = emptyCatalog();
  addPermissionSets(c, [
    permissionSetRecord.parse({
      Id: '0PSADM',
      Name: 'X00eADM',
      IsOwnedByProfile: true,
      ProfileId: '00eADM',
      Profile: { Name: 'System Administrator' },
      PermissionsModifyAllData: true,
      PermissionsApiEnabled: true,
    }),
    permissionSetRecord.parse({ Id: '0PSCL', Name: 'Credit_Limit_Editor', Label: 'Credit Limit Editor' }),
    permissionSetRecord.parse({
      Id: '0PSRD',
      Name: 'Reader',
      Label: 'Reader',
      PermissionsViewAllData: 'true',
    }),
    permissionSetRecord.parse({ Id: '0PSAGG', Name: 'Agg', PermissionSetGroupId: '0PG1' }),
  ]);
  addObjectPermissions(
    c,
    [
      objectPermissionRecord.parse({
        ParentId: '0PSCL',
        SobjectType: 'Credit_Limit__c',
        PermissionsCreate: true,
        PermissionsRead: true,
        PermissionsEdit: true,
        PermissionsModifyAllRecords: false,
      }),
      objectPermissionRecord.parse({ ParentId: '0PSCL', SobjectType: 'Account', PermissionsRead: true }),
    ],
    ['Credit_Limit__c'],
  );
  c.groups['0PG1'] = { name: 'Credit Ops' };
  c.groupComponents['0PG1'] = ['0PSCL', '0PSRD'];
  return c;
}

describe('buildEntitlements', () => {
  it("names a profile by the profile, with its own permission set's permissions, marked privileged", () => {
    // Act
    const profile = buildEntitlements(catalog(), '00DORG', 'sfdc').find((e) => e.type === 'profile');
    // Assert
    expect(profile).toMatchObject({
      uid: 'salesforce:00DORG:00eADM',
      nativeId: '00eADM',
      name: 'System Administrator',
      privileged: true,
      privilegedReason: 'system permissions: ModifyAllData',
      permissions: ['ApiEnabled', 'ModifyAllData'],
    });
  });

  it('writes object permissions as Object:Action for the objects asked only', () => {
    // Act
    const ps = buildEntitlements(catalog(), '00DORG', 'sfdc').find((e) => e.nativeId === '0PSCL');
    // Assert
    expect(ps).toMatchObject({
      type: 'permission-set',
      name: 'Credit Limit Editor',
      privileged: false,
      permissions: ['Credit_Limit__c:Create', 'Credit_Limit__c:Edit', 'Credit_Limit__c:Read'],
    });
  });

  it("gives a group its components' permissions and privilege, and hides its aggregate permission set", () => {
    // Act
    const all = buildEntitlements(catalog(), '00DORG', 'sfdc');
    const group = all.find((e) => e.type === 'permission-set-group');
    // Assert
    expect(group).toMatchObject({
      name: 'Credit Ops',
      privileged: true,
      privilegedReason: 'system permissions: ViewAllData via Reader',
    });
    expect(group?.permissions).toContain('Credit_Limit__c:Edit');
    expect(all.some((e) => e.nativeId === '0PSAGG')).toBe(false);
  });
});
