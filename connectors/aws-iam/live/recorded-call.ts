/**
 * One SDK call, recorded in the source's call log with the attempts the SDK really made
 * (retries included), and its failure turned into a `SourceError` naming operation and page.
 */
import type { CallLog } from '../../../core/connector';
import { SourceError } from '../../../core/errors';

interface WithMetadata {
  $metadata?: { attempts?: number };
}

/** Attempts the SDK made for this output or error (standard mode counts retries there). */
export function attemptsOf(outcome: unknown): number {
  const attempts = (outcome as WithMetadata | undefined)?.$metadata?.attempts;
  return typeof attempts === 'number' && attempts > 0 ? attempts : 1;
}

/** `Throttling: Rate exceeded` — the AWS error code and message, never request details. */
export function describeAwsError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { Code?: unknown }).Code;
    const name = typeof code === 'string' && code ? code : err.name;
    return name && name !== 'Error' ? `${name}: ${err.message}` : err.message;
  }
  return String(err);
}

export interface CallSpec {
  /** `iam:GetAccountAuthorizationDetails` */
  operation: string;
  /** The question asked (filters, scope): never a marker or token. */
  params?: Record<string, string>;
  /** 1-based page number, for the error message. */
  page?: number;
  /** `false`: the caller records the attempts itself (it learns the params only on success). */
  record?: boolean;
}

/**
 * Run `send`, record its attempts under `spec`, and rethrow a failure as a `SourceError` unless
 * `expected` claims it (e.g. `ReportInProgress`), in which case the error is returned.
 */
export async function recordedCall<T>(
  calls: CallLog,
  spec: CallSpec,
  send: () => Promise<T>,
  expected?: (err: unknown) => boolean,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    const value = await send();
    if (spec.record !== false) calls.record(spec.operation, { calls: attemptsOf(value) }, spec.params);
    return { ok: true, value };
  } catch (err) {
    if (spec.record !== false) calls.record(spec.operation, { calls: attemptsOf(err) }, spec.params);
    if (expected?.(err)) return { ok: false, error: err };
    throw new SourceError(describeAwsError(err), {
      operation: spec.operation,
      ...(spec.page !== undefined ? { page: spec.page } : {}),
      cause: err,
    });
  }
}

/** Like `recordedCall` for calls whose every failure fails the source. */
export async function mustCall<T>(calls: CallLog, spec: CallSpec, send: () => Promise<T>): Promise<T> {
  const out = await recordedCall(calls, spec, send);
  if (!out.ok) throw out.error;
  return out.value;
}
