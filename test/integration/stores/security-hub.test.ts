/**
 * The Security Hub import (issue 16) against a local imitation of the Security Hub API on
 * 127.0.0.1 (test/support/security-hub-imitation.ts): the notify step builds ASFF from a run's
 * findings and the importer sends it, as the notify Lambda does with `securityHub: true`.
 */
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../../core/findings/model';
import { MemoryRunStore } from '../../../core/ports';
import { runMetrics } from '../../../core/run/metrics';
import { type Notifier, notifyStep, type RunDigest } from '../../../core/run/notify';
import type { ScanResult } from '../../../core/run/scan';
import { digestText } from '../../../functions/shared/eventbridge-sns-notifier';
import { SecurityHubImporter } from '../../../stores/security-hub/security-hub-importer';
import { type RunningServer, startAwsServer } from '../../support/aws-query-server/http-server';
import { type SecurityHubImitation, securityHubImitation } from '../../support/security-hub-imitation';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const PRODUCT = `arn:aws:securityhub:${REGION}:${ACCOUNT}:product/${ACCOUNT}/default`;
const EXCEPTION = {
  approver: 'cfo@example.com',
  rationale: 'Quarter-end close needs both duties until the new clerk starts',
  expiresAt: '2026-12-31T00:00:00.000Z',
  grantedAt: '2026-10-03T00:00:00.000Z',
};

let server: RunningServer;
let hub: SecurityHubImitation;

beforeAll(async () => {
  server = await startAwsServer({ securityhub: (r) => hub.handler(r) });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  hub = securityHubImitation({ accountId: ACCOUNT, region: REGION });
});

const importer = () =>
  new SecurityHubImporter({
    client: new SecurityHubClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'secret' },
      maxAttempts: 4,
    }),
    productArn: PRODUCT,
  });

function finding(i: number, overrides: Partial<Finding> = {}): Finding {
  const name = `svc-${String(i).padStart(4, '0')}`;
  return {
    id: `f${String(i).padStart(23, '0')}`,
    rule: 'NHI-DORMANT',
    severity: i % 2 ? 'high' : 'medium',
    title: `Dormant role ${name}`,
    display: name,
    subject: {
      identity: `principal:aws:${ACCOUNT}:arn:aws:iam::${ACCOUNT}:role/${name}`,
      principals: [`aws:${ACCOUNT}:arn:aws:iam::${ACCOUNT}:role/${name}`],
    },
    detail: {},
    evidence: [{ kind: 'activity', signal: 'RoleLastUsed', text: `${name} last used 2026-01-02` }],
    sources: ['aws-finance-prod'],
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-1',
    status: 'open',
    dueAt: '2026-10-31T00:00:00.000Z',
    history: [{ at: '2026-10-01T00:00:00.000Z', runId: 'run-1', event: 'opened' }],
    ...overrides,
  };
}

function scanResult(
  runId: string,
  findings: Finding[],
  changes: Partial<ScanResult['changes']> = {},
): ScanResult {
  const all = {
    opened: [],
    reopened: [],
    resolved: [],
    stillOpen: [],
    stillAccepted: [],
    expiredExceptions: [],
    invalidatedExceptions: [],
  };
  return {
    runId,
    head: null,
    findings,
    changed: [],
    changes: { ...all, ...changes },
    summary: {
      runId,
      head: null,
      resultKey: `results/${runId}.json`,
      findings: findings.length,
      open: findings.filter((f) => f.status === 'open' || f.status === 'reopened').length,
      byRule: {},
      bySeverity: {},
      changes: {
        opened: 0,
        reopened: 0,
        resolved: 0,
        stillOpen: 0,
        stillAccepted: 0,
        expiredExceptions: 0,
        invalidatedExceptions: 0,
      },
      identities: 0,
      principals: 0,
      grants: 0,
    },
  } as ScanResult;
}

/** One notify step, as the Lambda runs it with `securityHub: true`; returns the digest it published. */
async function notify(
  scan: ScanResult,
  asOf: string,
): Promise<{ digest: RunDigest; published: RunDigest[] }> {
  const runStore = new MemoryRunStore();
  await runStore.put(scan.summary.resultKey, scan);
  const published: RunDigest[] = [];
  const notifier: Notifier = {
    publish: async (_events, digest) => {
      published.push(digest);
    },
  };
  const digest = await notifyStep({
    resultKey: scan.summary.resultKey,
    runStore,
    sealed: {
      runId: scan.runId,
      location: `s3://evidence/packs/${scan.runId}/`,
      manifestSha256: 'ab'.repeat(32),
      sequence: 1,
      previous: null,
      keyFingerprint: 'cd'.repeat(32),
      files: 5,
      bytes: 100,
    },
    sources: [],
    asOf: new Date(asOf),
    notifier,
    securityHub: { productArn: PRODUCT, importer: importer() },
  });
  return { digest, published };
}

describe('Security Hub import in the notify step (local Security Hub imitation)', () => {
  it('imports 250 findings in batches of at most 100, each valid ASFF; the same run again adds nothing and changes nothing', async () => {
    // Arrange
    const findings = Array.from({ length: 250 }, (_, i) => finding(i));
    const scan = scanResult('run-1', findings, { opened: findings.map((f) => f.id) });

    // Act
    const { digest, published } = await notify(scan, '2026-10-01T00:00:00.000Z');
    const afterFirst = structuredClone([...hub.findings.values()].map((s) => s.finding));
    const again = await notify(scan, '2026-10-01T00:00:00.000Z');

    // Assert
    expect(digest.securityHub).toEqual({
      imported: 250,
      failed: 0,
      workflowUpdated: 0,
      workflowFailed: 0,
      errors: [],
    });
    expect(published[0]?.securityHub?.imported).toBe(250);
    // Three batches per run (sent a few at a time, so in any order), each accepted whole.
    const imports = hub.calls.filter((c) => c.operation === 'import');
    expect(imports.map((c) => c.size).sort((a, b) => a - b)).toEqual([50, 50, 100, 100, 100, 100]);
    expect(imports.every((c) => c.status === 200)).toBe(true);
    expect(again.digest.securityHub?.imported).toBe(250);
    expect(hub.findings.size).toBe(250);
    expect([...hub.findings.values()].map((s) => s.finding)).toEqual(afterFirst);
    const one = hub.findings.get(findings[0]!.id)!.finding;
    expect(one).toMatchObject({
      Id: findings[0]!.id,
      ProductArn: PRODUCT,
      Workflow: { Status: 'NEW' },
      RecordState: 'ACTIVE',
      Severity: { Label: 'MEDIUM' },
      Resources: [{ Type: 'AwsIamRole', Id: `arn:aws:iam::${ACCOUNT}:role/svc-0000` }],
    });
  });

  it('a later run resolves and archives, suppresses with the exception note, and leaves an open finding in the workflow its people set', async () => {
    // Arrange: three open findings; in the console someone marks two of them NOTIFIED.
    const [a, b, c] = [finding(1), finding(2), finding(3)];
    await notify(scanResult('run-1', [a, b, c], { opened: [a.id, b.id, c.id] }), '2026-10-01T00:00:00.000Z');
    hub.setWorkflow(a.id, 'NOTIFIED');
    hub.setWorkflow(c.id, 'NOTIFIED');
    const run2 = [
      {
        ...a,
        status: 'resolved' as const,
        resolution: { runId: 'run-2', how: 'gone', at: '2026-10-08T00:00:00Z' },
      },
      { ...b, status: 'risk-accepted' as const, exception: EXCEPTION, lastSeenRun: 'run-2' },
      { ...c, lastSeenRun: 'run-2' },
    ];

    // Act
    const { digest } = await notify(
      scanResult('run-2', run2, { resolved: [a.id], stillAccepted: [b.id], stillOpen: [c.id] }),
      '2026-10-08T00:00:00.000Z',
    );

    // Assert
    expect(digest.securityHub).toMatchObject({
      imported: 3,
      failed: 0,
      workflowUpdated: 2,
      workflowFailed: 0,
    });
    const stored = (id: string) => hub.findings.get(id)!.finding;
    expect(stored(a.id)).toMatchObject({ Workflow: { Status: 'RESOLVED' }, RecordState: 'ARCHIVED' });
    expect(stored(b.id)).toMatchObject({ Workflow: { Status: 'SUPPRESSED' }, RecordState: 'ACTIVE' });
    expect(stored(b.id).Note).toMatchObject({
      Text: expect.stringContaining('Quarter-end close'),
      UpdatedBy: 'cfo@example.com',
    });
    expect(stored(c.id)).toMatchObject({
      Workflow: { Status: 'NOTIFIED' },
      UpdatedAt: '2026-10-08T00:00:00.000Z',
    });

    // Act: run 3 sees the resolved finding again.
    await notify(
      scanResult('run-3', [{ ...run2[0]!, status: 'reopened', lastSeenRun: 'run-3' }], { reopened: [a.id] }),
      '2026-10-15T00:00:00.000Z',
    );

    // Assert
    expect(stored(a.id)).toMatchObject({ Workflow: { Status: 'NEW' }, RecordState: 'ACTIVE' });
  });

  it('retries throttled calls (429 LimitExceededException) and imports everything', async () => {
    // Arrange
    hub.throttleNext = 2;
    const findings = [finding(1), finding(2)];

    // Act
    const { digest } = await notify(scanResult('run-1', findings), '2026-10-01T00:00:00.000Z');

    // Assert
    expect(hub.calls.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(digest.securityHub).toMatchObject({ imported: 2, failed: 0 });
    expect(hub.findings.size).toBe(2);
  });

  it('counts and names the findings Security Hub refuses, imports the rest, and the metrics carry the count', async () => {
    // Arrange
    const findings = Array.from({ length: 120 }, (_, i) =>
      finding(i, i === 7 ? { status: 'risk-accepted', exception: EXCEPTION } : {}),
    );
    hub.refuseIds = new Set([findings[7]!.id, findings[110]!.id]);

    // Act
    const { digest } = await notify(scanResult('run-1', findings), '2026-10-01T00:00:00.000Z');

    // Assert
    expect(digest.securityHub).toMatchObject({
      imported: 118,
      failed: 2,
      workflowUpdated: 0,
      workflowFailed: 0,
    });
    expect(digest.securityHub?.errors).toEqual([
      `${findings[7]!.id}: InvalidAccess refused by the test`,
      `${findings[110]!.id}: InvalidAccess refused by the test`,
    ]);
    // The refused risk-accepted finding is not sent a workflow update for a finding Security Hub lacks.
    expect(hub.calls.filter((c) => c.operation === 'update')).toEqual([]);
    expect(hub.findings.size).toBe(118);
    const metrics = runMetrics(digest);
    expect(metrics.find((m) => m.name === 'SecurityHubImportFailed')?.value).toBe(2);
    expect(metrics.find((m) => m.name === 'SecurityHubImported')?.value).toBe(118);
    expect(digestText(digest)).toContain('Security Hub: 118 imported, 2 failed');
  });

  it('when Security Hub denies every call, counts every finding as failed and still sends the digest', async () => {
    // Arrange
    hub.denyAll = true;
    const findings = Array.from({ length: 150 }, (_, i) => finding(i));

    // Act
    const { digest, published } = await notify(scanResult('run-1', findings), '2026-10-01T00:00:00.000Z');

    // Assert
    expect(digest.securityHub).toMatchObject({ imported: 0, failed: 150 });
    expect(digest.securityHub?.errors).toEqual([
      'batch 1 (100 findings): AccessDeniedException: User is not authorized to perform this action',
      'batch 2 (50 findings): AccessDeniedException: User is not authorized to perform this action',
    ]);
    expect(published).toHaveLength(1);
    expect(runMetrics(digest).find((m) => m.name === 'SecurityHubImportFailed')?.value).toBe(150);
  });

  it('without securityHub the notify step sends nothing there and the metrics have no Security Hub counts', async () => {
    // Arrange
    const scan = scanResult('run-1', [finding(1)]);
    const runStore = new MemoryRunStore();
    await runStore.put(scan.summary.resultKey, scan);

    // Act
    const digest = await notifyStep({
      resultKey: scan.summary.resultKey,
      runStore,
      sealed: {
        runId: 'run-1',
        location: 's3://e/',
        manifestSha256: 'ab'.repeat(32),
        sequence: 1,
        previous: null,
        keyFingerprint: 'cd'.repeat(32),
        files: 1,
        bytes: 1,
      },
      sources: [],
      asOf: new Date('2026-10-01T00:00:00.000Z'),
      notifier: { publish: async () => {} },
    });

    // Assert
    expect(digest.securityHub).toBeUndefined();
    expect(hub.calls).toEqual([]);
    expect(runMetrics(digest).some((m) => m.name.startsWith('SecurityHub'))).toBe(false);
  });
});
