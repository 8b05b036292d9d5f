/**
 * Directory roles: definitions (`/roleManagement/directory/roleDefinitions`) give names and
 * privilege; assignments (`…/roleAssignments?$expand=principal`) give who holds them. A role
 * assigned at the tenant scope is named as Entra names it (`Global Administrator`); a narrower
 * scope (an administrative unit, one app) is a different entitlement and says its scope.
 */
import * as z from 'zod';
import type { Entitlement } from '../../core/model';
import { directoryRolePrivilege } from './privileged';
import { type RecordContext, uidOf } from './record-context';

export const ROLE_DEFINITION_SELECT = ['id', 'displayName', 'templateId', 'isBuiltIn'] as const;

export const roleDefinitionSchema = z.object({
  id: z.string().min(1),
  displayName: z.string().nullish(),
  templateId: z.string().nullish(),
  isBuiltIn: z.boolean().nullish(),
  /** Present on newer API versions; read when it is there. */
  isPrivileged: z.boolean().nullish(),
});

export const roleAssignmentSchema = z.object({
  id: z.string().min(1),
  principalId: z.string().min(1),
  roleDefinitionId: z.string().min(1),
  directoryScopeId: z.string().nullish(),
  principal: z
    .object({
      '@odata.type': z.string().nullish(),
      id: z.string().nullish(),
      displayName: z.string().nullish(),
    })
    .nullish(),
});

/** What state keeps of a role definition. */
export interface RoleDef {
  name: string;
  privilegedReason?: string;
}

export function roleDef(d: z.output<typeof roleDefinitionSchema>): RoleDef {
  const r: RoleDef = { name: d.displayName ?? d.id };
  const reason = directoryRolePrivilege(d.id, d.templateId ?? undefined, d.isPrivileged ?? undefined);
  if (reason) r.privilegedReason = reason;
  return r;
}

export function directoryRoleEntitlement(
  rc: RecordContext,
  roleDefinitionId: string,
  def: RoleDef | undefined,
  scope: string,
): Entitlement {
  const tenantWide = scope === '/' || scope === '';
  const nativeId = tenantWide
    ? `roleDefinitions/${roleDefinitionId}`
    : `roleDefinitions/${roleDefinitionId}@${scope}`;
  const base = def?.name ?? roleDefinitionId;
  const e: Entitlement = {
    uid: uidOf(rc, nativeId),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId,
    type: 'directory-role',
    name: tenantWide ? base : `${base} (scope ${scope})`,
    privileged: def?.privilegedReason !== undefined,
    permissions: [],
  };
  if (def?.privilegedReason) e.privilegedReason = def.privilegedReason;
  return e;
}
