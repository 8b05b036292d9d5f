/**
 * Step 4 of a run: write the evidence pack (inventory, findings, exceptions, remediation,
 * report), sign its manifest, publish it, then advance the findings store and the chain head.
 */
import type { Logger } from '../connector';
import type { SourceEntry } from '../evidence/manifest';
import type { ArtefactContent, EvidenceWriter, SealedPack, Signer } from '../evidence/ports';
import { renderReportHtml } from '../evidence/report-html';
import { exceptionsInForce } from '../findings/exceptions';
import type { Finding } from '../findings/model';
import { remediationRecords } from '../findings/remediation';
import type { FindingsRepository } from '../findings/repository';
import type { RunStore, SnapshotBytes } from '../ports';
import type { ScanResult } from './scan';
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
  /** More artefacts for the pack (access reviews under `reviews/`), written before the manifest. */
  extraArtefacts?: ReadonlyArray<{ path: string; content: ArtefactContent; records: number }>;
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

  const current = await repo.getChainHead();
  if (current?.runId === plan.runId) {
    // Re-delivered seal after a successful commit: the pack exists, report it again.
    return {
      runId: plan.runId,
      location: current.location,
      manifestSha256: current.manifestSha256,
      sequence: current.sequence,
      previous: scan.head ? { runId: scan.head.runId, manifestSha256: scan.head.manifestSha256 } : null,
      keyFingerprint: '',
      files: 0,
      bytes: 0,
    };
  }

  const pack = await input.writer.begin(plan.runId, new Date(plan.startedAt));
  let sealed: SealedPack;
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
        await pack.add(
          `inventory/${s.id}.jsonl.gz`,
          input.snapshots.bytes(s.snapshot.location),
          s.snapshot.records + 1,
        );
      }
    }
    const asOf = new Date(plan.asOf);
    await pack.add('findings.jsonl', jsonLines(scan.findings), scan.findings.length);
    const exceptions = exceptionsInForce(scan.findings, asOf);
    await pack.add('exceptions.jsonl', jsonLines(exceptions), exceptions.length);
    const byId = new Map(scan.findings.map((f) => [f.id, f]));
    const resolved = scan.changes.resolved
      .map((id) => byId.get(id))
      .filter((f): f is Finding => f !== undefined);
    const remediation = remediationRecords({ resolved });
    await pack.add('remediation.jsonl', jsonLines(remediation), remediation.length);
    const finishedAt = input.finishedAt.toISOString();
    const previous = scan.head ? { runId: scan.head.runId, manifestSha256: scan.head.manifestSha256 } : null;
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
    });
    await pack.add('report.html', new TextEncoder().encode(html), 0);
    for (const extra of input.extraArtefacts ?? []) await pack.add(extra.path, extra.content, extra.records);
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
      },
      input.signer,
    );
  } catch (err) {
    await pack.abort();
    throw err;
  }

  const changed = new Set(scan.changed);
  await repo.commitRun(
    plan.runId,
    scan.findings.filter((f) => changed.has(f.id)),
    {
      sequence: sealed.head.sequence,
      runId: plan.runId,
      manifestSha256: sealed.manifestSha256,
      location: sealed.location,
      sealedAt: input.finishedAt.toISOString(),
    },
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

/** One JSON document per line, streamed in chunks so a large finding list never becomes one string. */
async function* jsonLines(items: readonly unknown[]): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  let buf: string[] = [];
  for (const item of items) {
    buf.push(JSON.stringify(item));
    if (buf.length === 2_000) {
      yield enc.encode(`${buf.join('\n')}\n`);
      buf = [];
    }
  }
  if (buf.length) yield enc.encode(`${buf.join('\n')}\n`);
}
