/**
 * How long a live connector waits for an upstream answer. A server that accepts the connection
 * and never answers would otherwise hold the run (and its state lock) for as long as the HTTP
 * client's own default: 30 minutes in jsforce, forever in fetch and the AWS SDK.
 * `ACCESSPROOF_READ_TIMEOUT_S` changes it (seconds, fractions allowed).
 */
export const READ_TIMEOUT_ENV = 'ACCESSPROOF_READ_TIMEOUT_S';
export const DEFAULT_READ_TIMEOUT_S = 120;

export function readTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env[READ_TIMEOUT_ENV]);
  return Math.round((Number.isFinite(s) && s > 0 && s <= 3600 ? s : DEFAULT_READ_TIMEOUT_S) * 1000);
}

/** The message of a request that got no answer in time. */
export function noAnswerMessage(ms: number): string {
  return `no answer within ${ms / 1000} s (the upstream accepted the request and went silent; ${READ_TIMEOUT_ENV} sets the limit)`;
}
