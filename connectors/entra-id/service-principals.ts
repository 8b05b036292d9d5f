/**
 * Service principals (`GET /v1.0/servicePrincipals`): applications' instances in the tenant and
 * managed identities, with their app roles (to name app role assignments), credentials and type.
 */
import * as z from 'zod';
import type { Activity, Principal } from '../../core/model';
import { type CredInfo, credentialFields, credInfos, toCredential } from './app-credentials';
import type { AppInfo } from './applications';
import { type RecordContext, uidOf, withKindOverride } from './record-context';
import { ACTIVITY_TAG } from './users';

export const SERVICE_PRINCIPAL_SELECT = [
  'id',
  'appId',
  'displayName',
  'servicePrincipalType',
  'appOwnerOrganizationId',
  'accountEnabled',
  'alternativeNames',
  'appRoles',
  'passwordCredentials',
  'keyCredentials',
] as const;
export const SERVICE_PRINCIPAL_PAGE = 999;

/** Tenants Microsoft's own first-party applications are registered in. */
export const MICROSOFT_TENANTS: ReadonlySet<string> = new Set([
  'f8cdef31-a31e-4b4a-93e4-5f571e91255a', // Microsoft Services
  '72f988bf-86f1-41af-91ab-2d7cd011db47', // Microsoft corporate
]);

/** Microsoft Graph's application id: its app roles are the Graph application permissions. */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

const appRole = z.object({
  id: z.string().min(1),
  value: z.string().nullish(),
  displayName: z.string().nullish(),
});

export const servicePrincipalSchema = z.object({
  id: z.string().min(1),
  appId: z.string().nullish(),
  displayName: z.string().nullish(),
  servicePrincipalType: z.string().nullish(),
  appOwnerOrganizationId: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  alternativeNames: z.array(z.string()).nullish(),
  appRoles: z.array(appRole).nullish(),
  ...credentialFields,
});

export type Publisher = 'own' | 'microsoft' | 'third-party' | 'managed-identity' | 'legacy';

/** What state keeps of a service principal between pages. */
export interface SpInfo {
  id: string;
  appId: string;
  name: string;
  spType: string;
  enabled: boolean;
  ownerOrg?: string;
  publisher: Publisher;
  /** App role id → its claim value and display name. */
  appRoles: Record<string, { value?: string; displayName?: string }>;
  creds: CredInfo[];
  /** Managed identity: the Azure resource it belongs to, from `alternativeNames`. */
  miResource?: string;
  miKind?: 'system-assigned' | 'user-assigned';
}

export function publisherOf(tenant: string, spType: string, ownerOrg: string | undefined): Publisher {
  if (spType === 'ManagedIdentity') return 'managed-identity';
  if (ownerOrg === undefined) return spType === 'Legacy' ? 'legacy' : 'third-party';
  if (ownerOrg.toLowerCase() === tenant.toLowerCase()) return 'own';
  if (MICROSOFT_TENANTS.has(ownerOrg.toLowerCase())) return 'microsoft';
  return 'third-party';
}

export function spInfo(tenant: string, s: z.output<typeof servicePrincipalSchema>): SpInfo {
  const spType = s.servicePrincipalType ?? 'Application';
  const ownerOrg = s.appOwnerOrganizationId ?? undefined;
  const appRoles: SpInfo['appRoles'] = {};
  for (const r of s.appRoles ?? []) {
    const role: { value?: string; displayName?: string } = {};
    if (r.value) role.value = r.value;
    if (r.displayName) role.displayName = r.displayName;
    appRoles[r.id] = role;
  }
  const info: SpInfo = {
    id: s.id,
    appId: s.appId ?? s.id,
    name: s.displayName ?? s.appId ?? s.id,
    spType,
    enabled: s.accountEnabled !== false,
    publisher: publisherOf(tenant, spType, ownerOrg),
    appRoles,
    creds: credInfos(s, 'servicePrincipal'),
  };
  if (ownerOrg) info.ownerOrg = ownerOrg;
  if (spType === 'ManagedIdentity') {
    const names = s.alternativeNames ?? [];
    const resource = names.find((n) => n.startsWith('/'));
    if (resource) info.miResource = resource;
    // `isExplicit=True` marks a user-assigned identity (an Azure resource of its own).
    info.miKind = names.some((n) => n.toLowerCase() === 'isexplicit=true')
      ? 'user-assigned'
      : 'system-assigned';
  }
  return info;
}

export interface SpFacts {
  /** Its app registration in this tenant (own apps), whose credentials and owners it carries. */
  app?: AppInfo;
  owners: string[];
  /** `undefined` with `activityKnown` = no sign-in recorded. */
  activity?: Activity;
  activityKnown: boolean;
  credLastUsed: Record<string, string>;
  credActivityKnown: boolean;
}

export const CREDENTIAL_ACTIVITY_TAG = 'accessproof:credential-activity';
/** Set on Microsoft's first-party service principals: Microsoft owns them, the tenant cannot. */
export const PLATFORM_OWNED_TAG = 'accessproof:platform-owned';

/**
 * One principal per service principal. Credentials are the registration's plus its own; a managed
 * identity's are Azure's to rotate and are not listed (their age says nothing the customer controls).
 */
export function servicePrincipalPrincipal(rc: RecordContext, sp: SpInfo, f: SpFacts): Principal {
  const managed = sp.spType === 'ManagedIdentity';
  const creds = managed ? [] : [...(f.app?.creds ?? []), ...sp.creds];
  const tags: Record<string, string> = {
    'entra:appId': sp.appId,
    'entra:servicePrincipalType': sp.spType,
    'entra:publisher': sp.publisher,
  };
  if (sp.ownerOrg) tags['entra:appOwnerOrganizationId'] = sp.ownerOrg;
  if (f.app) tags['entra:applicationObjectId'] = f.app.id;
  if (sp.miResource) tags['entra:managedIdentityResource'] = sp.miResource;
  if (sp.miKind) tags['entra:managedIdentityKind'] = sp.miKind;
  if (sp.publisher === 'microsoft') tags[PLATFORM_OWNED_TAG] = 'true';
  if (!f.activityKnown) tags[ACTIVITY_TAG] = 'unknown';
  if (!f.credActivityKnown && creds.length > 0) tags[CREDENTIAL_ACTIVITY_TAG] = 'unknown';
  const p: Principal = {
    uid: uidOf(rc, sp.id),
    system: 'entra',
    tenant: rc.tenant,
    sourceId: rc.sourceId,
    nativeId: sp.id,
    name: sp.name,
    kind: 'nonhuman',
    kindReason: `entra:servicePrincipalType=${sp.spType}`,
    type: managed ? 'managed-identity' : 'service-principal',
    status: sp.enabled ? 'active' : 'disabled',
    owners: f.owners,
    credentials: creds.map((c) => toCredential(c, f.credLastUsed[c.id])),
    tags,
  };
  if (f.app?.createdAt) p.createdAt = f.app.createdAt;
  if (f.activityKnown && f.activity) p.lastActivity = f.activity;
  return withKindOverride(rc, p);
}
