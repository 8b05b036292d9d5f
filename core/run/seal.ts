/**
 * Step 4 of a run: write the evidence pack (inventory, findings, exceptions, remediation,
 * report), sign its manifest, publish it, then advance the findings store and the chain head.
 */
import type { Logger } from '../connector';
import { anchorOf, type HeadAnchor } from '../evidence/anchor';
import { jsonArray, jsonLines } from '../evidence/json-chunks';
import type { FindingCounts, SourceEntry } from '../evidence/manifest';
import { type OcsfContext, toOcsf } from '../evidence/ocsf';
import {
  type ArtefactContent,
  type EvidenceWriter,
  type OcsfConversion,
  type OcsfOffload,
  PackExistsError,
  type PackReader,
  type PackWriter,
  type SealedPack,
  type Signer,
} from '../evidence/ports';
import { RunDates } from '../evidence/report-dashboard';
import { type ReportCampaign, renderReportHtml } from '../evidence/report-html';
import { exceptionsInForce } from '../findings/exceptions';
import type { Finding } from '../findings/model';
import { remediationRecords } from '../findings/remediation';
import { ChainConflictError, type FindingsRepository, type RunCommit } from '../findings/repository';
import type { RunStore, SnapshotBytes } from '../ports';
import { adoptSealedPack } from './recover';
import { RUN_RECORDS_FILE } from './run-record';
import type { ScanResult } from './scan';
import { isOpen } from './scan';
import { chainTrend } from './trend';
import type { RunPlan, SourceResult } from './types';

export interface SealStepInput {
  plan: RunPlan;
  sources: SourceResult[];
  /** The scan step's `resultKey`. */
  resultKey: string;
  runStore: RunStore;
  snapshots: SnapshotBytes;
  writer: EvidenceWriter;
  signer: Signer;
  repo: FindingsRepository;
  /** When the run finished collecting and scanning (the real clock). */
  finishedAt: Date;
  /** The evidence store's reader: lets a re-delivered seal commit the pack its first attempt sealed. */
  packs?: PackReader;
  /**
   * Publishes the new head outside the account (the anchor topic) once the pack is sealed and
   * committed. A failure fails the step after the pack is safe; a re-delivery does not re-publish.
   */
  anchor?: HeadAnchor;
  /** More artefacts for the pack (access reviews under `reviews/`), written before the manifest. */
  extraArtefacts?: ReadonlyArray<{ path: string; content: ArtefactContent; records: number }>;
  /** Review campaigns as the pack records them, for the report's dashboard. */
  campaigns?: readonly ReportCampaign[];
  /**
   * Makes `findings.ocsf.json` beside this thread (a worker thread), from `findings.jsonl`'s
   * bytes, while both are written: the pack writer must then take two `add`s at once. Without it
   * (or when it declines, for few findings) the events are made here, one after the other.
   */
  ocsf?: OcsfOffload;
  logger: Logger;
}

export interface SealedRun {
  runId: string;
  location: string;
  manifestSha256: string;
  sequence: number;
  previous: { runId: string; manifestSha256: string } | null;
  keyFingerprint: string;
  files: number;
  bytes: number;
}

/**
 * @example
 * const sealed = await sealStep({ plan, sources, resultKey, runStore, snapshots, writer, signer, repo, finishedAt, logger });
 */
export async function sealStep(input: SealStepInput): Promise<SealedRun> {
  const { plan, repo } = input;
  const scan = await input.runStore.get<ScanResult>(input.resultKey);
  if (!scan) throw new Error(`seal: no scan result at ${input.resultKey}`);

  const previous = scan.head ? { runId: scan.head.runId, manifestSha256: scan.head.manifestSha256 } : null;
  const changedIds = new Set(scan.changed);
  const changed = scan.findings.filter((f) => changedIds.has(f.id));
  const current = await repo.getChainHead();
  if (current?.runId === plan.runId) return alreadySealed(plan.runId, current, previous); // re-delivered

  // Publish nothing unless this run still holds the chain: a pack sealed without the reservation
  // would fork the chain for as long as Object Lock keeps it.
  const pending = await repo.pendingReservation();
  if (pending?.runId !== plan.runId) {
    throw new ChainConflictError(
      `run ${plan.runId} no longer holds the evidence chain${pending ? ` (run ${pending.runId} does)` : ''}: nothing was sealed`,
      { runId: plan.runId, ...(pending ? { heldBy: pending.runId } : {}) },
    );
  }

  let pack: PackWriter;
  try {
    pack = await input.writer.begin(plan.runId, new Date(plan.startedAt));
  } catch (err) {
    return await resumeAfterSealed(err, input, changed, previous);
  }
  let sealed: SealedPack;
  let commit: RunCommit | undefined;
  let conversion: OcsfConversion | undefined;
  let events: ReturnType<typeof writeBoth> | undefined;
  try {
    const entries: SourceEntry[] = [];
    for (const s of input.sources) {
      entries.push({
        id: s.id,
        system: s.system,
        tenant: s.tenant ?? '',
        status: s.status,
        ...(s.error ? { error: s.error } : {}),
        counts: s.counts,
        ...(s.collectedAt ? { collectedAt: s.collectedAt } : {}),
        ...(s.snapshot ? { snapshotSha256: s.snapshot.sha256 } : {}),
      });
      if (s.snapshot) {
        const written = await pack.add(
          `inventory/${s.id}.jsonl.gz`,
          input.snapshots.bytes(s.snapshot.location),
          s.snapshot.records + 1,
        );
        // The pack must hold the snapshot the scan read: staging is working storage, not evidence.
        if (written.sha256 !== s.snapshot.sha256) {
          throw new Error(
            `seal: the snapshot of ${s.id} changed in staging since it was collected (sha256 ${s.snapshot.sha256}, now ${written.sha256}): nothing was sealed`,
          );
        }
      }
    }
    const asOf = new Date(plan.asOf);
    // The store takes the changed findings while the pack streams them, each with the JSON line
    // the pack got: one serialization of ~0.5 GB instead of two at 200k findings (issue 11).
    commit = await repo.openCommit?.(plan.runId);
    const store = commit;
    const ocsf: OcsfContext = {
      runId: plan.runId,
      asOf: plan.asOf,
      organization: plan.organization,
      toolVersion: plan.toolVersion,
    };
    const lines = (feed?: OcsfConversion) => {
      // With a conversion, each chunk's lines go to it as the chunk is written.
      const batch: string[] = [];
      return jsonLines(
        scan.findings,
        store || feed
          ? (f, json) => {
              if (store && changedIds.has(f.id)) store.put(f, json);
              if (feed) batch.push(json);
            }
          : undefined,
        feed ? () => (batch.length ? feed.feed(batch.splice(0)) : undefined) : undefined,
      );
    };
    conversion = input.ocsf?.open(ocsf, scan.findings.length);
    if (conversion) {
      // The events' file may still be written while this thread goes on with the others (the
      // report is seconds at 200k findings); seal waits for it before the manifest.
      events = writeBoth(pack, conversion, lines(conversion), scan.findings.length);
      await events.jsonl;
    } else {
      await pack.add('findings.jsonl', lines(), scan.findings.length);
      await pack.add(
        'findings.ocsf.json',
        jsonArray(scan.findings, (f) => JSON.stringify(toOcsf(f, ocsf))),
        scan.findings.length,
      );
    }
    const exceptions = exceptionsInForce(scan.findings, asOf);
    await pack.add('exceptions.jsonl', jsonLines(exceptions), exceptions.length);
    // Only the findings the remediation records name (a few, not every finding of the run).
    const named = new Set([...(scan.changes.resolved ?? []), ...(scan.changes.invalidatedExceptions ?? [])]);
    const byId = new Map<string, Finding>();
    if (named.size) for (const f of scan.findings) if (named.has(f.id)) byId.set(f.id, f);
    const pick = (ids: readonly string[] | undefined) =>
      (ids ?? []).map((id) => byId.get(id)).filter((f): f is Finding => f !== undefined);
    const remediation = remediationRecords({
      resolved: pick(scan.changes.resolved),
      invalidatedExceptions: pick(scan.changes.invalidatedExceptions),
    });
    await pack.add('remediation.jsonl', jsonLines(remediation), remediation.length);
    // Failed and released runs since the last pack: the gap in the chain, and who closed it.
    if (scan.runRecords?.length) {
      await pack.add(RUN_RECORDS_FILE, jsonLines(scan.runRecords), scan.runRecords.length);
    }
    const finishedAt = input.finishedAt.toISOString();
    const counts = findingCounts(scan.findings, asOf);
    const trend = await chainTrend(input.packs, scan.head, 24, input.logger);
    const sourceWarnings = Object.fromEntries(input.sources.map((s) => [s.id, s.warnings ?? []]));
    const html = renderReportHtml({
      organization: plan.organization,
      runId: plan.runId,
      startedAt: plan.startedAt,
      finishedAt,
      asOf: plan.asOf,
      toolVersion: plan.toolVersion,
      sequence: (scan.head?.sequence ?? 0) + 1,
      previous,
      sources: entries,
      findings: scan.findings,
      sourceWarnings,
      trend,
      ...(input.campaigns ? { campaigns: input.campaigns } : {}),
    });
    await pack.add('report.html', new TextEncoder().encode(html), 0);
    for (const extra of input.extraArtefacts ?? []) await pack.add(extra.path, extra.content, extra.records);
    await events?.both;
    sealed = await pack.seal(
      {
        runId: plan.runId,
        sequence: (scan.head?.sequence ?? 0) + 1,
        previous,
        startedAt: plan.startedAt,
        finishedAt,
        asOf: plan.asOf,
        toolVersion: plan.toolVersion,
        organization: plan.organization,
        configSha256: plan.configSha256,
        sources: entries,
        findings: counts,
      },
      input.signer,
    );
  } catch (err) {
    conversion?.abort(err);
    // No write may still run when the pack is thrown away.
    await events?.both.catch(() => {});
    await pack.abort();
    await commit?.abort();
    if (err instanceof PackExistsError) return await resumeAfterSealed(err, input, changed, previous);
    throw err;
  }

  const next = {
    sequence: sealed.head.sequence,
    runId: plan.runId,
    manifestSha256: sealed.manifestSha256,
    location: sealed.location,
    sealedAt: input.finishedAt.toISOString(),
  };
  if (commit) await commit.commit(next);
  else await repo.commitRun(plan.runId, changed, next);
  if (scan.runRecords?.length) {
    await repo.markRunRecordsSealed(
      scan.runRecords.map((r) => r.id),
      plan.runId,
    );
  }
  if (input.anchor)
    await input.anchor.publish(
      anchorOf({
        runId: plan.runId,
        sequence: sealed.head.sequence,
        manifestSha256: sealed.manifestSha256,
        keyFingerprint: sealed.manifest.signing.keyFingerprint,
        location: sealed.location,
      }),
    );
  input.logger.info('pack sealed', {
    runId: plan.runId,
    location: sealed.location,
    sequence: sealed.head.sequence,
  });
  return {
    runId: plan.runId,
    location: sealed.location,
    manifestSha256: sealed.manifestSha256,
    sequence: sealed.head.sequence,
    previous: sealed.manifest.previous,
    keyFingerprint: sealed.manifest.signing.keyFingerprint,
    files: sealed.manifest.files.length,
    bytes: sealed.manifest.files.reduce((n, f) => n + f.bytes, 0),
  };
}

function alreadySealed(
  runId: string,
  head: { location: string; manifestSha256: string; sequence: number },
  previous: SealedRun['previous'],
): SealedRun {
  return {
    runId,
    location: head.location,
    manifestSha256: head.manifestSha256,
    sequence: head.sequence,
    previous,
    keyFingerprint: '',
    files: 0,
    bytes: 0,
  };
}

/**
 * A re-delivered seal whose first attempt published the pack but stopped before committing: the
 * sealed pack is the record, so commit it (with this run's findings) instead of failing for ever.
 */
async function resumeAfterSealed(
  err: unknown,
  input: SealStepInput,
  changed: readonly Finding[],
  previous: SealedRun['previous'],
): Promise<SealedRun> {
  if (!(err instanceof PackExistsError) || !input.packs) throw err;
  const location = await adoptSealedPack(input.repo, input.packs, input.plan.runId, changed);
  const head = await input.repo.getChainHead();
  if (!location || head?.runId !== input.plan.runId) throw err;
  input.logger.warn('seal re-delivered: committed the pack the first attempt sealed', {
    runId: input.plan.runId,
  });
  return alreadySealed(input.plan.runId, head, previous);
}

/** The counts `manifest.findings` records (open = open and reopened). */
export function findingCounts(findings: readonly Finding[], asOf: Date): FindingCounts {
  const counts: FindingCounts = {
    total: findings.length,
    open: 0,
    overdue: 0,
    riskAccepted: 0,
    bySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
  };
  const dates = new RunDates(asOf);
  for (const f of findings) {
    if (f.status === 'risk-accepted') counts.riskAccepted++;
    if (!isOpen(f)) continue;
    counts.open++;
    counts.bySeverity[f.severity]++;
    if (dates.overdue(f)) counts.overdue++;
  }
  return counts;
}

/**
 * `findings.jsonl` and `findings.ocsf.json` written at once, the events made by `conversion` from
 * the lines as they are written. `jsonl` settles when the lines are written; `both` when both
 * writes have ended (or failed), with the first failure, so an aborted pack waits for it and has no
 * write still running. A failure of either stops the other.
 */
function writeBoth(
  pack: PackWriter,
  conversion: OcsfConversion,
  lines: AsyncIterable<Uint8Array>,
  records: number,
): { jsonl: Promise<void>; both: Promise<void> } {
  const jsonl = (async () => {
    try {
      await pack.add('findings.jsonl', lines, records);
    } catch (err) {
      conversion.abort(err);
      throw err;
    }
    conversion.end();
  })();
  const events = (async () => {
    try {
      await pack.add('findings.ocsf.json', conversion.output, records);
    } catch (err) {
      // The lines stop at their next chunk (feed rejects).
      conversion.abort(err);
      throw err;
    }
  })();
  const both = Promise.allSettled([jsonl, events]).then(([a, b]) => {
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
  });
  // Seen through `both` (awaited before the manifest, or on abort): not an unhandled rejection.
  jsonl.catch(() => {});
  both.catch(() => {});
  return { jsonl, both };
}
