/**
 * The connector's state between steps: JSON, kept only in the driver's checkpoint store. Upstream
 * page tokens (`@odata.nextLink`, file page pointers) live here and nowhere else.
 */
import type { Activity } from '../../core/model';
import type { AppInfo } from './applications';
import type { RoleDef } from './directory-roles';
import type { GroupInfo } from './groups';
import type { SpInfo } from './service-principals';

/** The order of collection. Later phases name what earlier ones collected. */
export const PHASES = [
  // Before users: their principals are emitted page by page and carry the MFA tag.
  'mfaRegistration',
  'users',
  'deletedUsers',
  'applications',
  'servicePrincipals',
  'spSignIns',
  'credentialSignIns',
  'owners',
  'emitServicePrincipals',
  'appRoleAssignments',
  'groups',
  'financialAppAssignments',
  'roleDefinitions',
  'roleAssignments',
  'oauth2Grants',
  'groupMembers',
  'nestedGroupMembers',
  'emitGroups',
  'done',
] as const;
export type Phase = (typeof PHASES)[number];

export const STATE_VERSION = 1;

export interface EntraState {
  v: number;
  phase: Phase;
  /** The next page of the collection being read (nextLink or file pointer); null = first page. */
  next: string | null;
  /** Pages read of the collection being read, for error messages. */
  page: number;
  /** Per-object work left in a phase: object ids (or `sp:<id>` / `app:<id>` for owners). */
  queue: string[];
  /** The per-object collection being paged (a financial app, a group). */
  current: string | null;
  /** Per-object collections whose first page (from `$batch`) had more: followed one page a step. */
  follow: { key: string; next: string }[];
  /** Throttled `$batch` sub-requests: wait this long before the next batch. */
  waitMs: number;
  /** Batches in a row with throttled sub-requests; too many fails the source. */
  throttledRounds: number;
  /** `selected`: users carry signInActivity; `unavailable`: 403, re-read without it; `unknown`: not exported. */
  userSignIn: 'selected' | 'unavailable' | 'unknown';
  spSignIn: 'known' | 'unknown';
  /**
   * User id → why the registration report says MFA is off (evidence text). Only "off" is kept: a
   * user not in it is registered or unknown, and the checkpoint stays small.
   */
  mfaOff?: Record<string, string>;
  credentialSignIn: 'known' | 'unknown';
  /** App registrations by appId. */
  apps: Record<string, AppInfo>;
  /** Service principals by object id. */
  sps: Record<string, SpInfo>;
  /** Last activity by appId. */
  spActivity: Record<string, Activity>;
  /** Last sign-in by credential key id. */
  credLastUsed: Record<string, string>;
  /** Owners by `sp:<id>` / `app:<id>`. */
  owners: Record<string, string[]>;
  /** Directory role definitions by id (and template id). */
  roleDefs: Record<string, RoleDef>;
  /** Entitlement uids already emitted. */
  emitted: Record<string, 1>;
  /** Groups to expand, by id. */
  groups: Record<string, GroupInfo>;
  /** Roles held through a group: its members get them, with the group in the path. */
  groupRoles: { group: string; entitlement: string }[];
  /** Per group: the users and service principals in its closure, and the nested groups. */
  closure: Record<string, { principals: string[]; nested: string[] }>;
  /** Direct members of groups in a nested structure. */
  direct: Record<string, string[]>;
}

export function initialState(userSignIn: EntraState['userSignIn']): EntraState {
  return {
    v: STATE_VERSION,
    phase: 'mfaRegistration',
    next: null,
    page: 0,
    queue: [],
    current: null,
    follow: [],
    waitMs: 0,
    throttledRounds: 0,
    userSignIn,
    spSignIn: 'unknown',
    mfaOff: {},
    credentialSignIn: 'unknown',
    apps: {},
    sps: {},
    spActivity: {},
    credLastUsed: {},
    owners: {},
    roleDefs: {},
    emitted: {},
    groups: {},
    groupRoles: [],
    closure: {},
    direct: {},
  };
}
