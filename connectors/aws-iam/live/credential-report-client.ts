/**
 * The credential report through the API: `GenerateCredentialReport`, then `GetCredentialReport`.
 * IAM answers 404 `ReportInProgress` while it builds the report (poll with backoff), 410
 * `ReportNotPresent` / `ReportExpired` when there is none or it is older than 4 hours (generate
 * again). The content is base64 CSV, the same text the files mode reads. A report can be up to
 * 4 hours old when IAM reuses it; its `GeneratedTime` goes into the snapshot.
 */
import {
  GenerateCredentialReportCommand,
  GetCredentialReportCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import type { CallLog } from '../../../core/connector';
import { attemptsOf, mustCall, recordedCall } from './recorded-call';

export const GENERATE_OPERATION = 'iam:GenerateCredentialReport';
export const GET_OPERATION = 'iam:GetCredentialReport';

/** Polls before giving up on a report that stays in progress (with the backoff: about 2 minutes). */
export const MAX_POLLS = 15;
/** Generations before giving up on a report that keeps vanishing. */
export const MAX_GENERATIONS = 3;

/** Wait before poll `n` (1-based): 1 s, 2 s, 4 s, then 8 s. Keep the Lambda margin above the cap. */
export function pollDelayMs(n: number): number {
  return Math.min(1000 * 2 ** Math.max(0, n - 1), 8000);
}

export async function generateCredentialReport(iam: IAMClient, calls: CallLog): Promise<string | undefined> {
  const out = await mustCall(calls, { operation: GENERATE_OPERATION }, () =>
    iam.send(new GenerateCredentialReportCommand({})),
  );
  return out.State;
}

export type ReportAnswer =
  | { status: 'ready'; csv: string; generatedTime?: string; attempts: number }
  | { status: 'in-progress'; attempts: number }
  | { status: 'absent'; reason: 'ReportNotPresent' | 'ReportExpired'; attempts: number };

const codeOf = (err: unknown): string | undefined => {
  const e = err as { Code?: unknown; name?: unknown };
  return typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : undefined;
};

const IN_PROGRESS = new Set(['ReportInProgress', 'CredentialReportNotReadyException']);
const NOT_PRESENT = new Set(['ReportNotPresent', 'CredentialReportNotPresentException']);
const EXPIRED = new Set(['ReportExpired', 'CredentialReportExpiredException']);

/**
 * One GetCredentialReport request. Its attempts are returned, not recorded: the caller records
 * them once the report arrives, together with the report's `GeneratedTime`.
 */
export async function getCredentialReport(
  iam: IAMClient,
  calls: CallLog,
  poll: number,
): Promise<ReportAnswer> {
  const out = await recordedCall(
    calls,
    { operation: GET_OPERATION, page: poll, record: false },
    () => iam.send(new GetCredentialReportCommand({})),
    (err) => {
      const code = codeOf(err) ?? '';
      return IN_PROGRESS.has(code) || NOT_PRESENT.has(code) || EXPIRED.has(code);
    },
  );
  if (!out.ok) {
    const code = codeOf(out.error) ?? '';
    const attempts = attemptsOf(out.error);
    if (IN_PROGRESS.has(code)) return { status: 'in-progress', attempts };
    return { status: 'absent', reason: EXPIRED.has(code) ? 'ReportExpired' : 'ReportNotPresent', attempts };
  }
  const content = out.value.Content;
  const csv = content ? Buffer.from(content).toString('utf8') : '';
  return {
    status: 'ready',
    csv,
    attempts: attemptsOf(out.value),
    ...(out.value.GeneratedTime ? { generatedTime: out.value.GeneratedTime.toISOString() } : {}),
  };
}

/** `3 h 12 min` */
export function describeAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}
