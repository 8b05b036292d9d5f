/**
 * Findings (docs/findings.md, docs/rules.md). A rule produces `FindingDraft`s; the lifecycle (`lifecycle.ts`) merges
 * them with the stored findings into `Finding`s with stable ids, status and history.
 */
import { hash } from 'node:crypto';

export const RULE_IDS = [
  'NHI-DORMANT',
  'NHI-NEVER-USED',
  'NHI-CRED-UNUSED',
  'NHI-CRED-STALE',
  'NHI-CRED-EXPIRED',
  'NHI-NO-OWNER',
  'NHI-ORPHANED',
  'NHI-PRIVILEGED',
  'USER-DORMANT',
  'SOD-CONFLICT',
  // Issue 12: leavers, privileged people and root.
  'USER-TERMINATED-ACCESS',
  'USER-ACTIVE-AFTER-TERMINATION',
  'USER-NO-HR-RECORD',
  'USER-PRIVILEGED',
  'USER-PRIVILEGED-NO-MFA',
  'USER-NEVER-USED',
  'CRED-UNUSED',
  'CRED-STALE',
  'AWS-ROOT-ACCESS-KEY',
  'AWS-ROOT-RECENT-USE',
  'AWS-ROOT-NO-MFA',
  'AWS-CONSOLE-NO-MFA',
  'IDENTITY-AMBIGUOUS',
  // Issue 10: a revoke decision of an access review not carried out within its SLA.
  'REVIEW-REVOKE-NOT-DONE',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** Rules raised from access-review decisions (`accessproof review`), not from a tenant's data alone. */
export const REVIEW_RULE_IDS: readonly RuleId[] = ['REVIEW-REVOKE-NOT-DONE'];

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export type FindingStatus = 'open' | 'risk-accepted' | 'resolved' | 'reopened';

export interface FindingSubject {
  /** Identity id (`person:…` or `principal:…`). */
  identity: string;
  /** The principal uids the finding is about, sorted. */
  principals: string[];
  /**
   * The identity's anchors when the finding was last seen (`employee:…`, `email:…`,
   * `principal:<uid>`): who the subject is, whatever its key. Used to recognise the same finding
   * when the identity's key changes, and to refuse an exception approved by the subject.
   */
  anchors?: string[];
}

/** One fact that proves a finding: a grant and its path, an activity signal, a credential date. */
export interface EvidenceItem {
  kind: 'grant' | 'activity' | 'credential' | 'attribute' | 'note';
  /** Principal uid the item is about. */
  principal?: string;
  entitlement?: string;
  path?: string[];
  /** SoD: the function this grant gives. */
  function?: string;
  /** Name of the signal (`RoleLastUsed`, `createdAt`, `expiresAt`, …). */
  signal?: string;
  at?: string;
  /** Short statement of the fact, for a person. */
  text: string;
}

/** What a rule emits. */
export interface FindingDraft {
  rule: RuleId;
  severity: Severity;
  title: string;
  subject: FindingSubject;
  /** Rule-specific facts. SoD: `{ riskId, functions: [...] }`. Must be deterministic. */
  detail: Record<string, unknown>;
  evidence: EvidenceItem[];
  /** The source ids whose data produced the finding: only their complete collection can resolve it. */
  sources: string[];
  /**
   * What makes the finding the same problem across runs, with the rule: principal rules use the
   * principal uid (`…|<credential id>` for credential rules), SoD uses `<identity>|<riskId>`.
   * Defaults to the identity and the sorted principals.
   */
  key?: string;
  /**
   * The rule's own key when the finding is about an identity (SoD: the risk id). With the
   * subject's anchors it recognises the finding again after the identity's key changed.
   */
  ruleKey?: string;
  /**
   * The owner a rule assigns (REVIEW-REVOKE-NOT-DONE: the campaign's owner). Set when the finding
   * opens; an owner recorded later is kept.
   */
  owner?: string;
  /**
   * When the rule itself says the problem was due (REVIEW-REVOKE-NOT-DONE: the revoke decision plus
   * `slaDays`); otherwise the lifecycle counts `slaDays` from when the finding opened.
   */
  dueAt?: string;
}

/** Why a finding left `open` (or its exception stopped applying), sealed in `remediation.jsonl`. */
export type TransitionReason = 'remediated' | 'policy-changed' | 'source-removed' | 'exception-invalidated';

/** What an exception accepted: it applies only while the finding still matches it. */
export interface AcceptedFacts {
  rule: RuleId;
  severity: Severity;
  riskId?: string;
  principals: string[];
  /** `Finding.factsSha256` when the exception was granted. */
  factsSha256: string;
}

export interface FindingException {
  approver: string;
  rationale: string;
  compensatingControl?: string;
  expiresAt: string;
  /** When it takes effect (`exception add --as-of`, default the time it was entered). */
  grantedAt: string;
  /** Wall-clock time it was entered. */
  enteredAt?: string;
  /** What was accepted; absent on exceptions recorded before this field existed. */
  accepted?: AcceptedFacts;
}

export interface FindingResolution {
  runId: string;
  how: string;
  at: string;
  /** Absent on resolutions recorded before reasons existed (they meant `remediated`). */
  reason?: Exclude<TransitionReason, 'exception-invalidated'>;
  /** policy-changed: the policy fields or ruleset hashes that changed (`policy.dormantDays: 90 → 365`). */
  policyChanges?: string[];
}

export interface HistoryEntry {
  at: string;
  runId?: string;
  /** `opened`, `seen`, `resolved`, `reopened`, `risk-accepted`, `exception-expired`, `owner-set` … */
  event: string;
  by?: string;
  note?: string;
  /** For `resolved` and `reopened` entries: why. */
  reason?: TransitionReason;
}

export interface Finding extends FindingDraft {
  /** Stable hash of rule id + subject key. */
  id: string;
  firstSeenRun: string;
  lastSeenRun: string;
  status: FindingStatus;
  owner?: string;
  dueAt?: string;
  /**
   * Who the finding is about, for a person: HR or directory display name, else the principal's
   * name (`display.ts`). Set by the scan from the inventory; not part of the id.
   */
  display?: string;
  /** Open or reopened and past `dueAt` at the as-of of the run that last wrote it (`display.ts`). */
  overdue?: boolean;
  exception?: FindingException;
  resolution?: FindingResolution;
  history: HistoryEntry[];
  /** SHA-256 of the facts that prove the finding (rule, severity, principals, grants, signals). */
  factsSha256?: string;
  /** The policy values the finding was last judged under (`policy.dormantDays` → 90, `ruleset:sox-core` → sha256). */
  policyBasis?: Record<string, string | number>;
}

/**
 * The facts of a draft as one hash: rule, severity, risk, principals and the grants, activity and
 * credential signals of its evidence (never its text, which names the run's date).
 */
export function factsSha256(d: FindingDraft): string {
  // One string per fact, built without the intermediate arrays (200k findings × ~30 facts, issue 11).
  const facts: string[] = [];
  for (const e of d.evidence) {
    if (e.kind !== 'grant' && e.kind !== 'activity' && e.kind !== 'credential') continue;
    // join() builds one flat string: a template literal leaves a chain of cons strings that the
    // sort compares and JSON.stringify flattens again (same text).
    facts.push(
      [
        e.kind,
        e.principal ?? '',
        e.entitlement ?? '',
        e.path && e.path.length > 0 ? e.path.join('>') : '',
        e.function ?? '',
        e.signal ?? '',
        e.at ?? '',
      ].join('\u0001'),
    );
  }
  facts.sort();
  // Sorted, so dropping repeats keeps what `[...new Set(facts)]` kept.
  let unique = 0;
  for (let i = 0; i < facts.length; i++) {
    if (i === 0 || facts[i] !== facts[unique - 1]) facts[unique++] = facts[i]!;
  }
  facts.length = unique;
  const riskId = typeof d.detail.riskId === 'string' ? d.detail.riskId : '';
  const principals = d.subject.principals;
  const body = JSON.stringify([
    d.rule,
    d.severity,
    riskId,
    isSorted(principals) ? principals : [...principals].sort(),
    facts,
  ]);
  // One-shot `hash`: a Hash object per finding (createHash/update/digest) cost ~3x as much CPU.
  return hash('sha256', body);
}

/** `id` = first 24 hex chars of SHA-256 over the rule id and the finding's key. */
export function findingId(draft: Pick<FindingDraft, 'rule' | 'subject' | 'key'>): string {
  const key = draft.key ?? `${draft.subject.identity}|${draft.subject.principals.join(',')}`;
  // The first 24 hex characters of the digest, as one flat string: a 24-character slice stays a
  // view of the 64-character hex (compared and hashed ~3× slower, which showed in sorts of 100k
  // findings), while slices under 13 characters are copied and `join` of two builds a flat string.
  // One-shot `hash` with hex output: a Hash object and a Buffer per finding cost ~4x the CPU.
  const hex = hash('sha256', `${draft.rule}\u0000${key}`);
  return [hex.slice(0, 12), hex.slice(12, 24)].join('');
}

/** True when `list` is in ascending code-unit order (what `sort()` gives), repeats allowed. */
export function isSorted(list: readonly string[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]! > list[i]!) return false;
  return true;
}
