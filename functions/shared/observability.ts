/**
 * Powertools logger, metrics and tracer for one step, built once per cold start, and the adapter
 * that hands core the small `Logger` it expects. Secrets never reach a log: events carry none, and
 * connectors and stores keep them out of their messages.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import type { Logger as CoreLogger } from '../../core/connector';
import type { RunMetric } from '../../core/run/metrics';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
  tracer: Tracer;
  /** The same logger, shaped as core's Logger. */
  core: CoreLogger;
}

/**
 * @example
 * const obs = observability();
 * export const handler = instrument(obs, async (event) => …);
 */
export function observability(): Observability {
  // Service name and namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE.
  const logger = new Logger();
  const metrics = new Metrics();
  const tracer = new Tracer();
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) =>
      fields ? logger[level](message, fields) : logger[level](message);
  return {
    logger,
    metrics,
    tracer,
    core: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
  };
}

/**
 * Wrap a step: Lambda context on every log line, StepSucceeded / StepFailed counted and flushed, the
 * error logged once and rethrown.
 */
export function instrument<E, R>(
  obs: Observability,
  step: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    obs.logger.addContext(context);
    obs.metrics.captureColdStartMetric();
    try {
      const result = await step(event, context);
      // One data point per invocation, so a warm start never flushes an empty metric set.
      obs.metrics.addMetric('StepSucceeded', MetricUnit.Count, 1);
      return result;
    } catch (err) {
      obs.logger.error('step failed', err as Error);
      obs.metrics.addMetric('StepFailed', MetricUnit.Count, 1);
      throw err;
    } finally {
      obs.metrics.publishStoredMetrics();
    }
  };
}

/**
 * Emit run metrics: plain ones join the invocation's metric set (flushed by `instrument`); a metric
 * with its own dimensions (`severity`) goes out as a single EMF record beside it.
 */
export function emitRunMetrics(obs: Observability, metrics: readonly RunMetric[]): void {
  for (const m of metrics) {
    const unit = m.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count;
    if (!m.dimensions) {
      obs.metrics.addMetric(m.name, unit, m.value);
      continue;
    }
    const single = obs.metrics.singleMetric();
    for (const [k, v] of Object.entries(m.dimensions)) single.addDimension(k, v);
    single.addMetric(m.name, unit, m.value);
  }
}
