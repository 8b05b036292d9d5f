/**
 * `remediation.jsonl` (DESIGN.md §6): the findings a run proved resolved, with the proof.
 */
import type { FindingChanges } from './lifecycle';
import type { Finding } from './model';

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
}

/**
 * One record per finding resolved in this run, sorted by finding id.
 *
 * @example
 * const rows = remediationRecords(result.changes); // → remediation.jsonl
 */
export function remediationRecords(changes: Pick<FindingChanges, 'resolved'>): RemediationRecord[] {
  const out: RemediationRecord[] = [];
  for (const f of changes.resolved) {
    if (f.status !== 'resolved' || !f.resolution) continue;
    out.push({
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
