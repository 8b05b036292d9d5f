/**
 * Step 5 of a run: one event per new, reopened or overdue finding, and a digest of the run.
 * Where they go (EventBridge + SNS in AWS, the terminal on one machine) is the Notifier's business.
 */
import type { Finding, Severity } from '../findings/model';
import type { RunStore } from '../ports';
import type { ScanResult } from './scan';
import type { SealedRun } from './seal';
import type { SourceResult } from './types';

export type FindingEventType = 'finding.opened' | 'finding.reopened' | 'finding.overdue';

export interface FindingEvent {
  type: FindingEventType;
  runId: string;
  packLocation: string;
  finding: Pick<Finding, 'id' | 'rule' | 'severity' | 'title' | 'subject' | 'status' | 'dueAt' | 'owner'>;
}

export interface RunDigest {
  runId: string;
  packLocation: string;
  manifestSha256: string;
  sources: { id: string; status: SourceResult['status']; error?: string }[];
  open: number;
  bySeverity: Partial<Record<Severity, number>>;
  opened: number;
  reopened: number;
  resolved: number;
  overdue: number;
  /** Open findings past their due date, by severity (the overdue-critical alarm reads it). */
  overdueBySeverity: Partial<Record<Severity, number>>;
}

export interface Notifier {
  publish(events: readonly FindingEvent[], digest: RunDigest): Promise<void>;
}

export interface NotifyStepInput {
  resultKey: string;
  runStore: RunStore;
  sealed: SealedRun;
  sources: SourceResult[];
  asOf: Date;
  notifier: Notifier;
}

/** Build the events and the digest, then hand them to the notifier. Returns what was sent. */
export async function notifyStep(input: NotifyStepInput): Promise<RunDigest> {
  const scan = await input.runStore.get<ScanResult>(input.resultKey);
  if (!scan) throw new Error(`notify: no scan result at ${input.resultKey}`);
  const { events, digest } = buildNotifications(scan, input.sealed, input.sources, input.asOf);
  await input.notifier.publish(events, digest);
  return digest;
}

export function buildNotifications(
  scan: ScanResult,
  sealed: SealedRun,
  sources: SourceResult[],
  asOf: Date,
): { events: FindingEvent[]; digest: RunDigest } {
  const byId = new Map(scan.findings.map((f) => [f.id, f]));
  const events: FindingEvent[] = [];
  const push = (type: FindingEventType, f: Finding | undefined) => {
    if (!f) return;
    events.push({
      type,
      runId: scan.runId,
      packLocation: sealed.location,
      finding: {
        id: f.id,
        rule: f.rule,
        severity: f.severity,
        title: f.title,
        subject: f.subject,
        status: f.status,
        ...(f.dueAt ? { dueAt: f.dueAt } : {}),
        ...(f.owner ? { owner: f.owner } : {}),
      },
    });
  };
  for (const id of scan.changes.opened) push('finding.opened', byId.get(id));
  for (const id of [...scan.changes.reopened, ...scan.changes.expiredExceptions])
    push('finding.reopened', byId.get(id));
  const fresh = new Set([
    ...scan.changes.opened,
    ...scan.changes.reopened,
    ...scan.changes.expiredExceptions,
  ]);
  let overdue = 0;
  const overdueBySeverity: Partial<Record<Severity, number>> = {};
  for (const f of scan.findings) {
    if ((f.status === 'open' || f.status === 'reopened') && f.dueAt && Date.parse(f.dueAt) < asOf.getTime()) {
      overdue++;
      overdueBySeverity[f.severity] = (overdueBySeverity[f.severity] ?? 0) + 1;
      if (!fresh.has(f.id)) push('finding.overdue', f);
    }
  }
  const digest: RunDigest = {
    runId: scan.runId,
    packLocation: sealed.location,
    manifestSha256: sealed.manifestSha256,
    sources: sources.map((s) => ({ id: s.id, status: s.status, ...(s.error ? { error: s.error } : {}) })),
    open: scan.summary.open,
    bySeverity: scan.summary.bySeverity,
    opened: scan.changes.opened.length,
    reopened: scan.changes.reopened.length + scan.changes.expiredExceptions.length,
    resolved: scan.changes.resolved.length,
    overdue,
    overdueBySeverity,
  };
  return { events, digest };
}
