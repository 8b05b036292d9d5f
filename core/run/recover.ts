/**
 * A run that crashed between reserving the chain and committing leaves a reservation behind.
 * The next run settles it from the evidence itself: if the crashed run's pack was sealed, the
 * chain head adopts it (the pack is the record); if not, the reservation is dropped.
 */
import type { Logger } from '../connector';
import { MANIFEST_FILE, parseManifest, sha256Hex } from '../evidence/manifest';
import type { PackReader } from '../evidence/ports';
import type { FindingsRepository } from '../findings/repository';

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
    await repo.commitRun(pending.runId, [], {
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
