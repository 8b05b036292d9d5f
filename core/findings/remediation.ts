/**
 * `remediation.jsonl`: every finding that left `open` (or whose exception stopped applying) in a
 * run, with the reason and the proof: `remediated`, `policy-changed`, `source-removed`, or
 * `exception-invalidated` (the finding is `reopened`).
 */
import type { FindingChanges } from './lifecycle';
import type { Finding, TransitionReason } from './model';

export interface RemediationRecord {
  findingId: string;
  rule: Finding['rule'];
  severity: Finding['severity'];
  title: string;
  subject: Finding['subject'];
  firstSeenRun: string;
  /** The run whose complete collection no longer saw the finding. */
  resolvedRun: string;
  resolvedAt: string;
  /** e.g. `not seen in complete collection of aws-prod, netsuite`. */
  how: string;
  /** Sources whose complete collection is the proof. */
  sources: string[];
  /** Absent only on rows of packs sealed before reasons existed. */
  reason: TransitionReason;
  /** The finding's status after the run: `resolved`, or `reopened` for `exception-invalidated`. */
  status: Finding['status'];
  /** policy-changed: the policy fields or ruleset hashes that changed. */
  policyChanges?: string[];
}

/**
 * One record per finding resolved in this run, sorted by finding id.
 *
 * @example
 * const rows = remediationRecords(result.changes); // → remediation.jsonl
 */
export function remediationRecords(
  changes: Pick<FindingChanges, 'resolved'> & Partial<Pick<FindingChanges, 'invalidatedExceptions'>>,
): RemediationRecord[] {
  const out: RemediationRecord[] = [];
  for (const f of changes.invalidatedExceptions ?? []) {
    const h = [...f.history].reverse().find((e) => e.reason === 'exception-invalidated');
    if (!h) continue;
    out.push({
      findingId: f.id,
      rule: f.rule,
      severity: f.severity,
      title: f.title,
      subject: f.subject,
      firstSeenRun: f.firstSeenRun,
      resolvedRun: h.runId ?? f.lastSeenRun,
      resolvedAt: h.at,
      how: h.note ?? 'the exception no longer matches what it accepted',
      sources: f.sources,
      reason: 'exception-invalidated',
      status: f.status,
    });
  }
  for (const f of changes.resolved) {
    if (f.status !== 'resolved' || !f.resolution) continue;
    out.push({
      reason: f.resolution.reason ?? 'remediated',
      status: f.status,
      ...(f.resolution.policyChanges ? { policyChanges: f.resolution.policyChanges } : {}),
      findingId: f.id,
      rule: f.rule,
      severity: f.severity,
      title: f.title,
      subject: f.subject,
      firstSeenRun: f.firstSeenRun,
      resolvedRun: f.resolution.runId,
      resolvedAt: f.resolution.at,
      how: f.resolution.how,
      sources: f.sources,
    });
  }
  return out.sort((a, b) => (a.findingId < b.findingId ? -1 : a.findingId > b.findingId ? 1 : 0));
}
