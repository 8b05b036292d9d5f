/**
 * Run records: what happened to a run that did not seal normally. A failed step (recorded by the
 * state machine's ReleaseRun step, or by the CLI) and a reservation released by an operator
 * (`accessproof runs release`) each leave one record in the findings store; the next sealed pack
 * carries every record not yet sealed (`runs.jsonl`), so an auditor sees the gap and who closed it.
 *
 * Releasing a run never guesses: a run whose pack was sealed is adopted as the chain head (the pack
 * is the record); only a run with no sealed pack gives its reservation back.
 */
import * as z from 'zod';
import type { Logger } from '../connector';
import type { PackReader } from '../evidence/ports';
import type { FindingsRepository } from '../findings/repository';
import { adoptSealedPack } from './recover';

/** What became of the run's chain reservation when the record was written. */
export const RESERVATION_OUTCOMES = ['released', 'adopted', 'none', 'held-by-other'] as const;
export type ReservationOutcome = (typeof RESERVATION_OUTCOMES)[number];

export const runRecordSchema = z.looseObject({
  /** `<runId>/<kind>/<n>`: deterministic, so a re-delivered step writes the same record. */
  id: z.string().min(1),
  runId: z.string().min(1),
  kind: z.enum(['failed', 'released']),
  at: z.string(),
  /** The step that failed (`plan`, `collect`, `scan`, `seal`, `notify`). */
  step: z.string().optional(),
  /** The error name and message, without input values. */
  error: z.string().optional(),
  /** Why an operator released the run. */
  reason: z.string().optional(),
  by: z.string().optional(),
  reservation: z.enum(RESERVATION_OUTCOMES),
  /** The run that holds the chain instead (`held-by-other`). */
  heldBy: z.string().optional(),
  /** The sealed pack adopted as the chain head (`adopted`). */
  location: z.string().optional(),
  /** The run whose pack carries this record in `runs.jsonl`. */
  sealedIn: z.string().optional(),
});
export type RunRecord = z.infer<typeof runRecordSchema>;

/** The file of a pack that lists the run records it seals. */
export const RUN_RECORDS_FILE = 'runs.jsonl';

/** The longest error text a record keeps: a Lambda cause can be a whole stack trace. */
export const MAX_RECORD_ERROR_CHARS = 2_000;

export interface ReleaseRequest {
  repo: FindingsRepository;
  /** The evidence store: a run whose pack was sealed is adopted, never released. */
  packs: PackReader;
  runId: string;
  kind: RunRecord['kind'];
  at: string;
  step?: string;
  error?: string;
  reason?: string;
  by?: string;
  /** Distinguishes two records of the same run and kind (a redriven execution's second failure). */
  attempt?: number;
  logger: Logger;
}

/**
 * Record the run's failure (or an operator's release) and give back the chain reservation if the
 * run holds it. Idempotent: the same request writes the same record and releases nothing twice.
 *
 * @example
 * const record = await releaseRun({ repo, packs, runId, kind: 'failed', step: 'seal', error, at, logger });
 */
export async function releaseRun(req: ReleaseRequest): Promise<RunRecord> {
  const { repo, runId } = req;
  const pending = await repo.pendingReservation();
  let reservation: ReservationOutcome = 'none';
  let location: string | undefined;
  let heldBy: string | undefined;
  if (pending?.runId === runId) {
    // A pack sealed before the failure is the record: commit it rather than fork the chain later.
    location = await adoptSealedPack(repo, req.packs, runId);
    if (location) {
      reservation = 'adopted';
    } else {
      await repo.clearReservation(runId);
      reservation = 'released';
    }
  } else if (pending) {
    reservation = 'held-by-other';
    heldBy = pending.runId;
  }
  const record: RunRecord = {
    id: `${runId}/${req.kind}/${req.attempt ?? 0}`,
    runId,
    kind: req.kind,
    at: req.at,
    ...(req.step ? { step: req.step } : {}),
    ...(req.error ? { error: req.error.slice(0, MAX_RECORD_ERROR_CHARS) } : {}),
    ...(req.reason ? { reason: req.reason } : {}),
    ...(req.by ? { by: req.by } : {}),
    reservation,
    ...(heldBy ? { heldBy } : {}),
    ...(location ? { location } : {}),
  };
  await repo.putRunRecord(record);
  req.logger.warn(req.kind === 'failed' ? 'run failed: recorded' : 'run released: recorded', {
    runId,
    reservation,
    ...(req.step ? { step: req.step } : {}),
  });
  return record;
}

/** Records no pack carries yet, oldest first: the next pack seals them. */
export function unsealedRecords(records: readonly RunRecord[]): RunRecord[] {
  return records.filter((r) => r.sealedIn === undefined).sort(compareRecords);
}

export function compareRecords(a: RunRecord, b: RunRecord): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** What the state machine's Catch hands the ReleaseRun step. */
export interface StepFailure {
  /** `scan`, `seal` or `notify`. */
  step: string;
  /** The Catch's `Error` (e.g. `ChainConflictError`, `States.Timeout`). */
  error: string;
  /** The Catch's `Cause`: for a Lambda error, JSON with `errorType` and `errorMessage`. */
  cause?: string;
  /** `$$.Execution.RedriveCount` when the step failed. */
  failedAtRedrive: number;
  /** `$$.Execution.RedriveCount` now: greater when this is a redrive of the failed execution. */
  redriveCount: number;
}

/**
 * The run failed and was cleaned up: the execution ends here (the RunFailed alarm fires), and a
 * redrive of the execution resumes at `resumeAt`.
 */
export class RunFailedError extends Error {
  override readonly name = 'RunFailed';
}

/** `scan` and `seal` resume at scan (it scans again if the reservation was released); notify at notify. */
export function resumeStepFor(step: string): 'scan' | 'notify' {
  return step === 'notify' ? 'notify' : 'scan';
}

/**
 * The ReleaseRun step. First pass: record the failure, release (or adopt) the reservation and
 * throw `RunFailedError`, so the execution fails with the original step named. A redrive reruns
 * this step with a higher redrive count: it then says where to resume instead.
 *
 * @example
 * const { resumeAt } = await releaseFailedRun({ repo, packs, runId, failure, at, logger });
 */
export async function releaseFailedRun(input: {
  repo: FindingsRepository;
  packs: PackReader;
  runId: string;
  failure: StepFailure;
  at: string;
  logger: Logger;
}): Promise<{ resumeAt: 'scan' | 'notify' }> {
  const { failure } = input;
  const resumeAt = resumeStepFor(failure.step);
  if (failure.redriveCount > failure.failedAtRedrive) {
    input.logger.info('redriven run resumes', { runId: input.runId, failedStep: failure.step, resumeAt });
    return { resumeAt };
  }
  const error = describeFailure(failure.error, failure.cause);
  const record = await releaseRun({
    repo: input.repo,
    packs: input.packs,
    runId: input.runId,
    kind: 'failed',
    step: failure.step,
    error,
    at: input.at,
    attempt: failure.failedAtRedrive,
    logger: input.logger,
  });
  throw new RunFailedError(
    `run ${input.runId}: ${failure.step} failed (${error.slice(0, 300)}); reservation ${record.reservation}; ` +
      `recorded as ${record.id}. Redrive the execution to resume at ${resumeAt}.`,
  );
}

/** `errorType: errorMessage` from a Lambda cause, else `Error: Cause`. */
export function describeFailure(error: string, cause: string | undefined): string {
  if (!cause) return error;
  try {
    const parsed = JSON.parse(cause) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') {
      return `${typeof parsed.errorType === 'string' ? parsed.errorType : error}: ${parsed.errorMessage}`;
    }
  } catch {
    // not JSON: a Step Functions cause is plain text
  }
  return `${error}: ${cause}`;
}
