/**
 * ReleaseRun: every failure after the chain reservation (scan, seal, notify) ends here. It records
 * the failure (the step and the error), gives the reservation back (or adopts a pack the run had
 * already sealed) and fails the execution; a redrive of that execution resumes where it failed.
 */
import * as z from 'zod';
import { releaseFailedRun } from '../../core/run/run-record';
import { readEnvironment } from '../shared/environment';
import { parseEvent } from '../shared/events';
import { evidencePackReader, findingsRepository } from '../shared/evidence';
import { instrument, observability } from '../shared/observability';
import { s3Client } from '../shared/staging';

const obs = observability();
const env = readEnvironment([
  'FINDINGS_TABLE',
  'EVIDENCE_BUCKET',
  'EVIDENCE_PREFIX',
  'EVIDENCE_BUCKET_OWNER',
]);
const s3 = s3Client(obs);
const repo = findingsRepository(obs, env.FINDINGS_TABLE);
const releaseEvent = z.object({
  runId: z.string().min(1),
  step: z.enum(['scan', 'seal', 'notify']),
  failure: z.object({ Error: z.string().default('States.TaskFailed'), Cause: z.string().optional() }),
  failedAtRedrive: z.number().int().nonnegative(),
  redriveCount: z.number().int().nonnegative(),
});

export const handler = instrument(obs, async (event: unknown) => {
  const { runId, step, failure, failedAtRedrive, redriveCount } = parseEvent(releaseEvent, event, 'release');
  obs.logger.appendKeys({ runId, failedStep: step });
  return releaseFailedRun({
    repo,
    packs: evidencePackReader(s3, env),
    runId,
    failure: {
      step,
      error: failure.Error,
      ...(failure.Cause ? { cause: failure.Cause } : {}),
      failedAtRedrive,
      redriveCount,
    },
    at: new Date().toISOString(),
    logger: obs.core,
  });
});
