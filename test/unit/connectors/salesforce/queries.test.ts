import { describe, expect, it } from 'vitest';
import { checkObjectNames, soqlFor } from '../../../../connectors/salesforce/queries';
import { InputError } from '../../../../core/errors';

describe('checkObjectNames', () => {
  it('deduplicates and sorts object API names', () => {
    // Act / Assert
    expect(checkObjectNames(['Order', 'Credit_Limit__c', 'Order', 'blng__CreditNote__c'])).toEqual([
      'Credit_Limit__c',
      'Order',
      'blng__CreditNote__c',
    ]);
  });

  it('refuses a name that would change the SOQL', () => {
    // Act
    const act = () => checkObjectNames(["Account') OR (SobjectType != '"]);
    // Assert
    expect(act).toThrow(InputError);
    expect(act).toThrow(/objects\[0\]/);
  });
});

describe('soqlFor', () => {
  it('asks ObjectPermissions for the named objects only', () => {
    // Act
    const soql = soqlFor('objectPermissions', ['Credit_Limit__c', 'Order']);
    // Assert
    expect(soql).toMatch(/FROM ObjectPermissions WHERE SobjectType IN \('Credit_Limit__c', 'Order'\)$/);
  });

  it('leaves profile-owned assignments out (the profile grant comes from User.ProfileId)', () => {
    // Act / Assert
    expect(soqlFor('assignments', [])).toContain('WHERE PermissionSet.IsOwnedByProfile = false');
  });

  it('reads the system permissions with their field names', () => {
    // Act / Assert
    expect(soqlFor('permissionSets', [])).toContain('PermissionsModifyAllData, PermissionsViewAllData');
  });
});
