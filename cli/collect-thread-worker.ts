/**
 * The collect worker thread of `accessproof scan` (cli/collect-thread.ts): collects its sources in
 * order into the run's snapshot staging, as the main thread would, and posts each result back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectorFor } from '../connectors/registry';
import { withInputRoots } from '../connectors/shared/input-roots';
import type { Logger } from '../core/connector';
import { InputError } from '../core/errors';
import { collectStep, failedSource } from '../core/run/collect';
import type { SourceResult } from '../core/run/types';
import type { Scrubber } from '../core/secrets';
import { LocalSnapshotStaging } from '../stores/local-staging/local-snapshot-staging';
import type { CollectThreadJob, CollectThreadMessage } from './collect-thread';
import { addConfiguredSecrets, cliScrubber } from './secrets';

const port = parentPort;
if (!port) throw new Error('collect-thread-worker runs as a worker thread only');
const post = (m: CollectThreadMessage) => port.postMessage(m);
const job = workerData as CollectThreadJob;

// This thread's scrubber knows what the main one knew; what a connector adds is sent back too.
addConfiguredSecrets(job.configured);
const scrubber: Scrubber = {
  text: (t) => cliScrubber.text(t),
  values: (t) => cliScrubber.values(t),
  hasValues: () => cliScrubber.hasValues?.() ?? true,
  add(value) {
    cliScrubber.add(value);
    if (typeof value === 'string') post({ type: 'secret', value });
  },
};
const log =
  (level: keyof Logger) =>
  (message: string, fields?: Record<string, unknown>): void =>
    post({ type: 'log', level, message, ...(fields ? { fields } : {}) });
const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

try {
  await withInputRoots(job.inputRoots, async () => {
    const staging = new LocalSnapshotStaging(job.stagingDir);
    for (const source of job.sources) {
      post({ type: 'started', source: source.id });
      let result: SourceResult | undefined;
      let connector: Awaited<ReturnType<typeof connectorFor>> | undefined;
      try {
        connector = await connectorFor(source.system);
      } catch (err) {
        result = failedSource(source.id, source.system, `connector unavailable: ${(err as Error).message}`);
      }
      if (connector) {
        const out = await collectStep({
          connector,
          source,
          key: source.id,
          staging,
          now: job.clockMs === undefined ? () => new Date() : () => new Date(job.clockMs as number),
          logger,
          scrubber,
          onPage: (p) => post({ type: 'page', source: source.id, ...p }),
        });
        if (!out.done) throw new Error(`${source.id}: collection paused without a deadline`);
        result = out.result;
      }
      post({ type: 'result', source: source.id, result: result as SourceResult });
    }
  });
} catch (err) {
  if (err instanceof InputError) {
    post({ type: 'input-error', message: err.message, location: { ...err.location } });
  } else {
    const e = (err instanceof Error ? err : new Error(String(err))) as NodeJS.ErrnoException;
    post({
      type: 'error',
      message: e.message,
      ...(e.stack ? { stack: e.stack } : {}),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
    });
  }
}
