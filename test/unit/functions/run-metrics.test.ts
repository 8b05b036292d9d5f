import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMetrics, sealMetrics } from '../../../core/run/metrics';
import type { RunDigest } from '../../../core/run/notify';
import { emitRunMetrics, type Observability } from '../../../functions/shared/observability';

const digest: RunDigest = {
  runId: 'r1',
  packLocation: 's3://b/packs/r1/',
  manifestSha256: 'a'.repeat(64),
  sources: [
    { id: 'aws-1', status: 'failed', error: 'AccessDenied' },
    { id: 'entra', status: 'incomplete' },
    { id: 'sfdc', status: 'complete' },
  ],
  open: 5,
  bySeverity: { critical: 2, high: 3 },
  opened: 1,
  reopened: 0,
  resolved: 0,
  overdue: 1,
  overdueBySeverity: { critical: 1 },
};

/** The EMF documents Powertools writes to stdout for one flush. */
function captureEmf(run: (obs: Observability) => void): Record<string, unknown>[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new Metrics({ namespace: 'AccessProof', serviceName: 'accessproof-notify' });
    run({ metrics } as unknown as Observability);
    metrics.publishStoredMetrics();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('_aws'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('run metrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts failed and incomplete sources, open and overdue findings per severity (zeros included)', () => {
    const byKey = Object.fromEntries(
      runMetrics(digest).map((m) => [`${m.name}${m.dimensions ? `/${m.dimensions.severity}` : ''}`, m.value]),
    );
    expect(byKey).toEqual({
      SourcesFailed: 1,
      SourcesIncomplete: 1,
      'FindingsOpen/critical': 2,
      'FindingsOpen/high': 3,
      'FindingsOpen/medium': 0,
      'FindingsOpen/low': 0,
      'FindingsOverdue/critical': 1,
      'FindingsOverdue/high': 0,
      'FindingsOverdue/medium': 0,
      'FindingsOverdue/low': 0,
    });
    expect(sealMetrics('2026-10-01T02:00:00.000Z', new Date('2026-10-01T03:30:00.000Z'))).toEqual([
      { name: 'PackSealed', value: 1, unit: 'Count' },
      { name: 'RunSeconds', value: 5400, unit: 'Seconds' },
    ]);
  });

  it('goes out as EMF with the dimensions the alarms read: service, and severity where it applies', () => {
    // Act
    const docs = captureEmf((obs) => emitRunMetrics(obs, runMetrics(digest)));

    // Assert
    const failed = docs.find((d) => 'SourcesFailed' in d)!;
    expect(failed).toMatchObject({ service: 'accessproof-notify', SourcesFailed: 1 });
    const overdueCritical = docs.find((d) => d.FindingsOverdue !== undefined && d.severity === 'critical')!;
    expect(overdueCritical).toMatchObject({
      service: 'accessproof-notify',
      severity: 'critical',
      FindingsOverdue: 1,
    });
    const meta = overdueCritical._aws as {
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[];
    };
    expect(meta.CloudWatchMetrics[0]?.Namespace).toBe('AccessProof');
    expect(meta.CloudWatchMetrics[0]?.Dimensions[0]?.sort()).toEqual(['service', 'severity']);
  });
});
