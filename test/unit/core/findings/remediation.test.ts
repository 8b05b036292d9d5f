import { describe, expect, it } from 'vitest';
import { reconcile } from '../../../../core/findings/lifecycle';
import { remediationRecords } from '../../../../core/findings/remediation';
import { makeDraft, SLA } from './draft-factory';

describe('remediationRecords', () => {
  it('gives one row per finding resolved in the run, with the run and the proof', () => {
    // Arrange
    const base = {
      completeSources: new Set(['aws-prod']),
      failedOrIncompleteSources: new Set<string>(),
      slaDays: SLA,
    };
    const first = reconcile({
      ...base,
      previous: [],
      drafts: [makeDraft({ key: 'gone' }), makeDraft({ key: 'stays' })],
      runId: 'run-1',
      asOf: new Date('2026-10-01T00:00:00Z'),
    });
    const second = reconcile({
      ...base,
      previous: first.findings,
      drafts: [makeDraft({ key: 'stays' })],
      runId: 'run-2',
      asOf: new Date('2026-11-01T00:00:00Z'),
    });
    // Act
    const rows = remediationRecords(second.changes);
    // Assert
    const gone = second.changes.resolved[0]!;
    expect(rows).toEqual([
      {
        findingId: gone.id,
        rule: 'NHI-DORMANT',
        severity: 'medium',
        title: gone.title,
        subject: gone.subject,
        firstSeenRun: 'run-1',
        resolvedRun: 'run-2',
        resolvedAt: '2026-11-01T00:00:00.000Z',
        how: 'not seen in complete collection of aws-prod',
        sources: ['aws-prod'],
        reason: 'remediated',
        status: 'resolved',
      },
    ]);
    expect(remediationRecords(first.changes)).toEqual([]);
  });
});
