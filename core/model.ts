/**
 * The normalized model every connector emits (docs/architecture.md).
 *
 * Times are ISO 8601 strings in UTC with milliseconds (`Date.prototype.toISOString()` form),
 * so snapshots are byte-for-byte reproducible.
 */

export const SYSTEMS = ['aws', 'entra', 'salesforce', 'erp', 'sap', 'hr'] as const;
export type System = (typeof SYSTEMS)[number];

export type PrincipalKind = 'human' | 'nonhuman';
export type PrincipalStatus = 'active' | 'disabled';

/** A credential a principal holds: access key, client secret, certificate, password. Never its value. */
export interface Credential {
  /** Stable identifier of the credential (access key id, Entra keyId): never a secret value or hint. */
  id: string;
  type: 'access-key' | 'password' | 'client-secret' | 'certificate' | 'oauth-token' | 'other';
  /** Human label when the system has one (Entra displayName). */
  name?: string;
  createdAt?: string;
  lastUsedAt?: string;
  expiresAt?: string;
  active: boolean;
}

/** The signal a last-activity time comes from, e.g. `RoleLastUsed`, `LastLoginDate`. */
export interface Activity {
  at: string;
  source: string;
}

export interface Principal {
  /** `<system>:<tenant>:<nativeId>` */
  uid: string;
  system: System;
  tenant: string;
  /** The source (config `id`) it was collected from. */
  sourceId: string;
  nativeId: string;
  name: string;
  kind: PrincipalKind;
  /** `iam-user`, `iam-role`, `service-linked-role`, `federated-role`, `user`, `guest`, `service-principal`, … */
  type: string;
  status: PrincipalStatus;
  email?: string;
  employeeId?: string;
  /** Owner uids or emails. */
  owners: string[];
  createdAt?: string;
  lastActivity?: Activity;
  credentials: Credential[];
  tags: Record<string, string>;
  /** Why `kind` was chosen (heuristic name or `tag:accessproof:kind`), for the auditor. */
  kindReason?: string;
  /** AWS only: what IAM evaluation needs beyond the grants (boundary, trust policy, unique id). */
  aws?: AwsPrincipalFacts;
  /**
   * The account's validity window (SAP `GLTGV`–`GLTGB`): first instant it is valid, first instant
   * it no longer is. A connector has no as-of date, so it only reports the window; the inventory
   * evaluates it against the scan's as-of (an account outside it counts as disabled).
   */
  validFrom?: string;
  validUntil?: string;
}

/** The AWS facts about a principal that change what its policies allow (issue 13). */
export interface AwsPrincipalFacts {
  /** The IAM unique id (`AIDA…` user, `AROA…` role): the value of `${aws:userid}`. */
  userId?: string;
  /** Uid of the managed-policy entitlement set as the permissions boundary. */
  permissionsBoundary?: string;
  /** A role's trust policy (AssumeRolePolicyDocument), with its Principal elements. */
  trustPolicy?: PolicyStatement[];
}

/** One IAM policy statement, normalized to arrays. Conditions are kept but not evaluated. */
export interface PolicyStatement {
  sid?: string;
  effect: 'Allow' | 'Deny';
  action?: string[];
  notAction?: string[];
  resource?: string[];
  notResource?: string[];
  /** True when the statement carries a Condition block (evaluation ignores it and says so). */
  hasCondition?: boolean;
  /** Principal / NotPrincipal present (resource policies): the engine reports them unsupported. */
  hasPrincipal?: boolean;
  /**
   * Resource or NotResource holds `${…}` policy variables to substitute per principal: set only
   * for documents of `Version: 2012-10-17` (older documents read them as literal text).
   */
  variables?: boolean;
  /** Trust policies only: the Principal element by kind (`AWS`, `Service`, `Federated`, `*`). */
  principal?: Record<string, string[]>;
  /** Trust policies only: the NotPrincipal element by kind. */
  notPrincipal?: Record<string, string[]>;
}

export interface Entitlement {
  /** `<system>:<tenant>:<nativeId>` */
  uid: string;
  system: System;
  tenant: string;
  sourceId: string;
  nativeId: string;
  /** `managed-policy`, `inline-policy`, `group`, `directory-role`, `app-role`, `profile`, `permission-set`, `erp-role`, … */
  type: string;
  name: string;
  privileged: boolean;
  /** ERP permission codes, Salesforce system permissions and `Object:Action` object permissions, Entra scopes. */
  permissions: string[];
  /** IAM policy statements (the default version of a managed policy; an inline policy's document). */
  statements?: PolicyStatement[];
  /** Why it is privileged, when it is. */
  privilegedReason?: string;
  /** SAP: the role's authorizations (AGR_1251, deleted rows dropped), matched by `sap` SoD matchers. */
  sapAuthorizations?: SapAuthorization[];
  /** SAP: the entitlement gives every authorization (`SAP_ALL`, `SAP_NEW`): every SAP function. */
  sapAll?: boolean;
}

/** One SAP field value as PFCG stores it: a single value or pattern (`LOW`), or a range `LOW`–`HIGH`. */
export interface SapFieldValue {
  low: string;
  high?: string;
}

/**
 * One authorization (an instance of an authorization object in a role's profile, AGR_1251 `AUTH`).
 * SAP checks an object against each authorization separately: all fields of ONE authorization must
 * allow the checked values.
 */
export interface SapAuthorization {
  object: string;
  auth: string;
  /** Field name → the values it allows (several rows of a field are alternatives). */
  fields: Record<string, SapFieldValue[]>;
}

export interface Grant {
  /** Principal uid. */
  principal: string;
  /** Entitlement uid. */
  entitlement: string;
  /** The uids the grant came through (group, permission set group), outermost first; empty when direct. */
  path: string[];
  grantedAt?: string;
  expiresAt?: string;
  /**
   * When the assignment is in force (SAP `AGR_USERS.FROM_DAT`–`TO_DAT`): first instant it grants,
   * first instant it no longer does. Evaluated by the inventory against the scan's as-of: outside
   * it the grant gives nothing.
   */
  validFrom?: string;
  validUntil?: string;
}

/** A person or workload across systems. */
export interface Identity {
  /**
   * `person:employee:<employee id>` when a principal carries one, else `person:<lowercased email>`,
   * else `principal:<uid>` (see core/correlate.ts).
   */
  id: string;
  name: string;
  kind: PrincipalKind;
  email?: string;
  principals: string[];
  /** Every key the identity was built from (`employee:…`, `email:…`, `principal:<uid>`), sorted. */
  anchors: string[];
}

/** How an HR export's status column reads, after `statusValues` mapping. */
export const PERSON_STATUSES = ['active', 'leave', 'terminated'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

/**
 * A worker of the HR system of record (issue 12). Not a principal: it holds no access, it is the
 * authority that explains the accounts that do (who they are, whether they still work here).
 */
export interface Person {
  /** `hr:<sourceId>:<employeeId>` */
  uid: string;
  sourceId: string;
  employeeId: string;
  name: string;
  status: PersonStatus;
  /** The status cell as the export wrote it, for the evidence. */
  statusText: string;
  email?: string;
  /** Former or alias addresses (the `other_emails` column, `;`-separated). */
  otherEmails: string[];
  hireDate?: string;
  terminationDate?: string;
  managerEmail?: string;
  department?: string;
  title?: string;
  /** `people.csv:12`: where the record is in the export. */
  origin: string;
}

/**
 * A manual correlation decision (the HR source's `links` file): this principal is that person, or
 * (`none`) is no person at all and must stay apart. Overrides every automatic match.
 */
export interface PersonLink {
  principal: string;
  employeeId?: string;
  email?: string;
  none?: true;
  /** `links.csv:4` */
  origin: string;
}

export function makeUid(system: System, tenant: string, nativeId: string): string {
  return `${system}:${tenant}:${nativeId}`;
}
