import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
