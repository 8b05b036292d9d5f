/**
 * The SOQL the connector asks, in the order it asks it, and the file each answer is saved as in
 * files mode. The order matters: permission sets and groups are read before assignments so a grant
 * can be attributed to a profile, a permission set or a group; assignments and OAuth tokens are
 * read before users so a user's classification and last activity are known when it is emitted.
 */
import { InputError } from '../../core/errors';
import { OBJECT_ACTIONS, permissionField, SYSTEM_PERMISSIONS } from './system-permissions';

export type QueryKey =
  | 'permissionSets'
  | 'objectPermissions'
  | 'permissionSetGroups'
  | 'permissionSetGroupComponents'
  | 'assignments'
  | 'oauthTokens'
  | 'users';

export interface QuerySpec {
  key: QueryKey;
  /** The sObject, used in operation names: `SOQL User`. */
  object: string;
  /** File name in files mode (inside `files.dir`). */
  file: string;
  /** Files mode: the file must exist. */
  required: boolean;
  /** May switch to Bulk API 2.0 when the first page's `totalSize` is above `bulkThreshold`. */
  bulk: boolean;
  /** Access errors (the object is not readable) give a warning instead of failing the source. */
  optional: boolean;
}

export const ORGANIZATION_SOQL =
  'SELECT Id, Name, IsSandbox, InstanceName, OrganizationType FROM Organization';
export const ORGANIZATION_FILE = 'organization.json';

export const QUERY_PLAN: readonly QuerySpec[] = [
  {
    key: 'permissionSets',
    object: 'PermissionSet',
    file: 'permissionsets.json',
    required: true,
    bulk: false,
    optional: false,
  },
  {
    key: 'objectPermissions',
    object: 'ObjectPermissions',
    file: 'objectpermissions.json',
    required: false,
    bulk: true,
    optional: false,
  },
  {
    key: 'permissionSetGroups',
    object: 'PermissionSetGroup',
    file: 'permissionsetgroups.json',
    required: false,
    bulk: false,
    optional: false,
  },
  {
    key: 'permissionSetGroupComponents',
    object: 'PermissionSetGroupComponent',
    file: 'permissionsetgroupcomponents.json',
    required: false,
    bulk: false,
    optional: false,
  },
  {
    key: 'assignments',
    object: 'PermissionSetAssignment',
    file: 'permissionsetassignments.json',
    required: true,
    bulk: true,
    optional: false,
  },
  {
    key: 'oauthTokens',
    object: 'OauthToken',
    file: 'oauthtokens.json',
    required: false,
    bulk: false,
    optional: true,
  },
  { key: 'users', object: 'User', file: 'users.json', required: true, bulk: true, optional: false },
];

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,79}$/;

/** Validate object API names before they go into SOQL (they come from config and rulesets). */
export function checkObjectNames(objects: readonly string[]): string[] {
  const unique = [...new Set(objects)].sort();
  for (const [i, name] of unique.entries()) {
    if (!OBJECT_NAME.test(name)) {
      throw new InputError(`"${name}" is not a Salesforce object API name`, { field: `objects[${i}]` });
    }
  }
  return unique;
}

/** The SOQL text for one query of the plan. */
export function soqlFor(key: QueryKey, objects: readonly string[]): string {
  switch (key) {
    case 'permissionSets':
      return [
        'SELECT Id, Name, Label, IsOwnedByProfile, ProfileId, Profile.Name, PermissionSetGroupId,',
        SYSTEM_PERMISSIONS.map(permissionField).join(', '),
        'FROM PermissionSet',
      ].join(' ');
    case 'objectPermissions':
      return [
        'SELECT Id, ParentId, SobjectType,',
        OBJECT_ACTIONS.map(([field]) => field).join(', '),
        `FROM ObjectPermissions WHERE SobjectType IN (${objects.map((o) => `'${o}'`).join(', ')})`,
      ].join(' ');
    case 'permissionSetGroups':
      return 'SELECT Id, DeveloperName, MasterLabel, Status FROM PermissionSetGroup';
    case 'permissionSetGroupComponents':
      return 'SELECT Id, PermissionSetGroupId, PermissionSetId FROM PermissionSetGroupComponent';
    case 'assignments':
      // Every user has an assignment to their profile's own permission set; the profile grant comes from User.ProfileId.
      return [
        'SELECT Id, AssigneeId, PermissionSetId, PermissionSetGroupId, IsActive, ExpirationDate, SystemModstamp',
        'FROM PermissionSetAssignment WHERE PermissionSet.IsOwnedByProfile = false',
      ].join(' ');
    case 'oauthTokens':
      return 'SELECT Id, UserId, AppName, CreatedDate, LastUsedDate, UseCount FROM OauthToken';
    case 'users':
      return [
        'SELECT Id, Username, Name, Email, FederationIdentifier, EmployeeNumber, IsActive, UserType, CreatedDate, LastLoginDate,',
        'ProfileId, Profile.Name, Profile.UserLicense.Name, ManagerId FROM User',
      ].join(' ');
  }
}
