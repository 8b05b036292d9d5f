/**
 * Findings in the AWS Security Finding Format (ASFF) for Security Hub's `BatchImportFindings`
 * (issue 16, opt-in with `securityHub: true` on the construct). Pure: the importer in
 * `stores/security-hub/` sends what this builds.
 *
 * Security Hub keeps `Workflow` and `Note` from the first import only (after that they belong to
 * `BatchUpdateFindings`), so `workflowUpdates` says which findings need their workflow set again in
 * this run: every risk-accepted finding (SUPPRESSED with the exception's note), and those resolved
 * or reopened by this run. An open finding's workflow is left to the people working it (NOTIFIED …).
 */
import type { Finding, FindingException, FindingStatus, Severity } from '../findings/model';
import { ruleInfo } from '../rules/catalog';
import { splitPrincipalUid } from './ocsf';

export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** Security Hub's limits (API reference, AwsSecurityFinding and BatchImportFindings). */
export const ASFF_LIMITS = {
  batch: 100,
  title: 256,
  description: 1024,
  resources: 32,
  recommendation: 512,
  note: 512,
  productFields: 50,
  productFieldValue: 2048,
} as const;

export type WorkflowStatus = 'NEW' | 'NOTIFIED' | 'SUPPRESSED' | 'RESOLVED';
/** The partitions Security Hub runs in (its `Partition` enum, less the isolated ones). */
export type AsffPartition = 'aws' | 'aws-cn' | 'aws-us-gov';
export type SeverityLabel = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface AsffResource {
  Type: string;
  Id: string;
  Partition?: AsffPartition;
  Region?: string;
  Details?: { Other?: Record<string, string> };
}

export interface AsffNote {
  Text: string;
  UpdatedBy: string;
  UpdatedAt: string;
}

/** The subset of `AwsSecurityFinding` AccessProof writes (structurally the SDK's type). */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  ProductName: string;
  CompanyName: string;
  GeneratorId: string;
  AwsAccountId: string;
  Region: string;
  Types: string[];
  FirstObservedAt?: string;
  LastObservedAt?: string;
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label: SeverityLabel; Original: string };
  FindingProviderFields: { Severity: { Label: SeverityLabel; Original: string }; Types: string[] };
  Title: string;
  Description: string;
  Remediation: { Recommendation: { Text: string } };
  ProductFields: Record<string, string>;
  Resources: AsffResource[];
  Workflow: { Status: WorkflowStatus };
  RecordState: 'ACTIVE' | 'ARCHIVED';
  Note?: AsffNote;
}

export interface AsffContext {
  /** `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`. */
  productArn: string;
  runId: string;
  /** The run's clock: `UpdatedAt` (a later run's import updates, a repeat of this one changes nothing). */
  asOf: string;
}

const SEVERITY: Record<Severity, SeverityLabel> = {
  critical: 'CRITICAL',
  high: 'HIGH',
  medium: 'MEDIUM',
  low: 'LOW',
};

/** Lifecycle → Security Hub workflow: an exception suppresses, a reopened finding is new work. */
export const WORKFLOW: Record<FindingStatus, WorkflowStatus> = {
  open: 'NEW',
  reopened: 'NEW',
  'risk-accepted': 'SUPPRESSED',
  resolved: 'RESOLVED',
};

const PRODUCT_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):securityhub:([a-z0-9-]+):(\d{12}):product\/(\d{12})\/default$/;

/** The account's default product ARN, split; throws on anything else (a config error, said plainly). */
export function parseProductArn(arn: string): {
  partition: AsffPartition;
  region: string;
  accountId: string;
} {
  const m = PRODUCT_ARN.exec(arn);
  if (!m || m[3] !== m[4]) {
    throw new Error(
      `securityHub productArn: "${arn}" is not an account's default product (arn:<partition>:securityhub:<region>:<account>:product/<account>/default)`,
    );
  }
  return { partition: m[1] as AsffPartition, region: m[2]!, accountId: m[3]! };
}

/**
 * The findings a run imports: all that are not resolved (so Security Hub keeps them alive and
 * current), and those this run resolved (to archive them). Findings resolved by earlier runs were
 * archived then.
 */
export function findingsToImport(
  findings: readonly Finding[],
  resolvedThisRun: readonly string[],
): Finding[] {
  const resolved = new Set(resolvedThisRun);
  return findings.filter((f) => f.status !== 'resolved' || resolved.has(f.id));
}

/**
 * @example
 * const asff = toAsff(finding, { productArn, runId, asOf });
 */
export function toAsff(f: Finding, ctx: AsffContext): AsffFinding {
  const { partition, region, accountId } = parseProductArn(ctx.productArn);
  const rule = ruleInfo(f.rule);
  const severity = { Label: SEVERITY[f.severity], Original: f.severity };
  const types = [`Software and Configuration Checks/Industry and Regulatory Standards/${f.rule}`];
  const openedAt = f.history.find((h) => h.event === 'opened')?.at;
  const resources = f.subject.principals.map((uid) => resourceOf(uid, partition, region));
  const kept = resources.slice(0, ASFF_LIMITS.resources);
  const note = f.status === 'risk-accepted' && f.exception ? exceptionNote(f.exception) : undefined;
  const evidence = f.evidence.map((e) => e.text).filter((t) => t.trim() !== '');
  return {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: f.id,
    ProductArn: ctx.productArn,
    ProductName: 'AccessProof',
    CompanyName: 'AccessProof',
    GeneratorId: `accessproof/${f.rule}`,
    AwsAccountId: accountId,
    Region: region,
    Types: types,
    ...(openedAt ? { FirstObservedAt: openedAt } : {}),
    ...(f.lastSeenRun === ctx.runId ? { LastObservedAt: ctx.asOf } : {}),
    CreatedAt: openedAt ?? ctx.asOf,
    UpdatedAt: ctx.asOf,
    Severity: severity,
    FindingProviderFields: { Severity: severity, Types: types },
    Title: clip(f.title, ASFF_LIMITS.title),
    Description: clip([rule.description, ...evidence].join(' '), ASFF_LIMITS.description),
    Remediation: { Recommendation: { Text: clip(rule.remediation, ASFF_LIMITS.recommendation) } },
    ProductFields: productFields(f, ctx, resources.length - kept.length),
    Resources: kept,
    Workflow: { Status: WORKFLOW[f.status] },
    RecordState: f.status === 'resolved' ? 'ARCHIVED' : 'ACTIVE',
    ...(note ? { Note: note } : {}),
  };
}

/** What `BatchUpdateFindings` sets for a group of findings (one workflow status and one note per call). */
export interface WorkflowUpdate {
  status: WorkflowStatus;
  note?: AsffNote;
  ids: string[];
}

/**
 * The workflow changes Security Hub would otherwise not see (see the file comment), grouped by
 * status and note, ids sorted.
 */
export function workflowUpdates(
  imported: readonly Finding[],
  changes: {
    resolved: readonly string[];
    reopened: readonly string[];
    expiredExceptions: readonly string[];
    invalidatedExceptions?: readonly string[];
  },
): WorkflowUpdate[] {
  const moved = new Set([
    ...changes.resolved,
    ...changes.reopened,
    ...changes.expiredExceptions,
    // An exception that no longer holds (escalation, new principal, changed facts): NEW again.
    ...(changes.invalidatedExceptions ?? []),
  ]);
  const groups = new Map<string, WorkflowUpdate>();
  for (const f of imported) {
    if (f.status !== 'risk-accepted' && !moved.has(f.id)) continue;
    const note = f.status === 'risk-accepted' && f.exception ? exceptionNote(f.exception) : undefined;
    const status = WORKFLOW[f.status];
    const key = JSON.stringify([status, note ?? null]);
    const group = groups.get(key) ?? { status, ...(note ? { note } : {}), ids: [] };
    group.ids.push(f.id);
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((g) => ({ ...g, ids: g.ids.sort() }))
    .sort((a, b) => (a.ids[0]! < b.ids[0]! ? -1 : 1));
}

/** The exception as a Security Hub note: who accepted the risk, until when, and why. */
export function exceptionNote(e: FindingException): AsffNote {
  const control = e.compensatingControl ? ` Compensating control: ${e.compensatingControl}.` : '';
  return {
    Text: clip(
      `Risk accepted until ${e.expiresAt} by ${e.approver}: ${e.rationale}.${control}`,
      ASFF_LIMITS.note,
    ),
    UpdatedBy: clip(e.approver, 512),
    UpdatedAt: e.grantedAt,
  };
}

/** AWS IAM users and roles by their ARN; every other principal (and AWS root, SSO users) as `Other`. */
function resourceOf(uid: string, partition: AsffPartition, region: string): AsffResource {
  const { system, tenant, nativeId } = splitPrincipalUid(uid);
  if (system === 'aws') {
    const m = /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:(user|role)\//.exec(nativeId);
    if (m) {
      return {
        Type: m[2] === 'user' ? 'AwsIamUser' : 'AwsIamRole',
        Id: nativeId,
        Partition: m[1] as AsffPartition,
        Region: region,
      };
    }
  }
  return {
    Type: 'Other',
    Id: clip(uid, 512),
    Partition: partition,
    Region: region,
    Details: {
      Other: { system: clip(system, 1024), tenant: clip(tenant, 1024), nativeId: clip(nativeId, 1024) },
    },
  };
}

function productFields(f: Finding, ctx: AsffContext, resourcesLeftOut: number): Record<string, string> {
  const fields: Record<string, string | undefined> = {
    'accessproof/RuleId': f.rule,
    'accessproof/Status': f.status,
    'accessproof/RunId': ctx.runId,
    'accessproof/Identity': f.subject.identity,
    'accessproof/Display': f.display,
    'accessproof/Owner': f.owner,
    'accessproof/DueAt': f.dueAt,
    'accessproof/Overdue': String(f.overdue ?? false),
    'accessproof/Sources': f.sources.join(','),
    'accessproof/FirstSeenRun': f.firstSeenRun,
    'accessproof/LastSeenRun': f.lastSeenRun,
    'accessproof/ResolvedHow': f.resolution?.how,
    'accessproof/ExceptionExpiresAt': f.status === 'risk-accepted' ? f.exception?.expiresAt : undefined,
    // Security Hub takes at most 32 resources; the rest stay in the evidence pack, and this says so.
    'accessproof/ResourcesLeftOut': resourcesLeftOut > 0 ? String(resourcesLeftOut) : undefined,
  };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined && v !== '') out[k] = clip(v, ASFF_LIMITS.productFieldValue);
  }
  return out;
}

/** Shorten to `max` characters, saying so with an ellipsis. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
