/**
 * A run that crashed between reserving the chain and committing leaves a reservation behind.
 * The next run settles it from the evidence itself: if the crashed run's pack was sealed, the
 * chain head adopts it (the pack is the record); if not, the reservation is dropped.
 */
import type { Logger } from '../connector';
import { MANIFEST_FILE, parseManifest, sha256Hex } from '../evidence/manifest';
import type { PackReader, PackRef } from '../evidence/ports';
import type { Finding } from '../findings/model';
import type { FindingsRepository } from '../findings/repository';
import { findingSchema } from '../findings/schema';

export type RecoveryOutcome =
  | { action: 'none' }
  | { action: 'adopted'; runId: string; location: string }
  | { action: 'cleared'; runId: string };

export async function settleCrashedRun(
  repo: FindingsRepository,
  packs: PackReader,
  logger: Logger,
  at: string,
): Promise<RecoveryOutcome> {
  const pending = await repo.pendingReservation();
  if (!pending) return { action: 'none' };
  const ref = (await packs.listPacks()).find((p) => p.runId === pending.runId);
  const bytes = ref ? await packs.readFile(ref, MANIFEST_FILE) : undefined;
  const parsed = bytes ? parseManifest(bytes) : undefined;
  if (ref && bytes && parsed?.ok) {
    // The pack's findings.jsonl is every finding as of that run: store them so the next run
    // reconciles against what the sealed pack says, not against the state before it.
    const findings = await readFindings(packs, ref);
    await repo.commitRun(pending.runId, findings, {
      sequence: parsed.value.sequence,
      runId: pending.runId,
      manifestSha256: sha256Hex(bytes),
      location: ref.location,
      sealedAt: parsed.value.finishedAt,
    });
    logger.warn('adopted the sealed pack of a run that stopped before committing', {
      runId: pending.runId,
      at,
    });
    return { action: 'adopted', runId: pending.runId, location: ref.location };
  }
  await repo.clearReservation(pending.runId);
  logger.warn('cleared the reservation of a run that stopped before sealing', { runId: pending.runId, at });
  return { action: 'cleared', runId: pending.runId };
}

async function readFindings(packs: PackReader, ref: PackRef): Promise<Finding[]> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of packs.openFile(ref, 'findings.jsonl'))
    text += decoder.decode(chunk, { stream: true });
  text += decoder.decode();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => findingSchema.parse(JSON.parse(l)) as Finding);
}
