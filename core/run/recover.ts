/**
 * A run that crashed between reserving the chain and committing leaves a reservation behind.
 * The next run settles it from the evidence itself: if the crashed run's pack was sealed, the
 * chain head adopts it (the pack is the record); if not, the reservation is dropped.
 *
 * A reservation younger than the lease may belong to a run that is still working: it is left
 * alone, and the new run's `reserve` then fails, naming the holder. Settling a live run's
 * reservation would let two runs seal packs on the same head: a fork no one can undo under
 * Object Lock.
 */
import type { Logger } from '../connector';
import { MANIFEST_FILE, parseManifest, sha256Hex } from '../evidence/manifest';
import type { PackReader, PackRef } from '../evidence/ports';
import type { Finding } from '../findings/model';
import { ChainConflictError, type ChainHead, type FindingsRepository } from '../findings/repository';
import { findingSchema } from '../findings/schema';

/** Longer than the longest run: a cursor loop of 96 fifteen-minute collects is 24 hours. */
export const DEFAULT_RESERVATION_LEASE_MS = 26 * 60 * 60 * 1000;

export type RecoveryOutcome =
  | { action: 'none' }
  | { action: 'held'; runId: string; reservedAt: string }
  | { action: 'adopted'; runId: string; location: string }
  | { action: 'cleared'; runId: string };

/**
 * @param leaseMs how old a reservation must be before its run counts as crashed; 0 when the caller
 *   knows no other run is alive (the CLI holds a lock on its state folder).
 */
export async function settleCrashedRun(
  repo: FindingsRepository,
  packs: PackReader,
  logger: Logger,
  at: string,
  leaseMs: number = DEFAULT_RESERVATION_LEASE_MS,
): Promise<RecoveryOutcome> {
  const pending = await repo.pendingReservation();
  if (!pending) return { action: 'none' };
  if (Date.parse(at) - Date.parse(pending.reservedAt) < leaseMs) {
    return { action: 'held', runId: pending.runId, reservedAt: pending.reservedAt };
  }
  const adopted = await adoptSealedPack(repo, packs, pending.runId);
  if (adopted) {
    logger.warn('adopted the sealed pack of a run that stopped before committing', {
      runId: pending.runId,
      at,
    });
    return { action: 'adopted', runId: pending.runId, location: adopted };
  }
  await repo.clearReservation(pending.runId);
  logger.warn('cleared the reservation of a run that stopped before sealing', { runId: pending.runId, at });
  return { action: 'cleared', runId: pending.runId };
}

/**
 * Settle a crashed run (when `packs` is given), then reserve the chain for `runId`: the one way a
 * scan or a reconcile starts its pack. Returns the head the pack will link to.
 */
export async function reserveRun(
  input: {
    repo: FindingsRepository;
    packs?: PackReader | undefined;
    logger: Logger;
    now: () => Date;
    reservationLeaseMs?: number | undefined;
  },
  runId: string,
): Promise<ChainHead | null> {
  const { repo, packs, logger } = input;
  if (packs) await settleCrashedRun(repo, packs, logger, input.now().toISOString(), input.reservationLeaseMs);
  const head = await repo.getChainHead();
  const outcome = await repo.reserve(runId, head, input.now().toISOString());
  if (outcome === 'already-committed') {
    throw new ChainConflictError(`run ${runId} was already committed; its scan result is gone`, { runId });
  }
  return head;
}

/**
 * Commit the sealed pack of `runId` (which holds the reservation) as the chain head, storing the
 * findings it sealed — or `findings` when the caller has them. Returns the pack's location, or
 * `undefined` when no sealed pack of that run exists.
 */
export async function adoptSealedPack(
  repo: FindingsRepository,
  packs: PackReader,
  runId: string,
  findings?: readonly Finding[],
): Promise<string | undefined> {
  const ref = (await packs.listPacks()).find((p) => p.runId === runId);
  const bytes = ref ? await packs.readFile(ref, MANIFEST_FILE) : undefined;
  const parsed = bytes ? parseManifest(bytes) : undefined;
  if (!ref || !bytes || !parsed?.ok) return undefined;
  // The pack's findings.jsonl is every finding as of that run: store them so the next run
  // reconciles against what the sealed pack says, not against the state before it.
  await repo.commitRun(runId, findings ?? (await readFindings(packs, ref)), {
    sequence: parsed.value.sequence,
    runId,
    manifestSha256: sha256Hex(bytes),
    location: ref.location,
    sealedAt: parsed.value.finishedAt,
  });
  return ref.location;
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
