/**
 * Step 5 of a run: one event per new, reopened or overdue finding, and a digest of the run.
 * Where they go (EventBridge + SNS in AWS, the terminal on one machine) is the Notifier's business.
 */
import {
  type AsffFinding,
  findingsToImport,
  toAsff,
  type WorkflowUpdate,
  workflowUpdates,
} from '../evidence/asff';
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
  /** The Security Hub import, when it is switched on (`securityHub: true` on the construct). */
  securityHub?: SecurityHubOutcome;
}

/** What Security Hub took and refused: counted in the run's metrics, named in the digest. */
export interface SecurityHubOutcome {
  /** Findings `BatchImportFindings` accepted (created or updated). */
  imported: number;
  /** Findings it refused, or that were in a batch it failed after the retries. */
  failed: number;
  /** Findings whose workflow `BatchUpdateFindings` set (suppressed, resolved, reopened). */
  workflowUpdated: number;
  workflowFailed: number;
  /** The first few failures, `<finding id or batch>: <error code> <message>`. */
  errors: string[];
}

/**
 * Security Hub as seen from core: it takes ASFF findings (batched by the adapter) and workflow
 * updates for findings it already holds. It never throws for a refused finding or batch: it counts.
 */
export interface FindingsImporter {
  importFindings(
    findings: readonly AsffFinding[],
    updates: readonly WorkflowUpdate[],
  ): Promise<SecurityHubOutcome>;
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
  /** Opt-in: import the run's findings into Security Hub (the account's default product). */
  securityHub?: { productArn: string; importer: FindingsImporter };
}

/** Build the events and the digest, then hand them to the notifier. Returns what was sent. */
export async function notifyStep(input: NotifyStepInput): Promise<RunDigest> {
  const scan = await input.runStore.get<ScanResult>(input.resultKey);
  if (!scan) throw new Error(`notify: no scan result at ${input.resultKey}`);
  const { events, digest } = buildNotifications(scan, input.sealed, input.sources, input.asOf);
  // Before the digest goes out, so it can say what Security Hub took.
  if (input.securityHub) {
    const { findings, updates } = securityHubImport(scan, input.securityHub.productArn, input.asOf);
    digest.securityHub = await input.securityHub.importer.importFindings(findings, updates);
  }
  await input.notifier.publish(events, digest);
  return digest;
}

/**
 * The ASFF findings and workflow updates a run sends to Security Hub. Deterministic for a run (its
 * as-of is `UpdatedAt`), so a retried notify imports the same findings again and changes nothing.
 */
export function securityHubImport(
  scan: ScanResult,
  productArn: string,
  asOf: Date,
): { findings: AsffFinding[]; updates: WorkflowUpdate[] } {
  const chosen = findingsToImport(scan.findings, scan.changes.resolved);
  const ctx = { productArn, runId: scan.runId, asOf: asOf.toISOString() };
  return { findings: chosen.map((f) => toAsff(f, ctx)), updates: workflowUpdates(chosen, scan.changes) };
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
  // A risk acceptance that ended (expired, or invalidated by a change) is new work again.
  const invalidated = scan.changes.invalidatedExceptions ?? [];
  for (const id of [...scan.changes.reopened, ...scan.changes.expiredExceptions, ...invalidated])
    push('finding.reopened', byId.get(id));
  const fresh = new Set([
    ...scan.changes.opened,
    ...scan.changes.reopened,
    ...scan.changes.expiredExceptions,
    ...invalidated,
  ]);
  for (const f of scan.findings) {
    if (overdueAt(f, asOf) && !fresh.has(f.id)) push('finding.overdue', f);
  }
  return { events, digest: runDigest(scan, sealed, sources, asOf) };
}

/**
 * The run's digest alone (what `buildNotifications` returns with the events): the CLI prints it
 * and needs no events, which at 200k opened findings were 200k throwaway objects (issue 11).
 */
export function runDigest(
  scan: ScanResult,
  sealed: SealedRun,
  sources: SourceResult[],
  asOf: Date,
): RunDigest {
  const invalidated = scan.changes.invalidatedExceptions ?? [];
  let overdue = 0;
  const overdueBySeverity: Partial<Record<Severity, number>> = {};
  for (const f of scan.findings) {
    if (overdueAt(f, asOf)) {
      overdue++;
      overdueBySeverity[f.severity] = (overdueBySeverity[f.severity] ?? 0) + 1;
    }
  }
  return {
    runId: scan.runId,
    packLocation: sealed.location,
    manifestSha256: sealed.manifestSha256,
    sources: sources.map((s) => ({ id: s.id, status: s.status, ...(s.error ? { error: s.error } : {}) })),
    open: scan.summary.open,
    bySeverity: scan.summary.bySeverity,
    opened: scan.changes.opened.length,
    reopened: scan.changes.reopened.length + scan.changes.expiredExceptions.length + invalidated.length,
    resolved: scan.changes.resolved.length,
    overdue,
    overdueBySeverity,
  };
}

/** Open or reopened and past its due date at `asOf`. */
function overdueAt(f: Finding, asOf: Date): boolean {
  return (
    (f.status === 'open' || f.status === 'reopened') && !!f.dueAt && Date.parse(f.dueAt) < asOf.getTime()
  );
}
