/**
 * Time budgets of a scheduled run, derived from the schedule interval and checked at synth, so one
 * run can never still be running (or holding the evidence chain) when the next one starts:
 *
 *   collect loop:   maxResumes × collect timeout        < interval − 2 h
 *   reservation:    post-reservation step budget < lease < interval
 *   execution:      timeout                             = interval − lease
 *
 * The last one means a reservation left by a run that died without its ReleaseRun step (an
 * execution timeout cannot be caught) is at least one lease old when the next run scans: settled,
 * never blocking.
 *
 * No CDK imports: the numbers are plain milliseconds so the checks can be tested on their own.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Headroom kept free of collection in every interval: plan, scan, seal, notify and slack. */
export const COLLECT_HEADROOM_MS = 2 * HOUR;
/** @default lease of a chain reservation in AWS: a live run holds it for scan + seal + notify only. */
export const DEFAULT_LEASE_MS = 2 * HOUR;

export interface RunBudgetInput {
  /** Milliseconds between two scheduled starts. */
  intervalMs: number;
  /** The collect Lambda timeout (the longest of the collectors). */
  collectTimeoutMs: number;
  /** Timeouts of the steps that run while the reservation is held: scan, seal, notify, release. */
  reservedStepTimeoutsMs: number[];
  /** Plan's timeout. */
  planTimeoutMs: number;
  /**
   * Steps between collect and the reservation: a sharded scan's plan-shards (twice, as the others)
   * and its Distributed Map (ceil(shards / maxConcurrency) rounds of every attempt of the
   * scan-shard timeout). Counted as given: the caller includes the retries.
   * @default none (the single scan reserves the chain itself)
   */
  preReservationTimeoutsMs?: number[];
  /** @default DEFAULT_LEASE_MS */
  leaseMs?: number;
  /** @default derived: the most resumes that fit the collect budget */
  maxResumes?: number;
}

export interface RunBudget {
  intervalMs: number;
  maxResumes: number;
  /** maxResumes + 1 calls: the first call and every resume. */
  collectBudgetMs: number;
  executionTimeoutMs: number;
  leaseMs: number;
  /** The longest a live run holds the reservation (each post-reservation step at its timeout, twice). */
  reservedBudgetMs: number;
}

/**
 * @example
 * const budget = runBudget({ intervalMs: 24 * HOUR, collectTimeoutMs: 15 * MINUTE, reservedStepTimeoutsMs: [...], planTimeoutMs });
 */
export function runBudget(input: RunBudgetInput): RunBudget {
  const { intervalMs, collectTimeoutMs } = input;
  const hours = (ms: number) => `${(ms / HOUR).toFixed(2).replace(/\.?0+$/, '')} h`;
  const collectWindow = intervalMs - COLLECT_HEADROOM_MS;
  if (collectWindow < collectTimeoutMs) {
    throw new Error(
      `schedule interval ${hours(intervalMs)} is too short: collection needs at least one collect timeout (${hours(collectTimeoutMs)}) plus ${hours(COLLECT_HEADROOM_MS)} for the other steps`,
    );
  }
  // Retries of a step (Lambda service errors) can double its time: count each step twice.
  const reservedBudgetMs = 2 * input.reservedStepTimeoutsMs.reduce((a, b) => a + b, 0);
  const preReservationMs = (input.preReservationTimeoutsMs ?? []).reduce((a, b) => a + b, 0);
  const leaseMs = input.leaseMs ?? DEFAULT_LEASE_MS;
  const executionTimeoutMs = intervalMs - leaseMs;
  if (leaseMs >= intervalMs) {
    throw new Error(
      `the chain reservation lease (${hours(leaseMs)}) must be shorter than the schedule interval (${hours(intervalMs)}): a failed run's reservation would block the next scheduled run`,
    );
  }
  if (leaseMs <= reservedBudgetMs) {
    throw new Error(
      `the chain reservation lease (${hours(leaseMs)}) must be longer than the steps that hold it (scan, seal, notify, release at their timeouts, retried: ${hours(reservedBudgetMs)}): a live run could lose its reservation`,
    );
  }
  // Calls = resumes + 1: strictly under the collect window, and the whole run inside the execution.
  const callsInWindow = Math.ceil(collectWindow / collectTimeoutMs) - 1;
  const callsInExecution = Math.floor(
    (executionTimeoutMs - 2 * input.planTimeoutMs - preReservationMs - reservedBudgetMs) / collectTimeoutMs,
  );
  const maxResumes = input.maxResumes ?? Math.max(0, Math.min(callsInWindow, callsInExecution) - 1);
  const collectBudgetMs = (maxResumes + 1) * collectTimeoutMs;
  if (collectBudgetMs >= collectWindow) {
    throw new Error(
      `collect budget ${maxResumes + 1} calls × ${hours(collectTimeoutMs)} = ${hours(collectBudgetMs)} must be under the schedule interval − 2 h (${hours(collectWindow)}): lower maxResumes or the collect timeout`,
    );
  }
  const needed = input.planTimeoutMs * 2 + collectBudgetMs + preReservationMs + reservedBudgetMs;
  if (needed > executionTimeoutMs) {
    throw new Error(
      `a run can take ${hours(needed)} (plan, ${maxResumes + 1} collect calls, ${preReservationMs > 0 ? 'plan-shards, the shards, reconcile' : 'scan'}, seal, notify) but must end one lease before the next start (${hours(executionTimeoutMs)}): lower maxResumes or the Lambda timeouts`,
    );
  }
  return { intervalMs, maxResumes, collectBudgetMs, executionTimeoutMs, leaseMs, reservedBudgetMs };
}

/**
 * Milliseconds between two starts of an EventBridge Scheduler expression, or `undefined` when it
 * cannot be derived (then the deployment must say, with `schedule.intervalHours`).
 *
 * - `rate(N minute|minutes|hour|hours|day|days)`;
 * - `cron(m h * * ? *)` / `cron(m h ? * * *)` with fixed minute and hour: daily;
 * - `cron(m h1,h2,… …)` with fixed minute and an hour list: the smallest gap, wrapping midnight;
 * - `cron(m h ? * MON-FRI *)` and other day filters: the smallest gap is still a day.
 * - `at(…)`: one run, no next one: the interval is 24 h for the budgets.
 */
export function scheduleIntervalMs(expression: string): number | undefined {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.startsWith('minute') ? MINUTE : rate[2]!.startsWith('hour') ? HOUR : 24 * HOUR;
    return n * unit;
  }
  if (/^at\(.+\)$/.test(expression.trim())) return 24 * HOUR;
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (!cron) return undefined;
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [minute, hour, dayOfMonth, , dayOfWeek] = fields as [string, string, string, string, string];
  if (!/^\d{1,2}$/.test(minute)) return undefined;
  // A day-of-month list or step (e.g. `1,15`) can make the gap longer, never shorter than a day.
  const everyDay = ['*', '?'].includes(dayOfMonth) || ['*', '?'].includes(dayOfWeek);
  if (!everyDay && !/^[\d,\-*/?LW#A-Z]+$/.test(`${dayOfMonth}${dayOfWeek}`)) return undefined;
  if (/^\d{1,2}$/.test(hour)) return 24 * HOUR;
  if (/^\d{1,2}(,\d{1,2})+$/.test(hour)) {
    const hs = [...new Set(hour.split(',').map(Number))].sort((a, b) => a - b);
    let gap = 24 - hs.at(-1)! + hs[0]!;
    for (let i = 1; i < hs.length; i++) gap = Math.min(gap, hs[i]! - hs[i - 1]!);
    return gap * HOUR;
  }
  return undefined;
}

export const BUDGET_UNITS = { MINUTE, HOUR };
