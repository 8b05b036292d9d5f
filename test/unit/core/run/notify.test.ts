import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../core/findings/model';
import { buildNotifications, runDigest, securityHubImport } from '../../../../core/run/notify';
import type { ScanResult } from '../../../../core/run/scan';

const PRODUCT = 'arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default';

function finding(id: string, overrides: Partial<Finding> = {}): Finding {
  return {
    id,
    rule: 'SOD-CONFLICT',
    severity: 'high',
    title: `Conflict ${id}`,
    subject: { identity: 'person:a@example.com', principals: ['erp:ns:U1'] },
    detail: {},
    evidence: [],
    sources: ['ns'],
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-2',
    status: 'open',
    dueAt: '2026-12-01T00:00:00.000Z',
    history: [{ at: '2026-10-01T00:00:00.000Z', runId: 'run-1', event: 'opened' }],
    ...overrides,
  };
}

function scan(findings: Finding[], changes: Partial<ScanResult['changes']>): ScanResult {
  const none = {
    opened: [],
    reopened: [],
    resolved: [],
    stillOpen: [],
    stillAccepted: [],
    expiredExceptions: [],
    invalidatedExceptions: [],
  };
  return {
    runId: 'run-2',
    head: null,
    findings,
    changed: [],
    changes: { ...none, ...changes },
    summary: { open: 1, bySeverity: {} },
  } as unknown as ScanResult;
}

const sealed = {
  runId: 'run-2',
  location: 's3://e/p/',
  manifestSha256: 'ab'.repeat(32),
  sequence: 2,
  previous: null,
  keyFingerprint: 'cd'.repeat(32),
  files: 1,
  bytes: 1,
};

describe('a risk acceptance invalidated by a change (issue 10) is new work again', () => {
  const f = finding('f1', { status: 'reopened' });
  const result = scan([f], { invalidatedExceptions: ['f1'] });

  it('sends a finding.reopened event and counts it as reopened', () => {
    const { events, digest } = buildNotifications(result, sealed, [], new Date('2026-10-08T00:00:00Z'));
    expect(events.map((e) => [e.type, e.finding.id])).toEqual([['finding.reopened', 'f1']]);
    expect(digest.reopened).toBe(1);
  });

  it('sets its Security Hub workflow back to NEW (it was SUPPRESSED)', () => {
    const { updates } = securityHubImport(result, PRODUCT, new Date('2026-10-08T00:00:00Z'));
    expect(updates).toEqual([{ status: 'NEW', ids: ['f1'] }]);
  });
});

describe('runDigest (the CLI digest, without events)', () => {
  it('is the digest buildNotifications returns: counts, overdue by severity, sources', () => {
    // Arrange: opened, reopened, resolved, an overdue one and one not yet due.
    const findings = [
      finding('a', { dueAt: '2026-10-01T00:00:00.000Z' }),
      finding('b', { status: 'reopened', severity: 'critical', dueAt: '2026-10-02T00:00:00.000Z' }),
      finding('c', { status: 'resolved', dueAt: '2026-10-01T00:00:00.000Z' }),
      finding('d'),
      finding('e', { status: 'risk-accepted', dueAt: '2026-10-01T00:00:00.000Z' }),
    ];
    const result = scan(findings, { opened: ['d'], reopened: ['b'], resolved: ['c'], expiredExceptions: [] });
    const sources = [
      { id: 'ns', system: 'erp', status: 'complete', counts: {} },
      { id: 'aws', system: 'aws', status: 'failed', error: 'denied', counts: {} },
    ] as never;
    const asOf = new Date('2026-10-08T00:00:00Z');
    // Act
    const digest = runDigest(result, sealed, sources, asOf);
    // Assert
    expect(digest).toEqual(buildNotifications(result, sealed, sources, asOf).digest);
    expect(digest).toMatchObject({
      opened: 1,
      reopened: 1,
      resolved: 1,
      overdue: 2,
      overdueBySeverity: { high: 1, critical: 1 },
      sources: [
        { id: 'ns', status: 'complete' },
        { id: 'aws', status: 'failed', error: 'denied' },
      ],
    });
  });
});
