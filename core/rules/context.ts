/**
 * What every rule receives: the inventory, the clock to judge against and the policy. Rules are
 * pure functions of `(principal, context)`; this module holds the shared facts they need (time
 * arithmetic, the principal's privileged grants, the severity of exposure) so each rule file
 * states only its control.
 */
import type { Policy, ThresholdName, Thresholds } from '../config';
import type { EvidenceItem, FindingDraft, RuleId, Severity } from '../findings/model';
import type { Inventory } from '../inventory';
import type { Credential, Entitlement, Grant, Principal } from '../model';
import type { PersonMatch } from '../people';
import type { CompiledRuleset } from '../sod';

export interface RuleOptions {
  /** The clock rules judge against (`--as-of`); never read from the system. */
  asOf: Date;
  policy: Policy;
  /** The compiled SoD rulesets; undefined when the policy names none. */
  sod: CompiledRuleset | undefined;
  /** Whether a source (config `id`) is behind financial reporting. */
  financiallySignificant: (sourceId: string) => boolean;
  /** A source's own thresholds (config `sources[].policy`), by source id. */
  sourcePolicy?: (sourceId: string) => Thresholds | undefined;
}

/** A threshold as a rule applied it, and where the value came from (for the finding and the auditor). */
export interface ThresholdUsed {
  value: number;
  /** `sources.netsuite.policy.dormantDays`, `policy.byKind.nonhuman.dormantDays` or `policy.dormantDays`. */
  from: string;
}

export interface PrivilegedGrant {
  grant: Grant;
  entitlement: Entitlement;
}

export interface RuleContext {
  readonly inv: Inventory;
  readonly options: RuleOptions;
  readonly policy: Policy;
  /** `asOf` in UTC milliseconds. */
  readonly asOfMs: number;
  /** `asOf` as ISO 8601, for evidence text. */
  readonly asOfIso: string;
  identityId(principalUid: string): string;
  /** The principal's grants of privileged entitlements (memoized). */
  privilegedGrants(principal: Principal): readonly PrivilegedGrant[];
  /** The threshold that applies to this principal: its source's, else its kind's, else the policy's. */
  threshold(principal: Principal, name: ThresholdName): ThresholdUsed;
  /** The person of the system of record this principal belongs to, when known. */
  personOf(principal: Principal): PersonMatch | undefined;
}

export type PrincipalRule = (principal: Principal, ctx: RuleContext) => FindingDraft[];

export const DAY_MS = 86_400_000;

/** Types whose lifecycle and ownership the platform manages (never dormancy or ownership findings). */
export const PLATFORM_OWNED_TYPES: ReadonlySet<string> = new Set(['service-linked-role', 'managed-identity']);

/** Tag a connector sets when it could not read a principal's activity (e.g. Entra without a sign-in licence). */
export const ACTIVITY_TAG = 'accessproof:activity';
/** Tag marking a principal the vendor owns (a Microsoft first-party service principal). */
export const PLATFORM_OWNED_TAG = 'accessproof:platform-owned';

export function activityUnknown(p: Principal): boolean {
  return p.tags[ACTIVITY_TAG] === 'unknown';
}

/** Tag a connector sets when per-credential use cannot be read (Entra: credential sign-in report denied). */
export const CREDENTIAL_ACTIVITY_TAG = 'accessproof:credential-activity';

/** True when a credential's last use cannot be known: never-used credential findings are not judged. */
export function credentialActivityUnknown(p: Principal): boolean {
  return activityUnknown(p) || p.tags[CREDENTIAL_ACTIVITY_TAG] === 'unknown';
}

/** UTC milliseconds of an ISO time; undefined when absent or unparseable (never "long ago"). */
export function timeOf(iso: string | undefined): number | undefined {
  if (iso === undefined || iso === '') return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * The threshold test every age rule uses: strictly more than `days` whole days of milliseconds.
 * Exactly `days` days is within the limit; one millisecond more is past it.
 */
export function olderThanDays(thenMs: number, asOfMs: number, days: number): boolean {
  return asOfMs - thenMs > days * DAY_MS;
}

/** Whole days elapsed (rounded down), for evidence text. */
export function daysBetween(thenMs: number, asOfMs: number): number {
  return Math.floor((asOfMs - thenMs) / DAY_MS);
}

/** `2026-01-31` from an ISO time, for titles and text. */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

const NONE: readonly PrivilegedGrant[] = Object.freeze([]);

export function createRuleContext(inv: Inventory, options: RuleOptions): RuleContext {
  const asOfMs = options.asOf.getTime();
  if (Number.isNaN(asOfMs)) throw new RangeError('asOf is not a valid date');
  const memo = new Map<string, readonly PrivilegedGrant[]>();
  // Per entitlement index: 0 not looked up yet, 1 privileged, -1 not (no uid hashing per grant).
  const flags = new Int8Array(inv.index.entitlementCount);
  const privileged: (Entitlement | undefined)[] = [];
  const isPrivileged = (index: number): boolean => {
    if (flags[index] === 0) {
      const entitlement = inv.entitlements.get(inv.index.entitlementUidAt(index));
      flags[index] = entitlement?.privileged ? 1 : -1;
      if (entitlement?.privileged) privileged[index] = entitlement;
    }
    return flags[index] === 1;
  };
  return {
    inv,
    options,
    policy: options.policy,
    asOfMs,
    asOfIso: options.asOf.toISOString(),
    identityId: (uid) => inv.identityOf(uid)?.id ?? `principal:${uid}`,
    threshold(principal, name) {
      const own = options.sourcePolicy?.(principal.sourceId)?.[name];
      if (own !== undefined) return { value: own, from: `sources.${principal.sourceId}.policy.${name}` };
      const kind = options.policy.byKind?.[principal.kind]?.[name];
      if (kind !== undefined) return { value: kind, from: `policy.byKind.${principal.kind}.${name}` };
      return { value: options.policy[name], from: `policy.${name}` };
    },
    personOf: (principal) => inv.directory.matchOf(principal.uid),
    privilegedGrants(principal) {
      let list = memo.get(principal.uid);
      if (list) return list;
      const held = inv.principalGrants(principal.uid);
      let found: PrivilegedGrant[] | undefined;
      if (held) {
        for (let i = 0; i < held.entitlements.length; i++) {
          const index = held.entitlements[i]!;
          if (!isPrivileged(index)) continue;
          if (!found) found = [];
          found.push({ grant: held.grants[i]!, entitlement: privileged[index]! });
        }
      }
      list = found ?? NONE;
      memo.set(principal.uid, list);
      return list;
    },
  };
}

/** Why a finding about this principal matters more: privileged grants, a financially significant source. */
export interface Exposure {
  privileged: readonly PrivilegedGrant[];
  financiallySignificant: boolean;
}

export function exposureOf(p: Principal, ctx: RuleContext): Exposure {
  return {
    privileged: ctx.privilegedGrants(p),
    financiallySignificant: ctx.options.financiallySignificant(p.sourceId),
  };
}

/** `exposed` when the principal holds a privileged entitlement or sits in a financially significant source, else `otherwise`. */
export function severityFor(exposure: Exposure, exposed: Severity, otherwise: Severity): Severity {
  return exposure.privileged.length > 0 || exposure.financiallySignificant ? exposed : otherwise;
}

/** Evidence items that prove the exposure the severity rests on. */
export function exposureEvidence(p: Principal, exposure: Exposure): EvidenceItem[] {
  const items: EvidenceItem[] = exposure.privileged.map(({ grant, entitlement }) =>
    grantEvidence(p, grant, entitlement),
  );
  if (exposure.financiallySignificant) {
    items.push({
      kind: 'attribute',
      principal: p.uid,
      signal: 'financiallySignificant',
      text: `source ${p.sourceId} is configured as financially significant`,
    });
  }
  return items;
}

export function grantEvidence(p: Principal, grant: Grant, entitlement: Entitlement): EvidenceItem {
  const via = grant.path.length > 0 ? ` via ${grant.path.join(' → ')}` : ' (direct)';
  const why = entitlement.privileged
    ? ` — privileged${entitlement.privilegedReason ? `: ${entitlement.privilegedReason}` : ''}`
    : '';
  return {
    kind: 'grant',
    principal: p.uid,
    entitlement: entitlement.uid,
    path: [...grant.path],
    text: `${p.name} holds ${entitlement.type} "${entitlement.name}"${via}${why}`,
  };
}

/** The draft every principal rule emits; `key` defaults to the principal uid. */
export function principalDraft(
  rule: RuleId,
  p: Principal,
  ctx: RuleContext,
  fields: {
    severity: Severity;
    title: string;
    detail: Record<string, unknown>;
    evidence: EvidenceItem[];
    key?: string;
    /** Default: the principal's source. Rules that read other sources (the owners' directory) add them. */
    sources?: string[];
  },
): FindingDraft {
  return {
    rule,
    severity: fields.severity,
    title: fields.title,
    subject: {
      identity: ctx.identityId(p.uid),
      principals: [p.uid],
      anchors: ctx.inv.identityOf(p.uid)?.anchors ?? [`principal:${p.uid}`],
    },
    detail: fields.detail,
    evidence: fields.evidence,
    sources: fields.sources ?? [p.sourceId],
    key: fields.key ?? p.uid,
  };
}

/** `svc-payments (aws-prod)`: how titles name a principal. */
export function label(p: Principal): string {
  return `${p.name} (${p.sourceId})`;
}

/** `access-key AKIA…` / `client-secret "CI deploy" (keyId)`: how evidence names a credential (never its value). */
export function credentialLabel(c: Credential): string {
  return c.name ? `${c.type} "${c.name}" (${c.id})` : `${c.type} ${c.id}`;
}

/** Tag a connector sets when the source says whether the principal signs in with MFA: `true` or `false`. */
export const MFA_TAG = 'accessproof:mfa';
/** Where the MFA tag's value was read from (`credential-report:mfa_active`), for the evidence. */
export const MFA_SOURCE_TAG = 'accessproof:mfa-source';

/** True only when the source said MFA is off: unknown is never "no MFA". */
export function mfaOff(p: Principal): boolean {
  return p.tags[MFA_TAG] === 'false';
}

/** The principal type of an AWS account's root user (from the credential report's `<root_account>` row). */
export const AWS_ROOT_TYPE = 'root-user';

/** Principal types that are not people's accounts although no heuristic calls them non-human. */
export function isAccountRoot(p: Principal): boolean {
  return p.system === 'aws' && p.type === AWS_ROOT_TYPE;
}

/** Evidence of the HR record (or directory account) that says who the principal is and whether they left. */
export function personEvidence(p: Principal, match: PersonMatch): EvidenceItem[] {
  const person = match.person;
  const how: Record<PersonMatch['by'], string> = {
    link: `linked by hand in ${match.value}`,
    'employee-id': `matched by employee id ${match.value}`,
    email: `matched by email ${match.value}`,
    'other-email': `matched by other email ${match.value}`,
    'correlated-email': `matched by email ${match.value}, carried by accounts matched to this person by employee id`,
    entra: `correlated with the Entra account(s) of ${match.value}`,
  };
  const status =
    person.status === 'terminated'
      ? `status "${person.statusText}" (terminated)${person.terminationDate ? `, termination date ${person.terminationDate}` : ', termination date not given'}`
      : `status "${person.statusText}" (${person.status})`;
  const item: EvidenceItem = {
    kind: 'attribute',
    principal: p.uid,
    signal: match.by === 'entra' ? 'entra:accountEnabled' : 'hr',
    text: `${match.by === 'entra' ? 'directory of record' : 'HR record'} ${person.origin} (source ${person.sourceId}): ${person.name}${person.employeeId ? `, employee ${person.employeeId}` : ''}, ${status}; ${p.name} ${how[match.by]}`,
  };
  if (person.terminationDate) item.at = person.terminationDate;
  return [item];
}

/** The principal's entitlements as evidence (at most `max`, then a note of how many more). */
export function entitlementsEvidence(p: Principal, ctx: RuleContext, max = 50): EvidenceItem[] {
  const grants = ctx.inv.grantsOf(p.uid);
  const items: EvidenceItem[] = [];
  for (const g of grants.slice(0, max)) {
    const e = ctx.inv.entitlements.get(g.entitlement);
    if (e) items.push(grantEvidence(p, g, e));
  }
  if (grants.length > max) {
    items.push({ kind: 'note', principal: p.uid, text: `${grants.length - max} more grants not listed` });
  }
  if (grants.length === 0) {
    items.push({ kind: 'note', principal: p.uid, text: `${p.name} holds no entitlement in ${p.sourceId}` });
  }
  return items;
}
