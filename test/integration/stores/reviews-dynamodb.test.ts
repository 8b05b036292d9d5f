import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../core/reviews/web/app';
import {
  beginAuditSeal,
  dynamoDbAuditAppender,
  type TableAuditRange,
} from '../../../stores/dynamodb-reviews';
import { DynamoDbReviewStore } from '../../../stores/dynamodb-reviews/dynamodb-review-store';
import { createReviewsTable, type RunningDynalite, startDynalite } from '../../support/dynalite';
import { describeReviewStoreContract, inputError, largeCampaign } from '../../support/review-store-contract';
import { startedCampaign } from '../../unit/core/reviews/review-fixture';

let ddb: RunningDynalite;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(async () => {
  await ddb?.stop();
});

async function newTable(): Promise<string> {
  const name = `reviews-${++tables}`;
  await createReviewsTable(ddb.client, name);
  return name;
}

// Each open() gets its own client, like a second Lambda instance.
describeReviewStoreContract('dynamodb (dynalite)', async () => {
  const tableName = await newTable();
  return {
    async open() {
      return new DynamoDbReviewStore({ tableName, client: ddb.newClient() });
    },
    async dispose() {},
  };
});

describe('DynamoDbReviewStore', () => {
  it('splits a large campaign into rows under the item limit, and drops the rows a change replaced', async () => {
    // Arrange
    const tableName = await newTable();
    const store = new DynamoDbReviewStore({ tableName, client: ddb.client });
    const campaign = largeCampaign(3000);
    await store.create(campaign);
    const doc = DynamoDBDocumentClient.from(ddb.client);
    const head = async () =>
      (await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'CAMPAIGNS', sk: campaign.id } })))
        .Item!;
    const before = await head();
    // Act
    await store.update(campaign.id, (c) => ({ ...c, name: 'renamed' }));
    const after = await head();
    const old = await doc.send(
      new GetCommand({ TableName: tableName, Key: { pk: `CAMPAIGN#${campaign.id}`, sk: before.header } }),
    );
    // Assert
    expect((before.segments as string[]).length).toBeGreaterThan(1);
    expect(after.version).toBe(1);
    expect(after.segments).toEqual(before.segments);
    expect(after.header).not.toBe(before.header);
    expect(old.Item).toBeUndefined();
  });

  it('names the table and row of malformed stored data', async () => {
    // Arrange
    const tableName = await newTable();
    const store = new DynamoDbReviewStore({ tableName, client: ddb.client });
    const campaign = startedCampaign();
    await store.create(campaign);
    const doc = DynamoDBDocumentClient.from(ddb.client);
    const head = (
      await doc.send(new GetCommand({ TableName: tableName, Key: { pk: 'CAMPAIGNS', sk: campaign.id } }))
    ).Item!;
    const segment = (head.segments as string[])[0]!;
    const { gzipSync } = await import('node:zlib');
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: `CAMPAIGN#${campaign.id}`, sk: segment, gz: gzipSync(JSON.stringify([{ id: 'x' }])) },
      }),
    );
    // Act
    const err = await inputError(store.get(campaign.id));
    // Assert
    expect(err.location.file).toBe(`dynamodb:${tableName}`);
    expect(err.location.field).toMatch(`CAMPAIGN#${campaign.id}/${segment}[0].`);
  });
});

describe('beginAuditSeal (the AUDIT# request log into AWS packs)', () => {
  const T0 = Date.parse('2026-11-02T10:00:00.000Z');
  const at = (minutes: number) => new Date(T0 + minutes * 60_000);
  const entry = (minutes: number, campaign: string | undefined, action = 'decide'): AuditEntry => ({
    at: at(minutes).toISOString(),
    action,
    outcome: 'ok',
    status: 303,
    ...(campaign ? { campaign } : {}),
    reviewer: 'controller@example.com',
  });
  const sealedLines = (range: TableAuditRange) =>
    range.artefact
      ? new TextDecoder()
          .decode(range.artefact.content)
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  const actionsOf = (range: TableAuditRange) =>
    sealedLines(range)
      .slice(1)
      .map((e) => `${e.campaign ?? '-'}:${e.action}@${e.at}`);

  it('seals every entry once across runs, in time order, and leaves the settling ones to the next run', async () => {
    // Arrange: two campaigns' logs and one request naming no campaign.
    const tableName = await newTable();
    const append = dynamoDbAuditAppender(ddb.client, tableName);
    await append(entry(0, 'rev-b'));
    await append(entry(1, 'rev-a', 'delegate'));
    await append(entry(2, undefined, 'sign-out'));
    await append(entry(9, 'rev-a', 'upload'));
    const never = async () => false;

    // Act: run 1 seals at +10 min: entries older than +5 (the settle time) only.
    const first = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-1',
      now: at(10),
      isSealed: never,
    });
    await first.commit();
    await append(entry(11, 'rev-b', 'close'));
    const second = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-2',
      now: at(30),
      isSealed: never,
    });
    await second.commit();
    const third = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-3',
      now: at(40),
      isSealed: never,
    });

    // Assert
    expect(actionsOf(first)).toEqual([
      `rev-b:decide@${at(0).toISOString()}`,
      `rev-a:delegate@${at(1).toISOString()}`,
      `-:sign-out@${at(2).toISOString()}`,
    ]);
    expect(sealedLines(first)[0]).toEqual({
      record: 'range',
      log: `dynamodb:${tableName}`,
      fromAt: null,
      toAt: at(5).toISOString(),
      entries: 3,
      continuous: true,
    });
    expect(first.artefact).toMatchObject({ path: 'reviews/requests-audit.jsonl', records: 3 });
    expect(actionsOf(second)).toEqual([
      `rev-a:upload@${at(9).toISOString()}`,
      `rev-b:close@${at(11).toISOString()}`,
    ]);
    expect(sealedLines(second)[0]).toMatchObject({ fromAt: at(5).toISOString(), toAt: at(25).toISOString() });
    expect(third.artefact).toBeUndefined();
    expect(third.entries).toBe(0);
  });

  it('loses nothing when the seal fails after reading, and a retry of the same run seals the same entries', async () => {
    // Arrange
    const tableName = await newTable();
    const append = dynamoDbAuditAppender(ddb.client, tableName);
    await append(entry(0, 'rev-a'));
    const never = async () => false;
    // Run 1 reads, then its seal fails: no commit.
    const failed = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-1',
      now: at(10),
      isSealed: never,
    });
    await append(entry(3, 'rev-a', 'upload')); // older than run 1's cutoff, written late (within the settle time)

    // Act: the same run retried later reuses its cutoff; another run after it starts from the marker.
    const retried = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-1',
      now: at(60),
      isSealed: never,
    });
    const next = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-2',
      now: at(60),
      isSealed: never,
    });

    // Assert
    expect(actionsOf(failed)).toEqual([`rev-a:decide@${at(0).toISOString()}`]);
    expect(retried.cutoff).toBe(failed.cutoff);
    expect(actionsOf(retried)).toEqual([
      `rev-a:decide@${at(0).toISOString()}`,
      `rev-a:upload@${at(3).toISOString()}`,
    ]);
    // Run 1 never committed its pack: run 2 seals everything from the start.
    expect(actionsOf(next)).toEqual(actionsOf(retried));
    // Run 1's marker was replaced by run 2's: its late commit is refused rather than skipping entries.
    await expect(retried.commit()).rejects.toThrow(/no longer names run run-1/);
  });

  it('seals nothing twice when a committed pack lost its marker update (the run is sealed in the bucket)', async () => {
    // Arrange
    const tableName = await newTable();
    const append = dynamoDbAuditAppender(ddb.client, tableName);
    await append(entry(0, 'rev-a'));
    const first = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-1',
      now: at(10),
      isSealed: async () => false,
    });
    // run-1's pack committed, then the function died before commit().
    await append(entry(7, 'rev-a', 'upload'));

    // Act
    const next = await beginAuditSeal(ddb.client, tableName, {
      runId: 'run-2',
      now: at(20),
      isSealed: async (runId) => runId === 'run-1',
    });

    // Assert
    expect(actionsOf(first)).toEqual([`rev-a:decide@${at(0).toISOString()}`]);
    expect(actionsOf(next)).toEqual([`rev-a:upload@${at(7).toISOString()}`]);
    expect(next.from).toBe(first.cutoff);
  });
});
