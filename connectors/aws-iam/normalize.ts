/**
 * AWS IAM → the normalized model (core/model.ts), shared by files mode and live mode.
 *
 * Records come out in a fixed order — groups → users → roles → policies → finish — each in input
 * order, so a live collection that fetches `Filter=Group` first and pages through the rest emits
 * byte-identical records to files mode, whatever its page size. The normalizer is pure apart from
 * the small index it keeps between those calls (groups by name, managed policies referenced).
 */
import type { Page } from '../../core/connector';
import {
  type AwsPrincipalFacts,
  type Credential,
  type Entitlement,
  type Grant,
  makeUid,
  type PolicyStatement,
  type Principal,
  type PrincipalKind,
} from '../../core/model';
import {
  ACTIVITY_TAG,
  AWS_ROOT_TYPE,
  CREDENTIAL_ACTIVITY_TAG,
  MFA_SOURCE_TAG,
  MFA_TAG,
} from '../../core/rules/context';
import type { PrivilegeVerdict } from './action-catalog';
import type {
  AccountAuthorization,
  AttachedPolicy,
  GroupDetail,
  InlinePolicy,
  ManagedPolicyDetail,
  RoleDetail,
  UserDetail,
} from './authorization-details';
import type { CredentialReport, CredentialReportRow } from './credential-report';
import { allowedActions, toPolicyStatements, toTrustStatements } from './policy-statements';
import { overrideKind, roleKind, userKind } from './principal-kind';

export type {
  AccountAuthorization,
  GroupDetail,
  ManagedPolicyDetail,
  RoleDetail,
  UserDetail,
} from './authorization-details';
export { parseAuthorizationDetails } from './authorization-details';
export type { CredentialReport, CredentialReportRow } from './credential-report';
export { parseCredentialReport } from './credential-report';

export type PrivilegeClassify = (statements: readonly PolicyStatement[]) => PrivilegeVerdict;

export interface NormalizeOptions {
  /** The account id. */
  tenant: string;
  /** The config source id. */
  sourceId: string;
  /** From `loadPrivilegeClassifier()` (action-catalog.ts). */
  classify: PrivilegeClassify;
  /** The parsed credential report, when there is one. */
  credentialReport?: CredentialReport;
  /** Config `kinds`: ARN or uid → kind; wins over every heuristic. */
  kinds?: Readonly<Record<string, PrincipalKind>>;
  /**
   * `all` (default) emits every managed policy given; `referenced` emits AWS-managed policies
   * (`arn:aws:iam::aws:policy/…`) only when something in the account attaches them.
   */
  awsManagedPolicies?: 'all' | 'referenced';
  /** Warnings for the snapshot header (`ctx.warn`). */
  warn?: (message: string) => void;
}

interface GroupEntry {
  uid: string;
  /** Managed policies attached to the group (uids). */
  attached: string[];
  /** The group's inline policies (uids). */
  inline: string[];
}

const AWS_MANAGED = ':iam::aws:policy/';

/** Minimal email check: one `@`, a dot after it, no spaces. */
export function looksLikeEmail(s: string): boolean {
  const at = s.indexOf('@');
  return (
    at > 0 && at === s.lastIndexOf('@') && s.indexOf('.', at + 2) !== -1 && !/\s/.test(s) && !s.endsWith('.')
  );
}

function tagsOf(list: readonly { Key: string; Value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list) out[t.Key] = t.Value;
  return out;
}

function tagValue(tags: Readonly<Record<string, string>>, key: string): string | undefined {
  for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === key && v.trim() !== '') return v.trim();
  return undefined;
}

/** The account id in an ARN (`arn:aws:iam::123456789012:user/x`), or undefined (`aws` for AWS-managed). */
export function accountOfArn(arn: string): string | undefined {
  const parts = arn.split(':', 5);
  const account = parts[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/**
 * Normalizes one account's authorization details and credential report.
 *
 * @example
 * const n = new AwsNormalizer({ tenant: '123456789012', sourceId: 'aws-prod', classify, credentialReport });
 * const pages = [n.groups(authz.GroupDetailList), n.users(authz.UserDetailList),
 *   n.roles(authz.RoleDetailList), n.policies(authz.Policies), n.finish()];
 */
export class AwsNormalizer {
  private readonly groupsByName = new Map<string, GroupEntry>();
  private readonly reportByArn = new Map<string, CredentialReportRow>();
  private readonly reportMatched = new Set<string>();
  /** Managed policies attached somewhere: uid → name, first-reference order. */
  private readonly referenced = new Map<string, { arn: string; name: string }>();
  private readonly emittedPolicies = new Set<string>();
  private readonly missingDocuments: string[] = [];
  private readonly warn: (message: string) => void;

  constructor(private readonly opts: NormalizeOptions) {
    this.warn = opts.warn ?? (() => {});
    for (const row of opts.credentialReport?.rows ?? []) this.reportByArn.set(row.arn, row);
    for (const d of opts.credentialReport?.duplicates ?? []) {
      this.warn(`credential report lists ${d.arn} on lines ${d.lines.join(', ')}: the last row is used`);
    }
  }

  private uid(nativeId: string): string {
    return makeUid('aws', this.opts.tenant, nativeId);
  }

  private inlineEntitlement(ownerArn: string, p: InlinePolicy): Entitlement {
    const statements = toPolicyStatements(p.PolicyDocument);
    return this.policyEntitlement(
      `${ownerArn}#inline/${p.PolicyName}`,
      'inline-policy',
      p.PolicyName,
      statements,
    );
  }

  private policyEntitlement(
    nativeId: string,
    type: string,
    name: string,
    statements: PolicyStatement[] | undefined,
  ): Entitlement {
    const verdict = statements ? this.opts.classify(statements) : { privileged: false };
    const e: Entitlement = {
      uid: this.uid(nativeId),
      system: 'aws',
      tenant: this.opts.tenant,
      sourceId: this.opts.sourceId,
      nativeId,
      type,
      name,
      privileged: verdict.privileged,
      permissions: statements ? allowedActions(statements) : [],
    };
    if (statements) e.statements = statements;
    if (verdict.reason) e.privilegedReason = verdict.reason;
    return e;
  }

  private attachedUid(a: AttachedPolicy): string {
    const uid = this.uid(a.PolicyArn);
    if (!this.referenced.has(uid)) {
      this.referenced.set(uid, {
        arn: a.PolicyArn,
        name: a.PolicyName ?? a.PolicyArn.slice(a.PolicyArn.lastIndexOf('/') + 1),
      });
    }
    return uid;
  }

  /**
   * The boundary's entitlement uid. The policy counts as referenced (so it is emitted, or reported
   * missing) but is not granted: a boundary only limits.
   */
  private boundaryUid(b: { PermissionsBoundaryArn: string }): string {
    return this.attachedUid({ PolicyArn: b.PermissionsBoundaryArn });
  }

  /** Groups: `group` entitlements and their inline policies; no grants (groups are not principals). */
  groups(list: readonly GroupDetail[]): Page {
    const entitlements: Entitlement[] = [];
    for (const g of list) {
      const uid = this.uid(g.Arn);
      entitlements.push({
        uid,
        system: 'aws',
        tenant: this.opts.tenant,
        sourceId: this.opts.sourceId,
        nativeId: g.Arn,
        type: 'group',
        name: g.GroupName,
        // A group's power is in its policies, which carry `privileged`; grants through the group
        // reach the user with the group in their path.
        privileged: false,
        permissions: [],
      });
      const inline = g.GroupPolicyList.map((p) => this.inlineEntitlement(g.Arn, p));
      entitlements.push(...inline);
      this.groupsByName.set(g.GroupName, {
        uid,
        attached: g.AttachedManagedPolicies.map((a) => this.attachedUid(a)),
        inline: inline.map((e) => e.uid),
      });
    }
    return { entitlements };
  }

  /** Users: principals, their inline policies, and grants (direct, group, and through groups). */
  users(list: readonly UserDetail[]): Page {
    const principals: Principal[] = [];
    const entitlements: Entitlement[] = [];
    const grants: Grant[] = [];
    for (const u of list) {
      const row = this.reportByArn.get(u.Arn);
      if (row) this.reportMatched.add(u.Arn);
      const p = this.userPrincipal(u.Arn, u.UserName, tagsOf(u.Tags), u.CreateDate, row);
      const facts: AwsPrincipalFacts = {};
      if (u.UserId) facts.userId = u.UserId;
      if (u.PermissionsBoundary) facts.permissionsBoundary = this.boundaryUid(u.PermissionsBoundary);
      if (Object.keys(facts).length > 0) p.aws = facts;
      principals.push(p);
      for (const ip of u.UserPolicyList) {
        const e = this.inlineEntitlement(u.Arn, ip);
        entitlements.push(e);
        grants.push({ principal: p.uid, entitlement: e.uid, path: [] });
      }
      for (const a of u.AttachedManagedPolicies) {
        grants.push({ principal: p.uid, entitlement: this.attachedUid(a), path: [] });
      }
      for (const name of u.GroupList) {
        const g = this.groupsByName.get(name);
        if (!g) {
          this.warn(`${u.Arn}: member of group "${name}", which the authorization details do not contain`);
          continue;
        }
        grants.push({ principal: p.uid, entitlement: g.uid, path: [] });
        for (const e of g.attached) grants.push({ principal: p.uid, entitlement: e, path: [g.uid] });
        for (const e of g.inline) grants.push({ principal: p.uid, entitlement: e, path: [g.uid] });
      }
    }
    return { principals, entitlements, grants };
  }

  /** Principals for credential-report users when there are no authorization details at all. */
  reportOnlyUsers(): Page {
    const principals: Principal[] = [];
    for (const row of this.opts.credentialReport?.rows ?? []) {
      this.reportMatched.add(row.arn);
      const name = row.arn.slice(row.arn.lastIndexOf('/') + 1) || row.user;
      principals.push(this.userPrincipal(row.arn, name, {}, undefined, row));
    }
    return { principals };
  }

  private userPrincipal(
    arn: string,
    name: string,
    tags: Record<string, string>,
    createDate: string | undefined,
    row: CredentialReportRow | undefined,
  ): Principal {
    const uid = this.uid(arn);
    const decision = overrideKind(userKind(row, this.opts.credentialReport !== undefined), {
      arn,
      uid,
      tags,
      kinds: this.opts.kinds ?? {},
      warn: this.warn,
    });
    const p: Principal = {
      uid,
      system: 'aws',
      tenant: this.opts.tenant,
      sourceId: this.opts.sourceId,
      nativeId: arn,
      name,
      kind: decision.kind,
      type: decision.type,
      status: 'active',
      owners: [],
      credentials: row ? credentialsOf(row) : [],
      tags,
      kindReason: decision.reason,
    };
    const email = tagValue(tags, 'email') ?? (looksLikeEmail(name) ? name : undefined);
    if (email) p.email = email;
    const employeeId = tagValue(tags, 'employee_id') ?? tagValue(tags, 'employeeid');
    if (employeeId) p.employeeId = employeeId;
    const owner = tagValue(tags, 'owner');
    if (owner) p.owners = [owner];
    if (row?.mfaActive !== undefined) p.tags = { ...p.tags, ...mfaTags(row.mfaActive) };
    const createdAt = createDate ?? row?.userCreationTime;
    if (createdAt) p.createdAt = createdAt;
    const activity = row ? lastActivityOf(row) : undefined;
    if (activity) p.lastActivity = activity;
    if (this.opts.credentialReport === undefined) {
      // Only the report holds sign-in and key use: without it, "never used" cannot be judged.
      p.tags = { ...tags, [ACTIVITY_TAG]: 'unknown', [CREDENTIAL_ACTIVITY_TAG]: 'unknown' };
    }
    return orderPrincipal(p);
  }

  /** Roles: principals, their inline policies, and role→policy grants. */
  roles(list: readonly RoleDetail[]): Page {
    const principals: Principal[] = [];
    const entitlements: Entitlement[] = [];
    const grants: Grant[] = [];
    for (const r of list) {
      const uid = this.uid(r.Arn);
      const tags = tagsOf(r.Tags);
      const decision = overrideKind(roleKind(r), {
        arn: r.Arn,
        uid,
        tags,
        kinds: this.opts.kinds ?? {},
        warn: this.warn,
      });
      const p: Principal = {
        uid,
        system: 'aws',
        tenant: this.opts.tenant,
        sourceId: this.opts.sourceId,
        nativeId: r.Arn,
        name: r.RoleName,
        kind: decision.kind,
        type: decision.type,
        status: 'active',
        owners: [],
        credentials: [],
        tags,
        kindReason: decision.reason,
      };
      const email = tagValue(tags, 'email');
      if (email) p.email = email;
      const employeeId = tagValue(tags, 'employee_id') ?? tagValue(tags, 'employeeid');
      if (employeeId) p.employeeId = employeeId;
      const owner = tagValue(tags, 'owner');
      if (owner) p.owners = [owner];
      if (r.CreateDate) p.createdAt = r.CreateDate;
      if (r.RoleLastUsed.LastUsedDate)
        p.lastActivity = { at: r.RoleLastUsed.LastUsedDate, source: 'RoleLastUsed' };
      const facts: AwsPrincipalFacts = {};
      if (r.RoleId) facts.userId = r.RoleId;
      if (r.PermissionsBoundary) facts.permissionsBoundary = this.boundaryUid(r.PermissionsBoundary);
      if (r.AssumeRolePolicyDocument) facts.trustPolicy = toTrustStatements(r.AssumeRolePolicyDocument);
      if (Object.keys(facts).length > 0) p.aws = facts;
      principals.push(orderPrincipal(p));
      for (const ip of r.RolePolicyList) {
        const e = this.inlineEntitlement(r.Arn, ip);
        entitlements.push(e);
        grants.push({ principal: uid, entitlement: e.uid, path: [] });
      }
      for (const a of r.AttachedManagedPolicies) {
        grants.push({ principal: uid, entitlement: this.attachedUid(a), path: [] });
      }
    }
    return { principals, entitlements, grants };
  }

  /** Managed policies: the default version's statements only. */
  policies(list: readonly ManagedPolicyDetail[]): Page {
    const entitlements: Entitlement[] = [];
    for (const pol of list) {
      const uid = this.uid(pol.Arn);
      if (
        this.opts.awsManagedPolicies === 'referenced' &&
        pol.Arn.includes(AWS_MANAGED) &&
        !this.referenced.has(uid)
      ) {
        continue;
      }
      if (this.emittedPolicies.has(uid)) continue; // the same policy listed twice (overlapping pages)
      this.emittedPolicies.add(uid);
      const version =
        pol.PolicyVersionList.find((v) => v.IsDefaultVersion) ??
        pol.PolicyVersionList.find((v) => v.VersionId === pol.DefaultVersionId);
      if (!version?.Document) this.missingDocuments.push(pol.Arn);
      const statements = version?.Document ? toPolicyStatements(version.Document) : undefined;
      entitlements.push(this.policyEntitlement(pol.Arn, 'managed-policy', pol.PolicyName, statements));
    }
    return { entitlements };
  }

  /**
   * After every other call: entitlements for managed policies that are attached but absent from
   * the policies given (so no grant points at nothing), and warnings about what could not be read.
   */
  finish(): Page {
    const entitlements: Entitlement[] = [];
    const absent: string[] = [];
    for (const [uid, ref] of this.referenced) {
      if (this.emittedPolicies.has(uid)) continue;
      this.emittedPolicies.add(uid);
      absent.push(ref.name);
      entitlements.push(this.policyEntitlement(ref.arn, 'managed-policy', ref.name, undefined));
    }
    if (absent.length > 0) {
      this.warn(
        `${absent.length} attached managed policies are not in the export's Policies list, so their statements are unknown: ${absent.join(', ')}`,
      );
    }
    if (this.missingDocuments.length > 0) {
      this.warn(
        `${this.missingDocuments.length} managed policies have no default version document: ${this.missingDocuments.join(', ')}`,
      );
    }
    const principals: Principal[] = [];
    const root = this.opts.credentialReport?.root;
    if (root) principals.push(this.rootPrincipal(root));
    if (this.opts.credentialReport) {
      const unmatched = this.opts.credentialReport.rows.filter((r) => !this.reportMatched.has(r.arn));
      if (unmatched.length > 0) {
        this.warn(
          `${unmatched.length} credential-report users are not in the authorization details (deleted since the report?): ${unmatched.map((r) => r.user).join(', ')}`,
        );
      }
    } else {
      this.warn(
        'no credential report: IAM user activity and credentials are unknown, users are counted nonhuman',
      );
    }
    return principals.length > 0 ? { principals, entitlements } : { entitlements };
  }

  /**
   * The account's root user, from the credential report's `<root_account>` row: no IAM principal,
   * but its keys, MFA and use are controls of their own (AWS-ROOT-* rules, and only those).
   */
  private rootPrincipal(row: CredentialReportRow): Principal {
    const credentials: Credential[] = [];
    // The root row says `not_supported` for password_enabled: a root user has a password unless
    // AWS centralized root access removed it; its use is what the report does tell.
    if (row.passwordEnabled !== false && (row.passwordEnabled === true || row.passwordLastUsed)) {
      const c: Credential = { id: 'password', type: 'password', active: true };
      if (row.passwordLastUsed) c.lastUsedAt = row.passwordLastUsed;
      credentials.push(c);
    }
    for (const c of credentialsOf({ ...row, passwordEnabled: false })) credentials.push(c);
    const p: Principal = {
      uid: this.uid(row.arn),
      system: 'aws',
      tenant: this.opts.tenant,
      sourceId: this.opts.sourceId,
      nativeId: row.arn,
      name: 'root',
      kind: 'human',
      type: AWS_ROOT_TYPE,
      status: 'active',
      owners: [],
      credentials,
      tags: row.mfaActive === undefined ? {} : mfaTags(row.mfaActive),
      kindReason: 'credential-report:<root_account>',
    };
    if (row.userCreationTime) p.createdAt = row.userCreationTime;
    const activity = lastActivityOf(row);
    if (activity) p.lastActivity = activity;
    return orderPrincipal(p);
  }
}

/**
 * Every page of one account, in the fixed order. With no authorization details, the users come
 * from the credential report alone.
 *
 * @example
 * const pages = normalizeAccount(authz, { tenant, sourceId: 'aws-prod', classify, credentialReport });
 */
export function normalizeAccount(authz: AccountAuthorization | undefined, opts: NormalizeOptions): Page[] {
  const n = new AwsNormalizer(opts);
  if (!authz) return [n.reportOnlyUsers(), n.finish()];
  return [
    n.groups(authz.GroupDetailList),
    n.users(authz.UserDetailList),
    n.roles(authz.RoleDetailList),
    n.policies(authz.Policies),
    n.finish(),
  ];
}

/** The most recent of password and access-key use. `N/A` / `no_information` were dropped when parsed. */
export function lastActivityOf(row: CredentialReportRow): { at: string; source: string } | undefined {
  let best: { at: string; source: string } | undefined;
  const consider = (at: string | undefined, column: string) => {
    if (at !== undefined && (best === undefined || at > best.at))
      best = { at, source: `credential-report:${column}` };
  };
  consider(row.passwordLastUsed, 'password_last_used');
  for (const k of row.accessKeys) consider(k.lastUsedDate, `access_key_${k.slot}_last_used_date`);
  return best;
}

/** Active access keys and certificates, and the password when enabled. Never a secret: the report has none. */
export function credentialsOf(row: CredentialReportRow): Credential[] {
  const out: Credential[] = [];
  if (row.passwordEnabled) {
    const c: Credential = { id: 'password', type: 'password', active: true };
    if (row.passwordLastChanged) c.createdAt = row.passwordLastChanged;
    if (row.passwordLastUsed) c.lastUsedAt = row.passwordLastUsed;
    out.push(c);
  }
  for (const k of row.accessKeys) {
    if (!k.active) continue;
    const c: Credential = { id: `access_key_${k.slot}`, type: 'access-key', active: true };
    if (k.lastRotated) c.createdAt = k.lastRotated;
    if (k.lastUsedDate) c.lastUsedAt = k.lastUsedDate;
    out.push(c);
  }
  for (const cert of row.certificates) {
    if (!cert.active) continue;
    const c: Credential = { id: `cert_${cert.slot}`, type: 'certificate', active: true };
    if (cert.lastRotated) c.createdAt = cert.lastRotated;
    out.push(c);
  }
  return out;
}

/** What the credential report says of a user's MFA, as the tags the rules read. */
function mfaTags(active: boolean): Record<string, string> {
  return { [MFA_TAG]: active ? 'true' : 'false', [MFA_SOURCE_TAG]: 'credential-report:mfa_active' };
}

/** The model's field order, so a principal serializes the same however it was built. */
function orderPrincipal(p: Principal): Principal {
  const out: Principal = {
    uid: p.uid,
    system: p.system,
    tenant: p.tenant,
    sourceId: p.sourceId,
    nativeId: p.nativeId,
    name: p.name,
    kind: p.kind,
    type: p.type,
    status: p.status,
    owners: p.owners,
    credentials: p.credentials,
    tags: p.tags,
  };
  if (p.email !== undefined) out.email = p.email;
  if (p.employeeId !== undefined) out.employeeId = p.employeeId;
  if (p.createdAt !== undefined) out.createdAt = p.createdAt;
  if (p.lastActivity !== undefined) out.lastActivity = p.lastActivity;
  if (p.kindReason !== undefined) out.kindReason = p.kindReason;
  if (p.aws !== undefined) out.aws = p.aws;
  return out;
}
