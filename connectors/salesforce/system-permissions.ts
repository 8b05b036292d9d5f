/**
 * The system permissions AccessProof collects from every profile and permission set, and which of
 * them make an entitlement privileged. Names are emitted without the `Permissions` field prefix
 * (`ModifyAllData`), the form SoD rulesets use.
 */

/** Permissions that let a holder read or change any data, the org's users or its code and configuration. */
export const PRIVILEGED_SYSTEM_PERMISSIONS = [
  'ModifyAllData',
  'ViewAllData',
  'ManageUsers',
  'ManageInternalUsers',
  'AssignPermissionSets',
  'ManageProfilesPermissionsets',
  'ManageRoles',
  'ManageSharing',
  'ResetPasswords',
  'AuthorApex',
  'CustomizeApplication',
  'ModifyMetadata',
  'BulkApiHardDelete',
] as const;

/** Collected for evidence and matching but not privileged on their own. */
export const OTHER_SYSTEM_PERMISSIONS = [
  'ApiEnabled',
  'ApiUserOnly',
  'ViewSetup',
  'ViewAllUsers',
  'ExportReport',
  'ManageDataIntegrations',
] as const;

export const SYSTEM_PERMISSIONS: readonly string[] = [
  ...PRIVILEGED_SYSTEM_PERMISSIONS,
  ...OTHER_SYSTEM_PERMISSIONS,
];

const privileged = new Set<string>(PRIVILEGED_SYSTEM_PERMISSIONS);

export function isPrivilegedSystemPermission(name: string): boolean {
  return privileged.has(name);
}

/** `PermissionsModifyAllData` for `ModifyAllData`. */
export function permissionField(name: string): string {
  return `Permissions${name}`;
}

/** ObjectPermissions fields and the action names `Object:Action` strings use. */
export const OBJECT_ACTIONS = [
  ['PermissionsCreate', 'Create'],
  ['PermissionsRead', 'Read'],
  ['PermissionsEdit', 'Edit'],
  ['PermissionsDelete', 'Delete'],
  ['PermissionsViewAllRecords', 'ViewAll'],
  ['PermissionsModifyAllRecords', 'ModifyAll'],
] as const;
