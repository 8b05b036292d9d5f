/**
 * A collection that stops before the deadline mid-pagination and resumes from its cursor — in a
 * fresh process each time (new connector, cold caches) — ends with the same snapshot as one run
 * straight through. No IAM Marker reaches a cursor, a snapshot or a log line; no assumed-role
 * secret reaches the checkpoint store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CollectOutcome, collectSource, type Deadline } from '../../../core/collect-driver';
import type { AwsSource } from '../../../core/config';
import { type AwsImitation, startAwsImitation } from '../../support/aws-query-server/aws-imitation';
import {
  accountPoliciesFirst,
  liveConnector,
  liveSource,
  MemoryStaging,
  now,
  readAuthorization,
  recordingLogger,
  reportOfAccount,
  splitSnapshot,
} from './live-harness';

const ACCOUNT = '200611803367';
const example = accountPoliciesFirst(readAuthorization('cloudsplaining-example-authz-details.json'));

/** A fake clock: `steps` steps fit before the deadline, then the margin is reached. */
function deadlineAfter(steps: number): Deadline {
  let n = 0;
  return { remainingMs: () => (n++ < steps ? 60_000 : 0), marginMs: 5_000 };
}

/** Collect in invocations of `steps` steps, each with a new connector (a cold Lambda). */
async function collectInSlices(aws: AwsImitation, source: AwsSource, staging: MemoryStaging, steps: number) {
  const logger = recordingLogger();
  const cursors: string[] = [];
  let cursor: string | undefined;
  let outcome: CollectOutcome;
  for (;;) {
    const { connector } = liveConnector(aws);
    outcome = await collectSource({
      connector,
      source,
      key: 'run/src',
      staging,
      now,
      logger,
      deadline: deadlineAfter(steps),
      ...(cursor ? { cursor } : {}),
    });
    if (outcome.status !== 'partial') break;
    cursor = outcome.cursor;
    cursors.push(cursor);
    if (cursors.length > 100) throw new Error('no progress');
  }
  return { outcome, cursors, logger };
}

async function collectStraight(aws: AwsImitation, source: AwsSource, staging: MemoryStaging) {
  const { connector } = liveConnector(aws);
  return collectSource({ connector, source, key: 'run/src', staging, now, logger: recordingLogger() });
}

const decode = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

describe('aws-iam live resume', () => {
  let aws: AwsImitation | undefined;
  afterEach(async () => {
    await aws?.close();
    aws = undefined;
  });

  it('pauses mid-pagination and resumes in fresh processes to a byte-identical snapshot', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [
        {
          id: ACCOUNT,
          authorization: example,
          credentialReport: {
            csv: reportOfAccount('credential-report-a.csv', ACCOUNT),
            generatedTime: '2026-10-01T00:00:05Z',
          },
          reportErrors: ['ReportInProgress'],
        },
      ],
      pageSize: 9,
    });
    const source = liveSource(aws, { id: 'src' });
    const whole = new MemoryStaging();
    const sliced = new MemoryStaging();

    // Act
    const straight = await collectStraight(aws, source, whole);
    aws.iam.queueReportErrors(ACCOUNT, ['ReportInProgress']);
    const { outcome, cursors, logger } = await collectInSlices(aws, source, sliced, 4);

    // Assert
    expect(straight.status).toBe('complete');
    expect(outcome.status).toBe('complete');
    expect(cursors.length).toBeGreaterThan(5); // paused inside the account pages, the catalogue and the emit
    const text = sliced.finals.get('run/src');
    expect(text).toBe(whole.finals.get('run/src'));
    expect(splitSnapshot(text).header.counts).toEqual({ principals: 123, entitlements: 128, grants: 152 }); // + the root user (issue 12)
    const markers = aws.iam.markers;
    expect(markers.length).toBeGreaterThan(20);
    const visible = [...cursors.map(decode), ...cursors, text ?? '', logger.lines.join('\n')].join('\n');
    for (const m of markers) expect(visible).not.toContain(m);
    // The markers do live in the checkpoint store: that is where they belong.
    expect(markers.some((m) => sliced.saved.some((c) => c.includes(JSON.stringify(m))))).toBe(true);
  });

  it('re-assumes the member role after a resume and never checkpoints its secret', async () => {
    // Arrange
    aws = await startAwsImitation({
      accounts: [
        {
          id: ACCOUNT,
          authorization: example,
          credentialReport: {
            csv: reportOfAccount('credential-report-a.csv', ACCOUNT),
            generatedTime: '2026-10-01T00:00:05Z',
          },
        },
      ],
      callerAccount: '111111111111',
      pageSize: 25,
      sts: { externalId: 'accessproof-ext-1' },
    });
    const source = liveSource(aws, {
      id: 'src',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/AccessProofReader`,
      externalId: 'accessproof-ext-1',
    });
    const whole = new MemoryStaging();
    const sliced = new MemoryStaging();
    const checkpoints = sliced.saved;

    // Act
    const straight = await collectStraight(aws, source, whole);
    const assumedStraight = aws.sts.assumed.length;
    const { outcome, cursors, logger } = await collectInSlices(aws, source, sliced, 3);

    // Assert
    expect(straight.status).toBe('complete');
    expect(outcome.status).toBe('complete');
    expect(assumedStraight).toBe(1);
    // Each invocation that calls IAM assumes the role anew (the emit steps need no credentials).
    const assumedSliced = aws.sts.assumed.length - assumedStraight;
    expect(assumedSliced).toBeGreaterThan(2);
    expect(aws.sts.assumed.every((a) => a.externalId === 'accessproof-ext-1')).toBe(true);
    const a = splitSnapshot(whole.finals.get('run/src'));
    const b = splitSnapshot(sliced.finals.get('run/src'));
    expect(b.body).toBe(a.body);
    const { queries: qa, calls: ca, ...ha } = a.header;
    const { queries: qb, calls: cb, ...hb } = b.header;
    expect(hb).toEqual(ha);
    const withoutSts = (q: unknown) =>
      (q as Array<{ operation: string }>).filter((x) => x.operation !== 'sts:AssumeRole');
    expect(withoutSts(qb)).toEqual(withoutSts(qa));
    expect(Number(cb) - Number(ca)).toBe(assumedSliced - 1);
    expect(
      (qb as Array<{ operation: string; calls: number }>).find((q) => q.operation === 'sts:AssumeRole')
        ?.calls,
    ).toBe(assumedSliced);
    for (const secret of aws.sts.secrets) {
      for (const c of checkpoints) expect(c).not.toContain(secret);
      expect(logger.lines.join('\n')).not.toContain(secret);
      expect(sliced.finals.get('run/src')).not.toContain(secret);
    }
    expect(checkpoints.length).toBe(cursors.length);
  });
});
