/**
 * What counts as privileged in Entra: directory roles that can take over the tenant or its
 * identities, and Microsoft Graph permissions that write the directory, mail or files of everyone.
 */

/** Built-in directory roles by template id (the role definition id of a built-in role). */
export const PRIVILEGED_DIRECTORY_ROLES: ReadonlyMap<string, string> = new Map([
  ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
  ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator'],
  ['7be44c8a-adaf-4e2a-84d6-ab2649e08a13', 'Privileged Authentication Administrator'],
  ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ['9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', 'Application Administrator'],
  ['158c047a-c907-4556-b7ef-446551a6b5f7', 'Cloud Application Administrator'],
  ['194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator'],
  ['c4e39bd9-1100-46d3-8c65-fb160da0071f', 'Authentication Administrator'],
  ['729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator'],
  ['b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', 'Conditional Access Administrator'],
  ['8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', 'Hybrid Identity Administrator'],
  ['29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator'],
  ['f28a1f50-f6e7-4571-818b-6a12f2af6b6c', 'SharePoint Administrator'],
  ['fdd7a751-b60b-444a-984c-02652fe8fa1c', 'Groups Administrator'],
  ['966707d0-3269-4727-9be2-8c3a10f19b9d', 'Password Administrator'],
  ['b0f54661-2d74-4c50-afa3-1ec803f12efe', 'Billing Administrator'],
  ['3a2c62db-5318-420d-8d74-23affee5d9d5', 'Intune Administrator'],
]);

/** Microsoft Graph application / delegated permissions that can take over the tenant or read everyone's data. */
export const PRIVILEGED_GRAPH_PERMISSIONS: ReadonlySet<string> = new Set([
  'Directory.ReadWrite.All',
  'Directory.AccessAsUser.All',
  'RoleManagement.ReadWrite.Directory',
  'AppRoleAssignment.ReadWrite.All',
  'Application.ReadWrite.All',
  'Application.ReadWrite.OwnedBy',
  'User.ReadWrite.All',
  'Group.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'UserAuthenticationMethod.ReadWrite.All',
  'Policy.ReadWrite.ConditionalAccess',
  'Domain.ReadWrite.All',
  'Mail.ReadWrite',
  'Mail.Send',
  'Files.ReadWrite.All',
  'Sites.ReadWrite.All',
  'Sites.FullControl.All',
  'PrivilegedAccess.ReadWrite.AzureADGroup',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'DeviceManagementRBAC.ReadWrite.All',
]);

/** Why a Graph permission is privileged, or undefined. */
export function graphPermissionPrivilege(permission: string): string | undefined {
  if (PRIVILEGED_GRAPH_PERMISSIONS.has(permission)) return `Microsoft Graph permission ${permission}`;
  if (/\.ReadWrite\.All$/.test(permission))
    return `Microsoft Graph permission ${permission} writes tenant-wide data`;
  return undefined;
}

/** An app role of another application: administrator roles are privileged in the app they administer. */
export function appRolePrivilege(appName: string, role: string): string | undefined {
  return /admin/i.test(role) ? `administrator role of ${appName}` : undefined;
}

/** Why a directory role is privileged, or undefined. */
export function directoryRolePrivilege(
  id: string,
  templateId: string | undefined,
  isPrivileged: boolean | undefined,
): string | undefined {
  const name = PRIVILEGED_DIRECTORY_ROLES.get(templateId ?? id) ?? PRIVILEGED_DIRECTORY_ROLES.get(id);
  if (name) return `privileged directory role (${name})`;
  if (isPrivileged) return 'Entra marks the role privileged (isPrivileged)';
  return undefined;
}
