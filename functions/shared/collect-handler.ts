/**
 * Step 2 (collect) for one live system, once per source and again per cursor: drive the connector
 * until it completes, fails, or nears the Lambda deadline (then it returns a cursor and the state
 * machine calls again). Each system has its own function (functions/collect-<system>/handler.ts) so
 * each bundle carries only its own connector's SDKs; this is the part they share.
 */
import type { Context } from 'aws-lambda';
import type { AwsSource, EntraSource, SalesforceSource } from '../../core/config';
import type { AnyConnector } from '../../core/connector';
import { InputError } from '../../core/errors';
import { collectStep } from '../../core/run/collect';
import { readEnvironment } from './environment';
import { collectEventSchema, parseEvent } from './events';
import { instrument, type Observability } from './observability';
import { s3Client, stagingStores } from './staging';

/** Stop this long before the deadline: time to flush a part and write the checkpoint. */
export const DEADLINE_MARGIN_MS = 90_000;

/** The systems that have a collector in AWS (ERP extracts are files: refused at synth). */
export const LIVE_SYSTEMS = ['aws', 'entra', 'salesforce'] as const;
export type LiveSystem = (typeof LIVE_SYSTEMS)[number];
interface LiveSources {
  aws: AwsSource;
  entra: EntraSource;
  salesforce: SalesforceSource;
}

export interface CollectorOptions<S extends LiveSystem> {
  system: S;
  /** The connector for one source of this system (called per invocation). */
  connector(source: LiveSources[S]): AnyConnector | Promise<AnyConnector>;
  /** Adjust the planned source before collecting it (the AWS collector adds the deployment's ExternalId). */
  prepare?(source: LiveSources[S]): LiveSources[S];
  /** Stop this long before the deadline (default `DEADLINE_MARGIN_MS`): longer than the slowest step. */
  deadlineMarginMs?: number;
}

/**
 * @example
 * export const handler = collectHandler(observability(), { system: 'entra', connector: () => entraConnector });
 */
export function collectHandler<S extends LiveSystem>(obs: Observability, options: CollectorOptions<S>) {
  const step = `collect-${options.system}`;
  const env = readEnvironment(['STAGING_BUCKET', 'STAGING_BUCKET_OWNER', 'KEY_INDEX']);
  const { snapshots } = stagingStores(s3Client(obs), {
    bucket: env.STAGING_BUCKET,
    expectedBucketOwner: env.STAGING_BUCKET_OWNER,
  });
  return instrument(obs, async (event: unknown, context: Context) => {
    const { runId, source: planned, cursor } = parseEvent(collectEventSchema, event, step);
    // The state machine's Choice routes on `$.source.system`; a mismatch is a wiring bug, not a failed source.
    if (planned.system !== options.system) {
      throw new InputError(`${step} event: a ${planned.system} source`, { field: 'source.system' });
    }
    const mine = planned as LiveSources[S];
    const source = options.prepare ? options.prepare(mine) : mine;
    obs.logger.appendKeys({ runId, sourceId: source.id, system: source.system, resumed: Boolean(cursor) });
    return collectStep({
      connector: await options.connector(source),
      source,
      key: `${runId}/${source.id}`,
      staging: snapshots,
      now: () => new Date(),
      deadline: {
        remainingMs: () => context.getRemainingTimeInMillis(),
        marginMs: options.deadlineMarginMs ?? DEADLINE_MARGIN_MS,
      },
      ...(cursor ? { cursor } : {}),
      ...(env.KEY_INDEX === 'true' ? { keyIndex: true } : {}),
      logger: obs.core,
    });
  });
}
