/**
 * The per-run metrics (CloudWatch, through Powertools EMF in the Lambdas): what the alarms in
 * infra/lib/runtime-stack.ts read. Every count is emitted, zeros included, so a quiet run is a
 * data point and not missing data.
 */
import { SEVERITIES } from '../findings/model';
import type { RunDigest } from './notify';

export interface RunMetric {
  name: string;
  value: number;
  unit: 'Count' | 'Seconds';
  /** Beside the function's `service` dimension. */
  dimensions?: Record<string, string>;
}

/**
 * After notify: `SourcesFailed`, `SourcesIncomplete`, and `FindingsOpen` / `FindingsOverdue` per
 * severity; with the Security Hub import on, `SecurityHubImported` / `SecurityHubImportFailed` (a
 * refused workflow update counts as a failure too).
 *
 * @example
 * for (const m of runMetrics(digest)) emit(m);
 */
export function runMetrics(digest: RunDigest): RunMetric[] {
  const count = (status: string) => digest.sources.filter((s) => s.status === status).length;
  return [
    { name: 'SourcesFailed', value: count('failed'), unit: 'Count' },
    { name: 'SourcesIncomplete', value: count('incomplete'), unit: 'Count' },
    ...SEVERITIES.flatMap((severity): RunMetric[] => [
      {
        name: 'FindingsOpen',
        value: digest.bySeverity[severity] ?? 0,
        unit: 'Count',
        dimensions: { severity },
      },
      {
        name: 'FindingsOverdue',
        value: digest.overdueBySeverity[severity] ?? 0,
        unit: 'Count',
        dimensions: { severity },
      },
    ]),
    ...(digest.securityHub
      ? ([
          { name: 'SecurityHubImported', value: digest.securityHub.imported, unit: 'Count' },
          {
            name: 'SecurityHubImportFailed',
            value: digest.securityHub.failed + digest.securityHub.workflowFailed,
            unit: 'Count',
          },
        ] satisfies RunMetric[])
      : []),
  ];
}

/** After seal: `PackSealed` (1) and `RunSeconds` from the run's start to the seal. */
export function sealMetrics(startedAt: string, sealedAt: Date): RunMetric[] {
  const seconds = Math.max(0, Math.round((sealedAt.getTime() - Date.parse(startedAt)) / 1000));
  return [
    { name: 'PackSealed', value: 1, unit: 'Count' },
    { name: 'RunSeconds', value: seconds, unit: 'Seconds' },
  ];
}
