import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FindingTooLargeError } from '../../../core/findings/repository';
import { DynamoDbFindingsRepository } from '../../../stores/dynamodb-findings/dynamodb-findings-repository';
import { createFindingsTable, type RunningDynalite, startDynalite } from '../../support/dynalite';
import {
  commitNext,
  describeFindingsRepositoryContract,
  makeFinding,
  makeHead,
} from '../../support/findings-repository-contract';

let ddb: RunningDynalite;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(async () => {
  await ddb?.stop();
});

/** A fresh table per test; each `open()` gets its own client, like a second Lambda. */
async function newTable(): Promise<string> {
  const name = `findings-${++tables}`;
  await createFindingsTable(ddb.client, name);
  return name;
}

describeFindingsRepositoryContract('dynamodb (dynalite)', async () => {
  const tableName = await newTable();
  return {
    async open() {
      return new DynamoDbFindingsRepository({ tableName, client: ddb.newClient() });
    },
    async dispose() {},
  };
});

describe('DynamoDbFindingsRepository', () => {
  it('stores a large but compressible finding gzipped and reads it back', async () => {
    // Arrange
    const tableName = await newTable();
    const repo = new DynamoDbFindingsRepository({ tableName, client: ddb.client });
    const evidence = Array.from({ length: 4000 }, (_, i) => ({
      kind: 'grant' as const,
      principal: 'erp:netsuite:ana',
      entitlement: `erp:netsuite:role-${i}`,
      path: ['erp:netsuite:group-finance'],
      function: 'AP-PAYMENT',
      text: `holds role ${i} through group finance, which grants AP payment release`,
    }));
    const big = makeFinding({ rule: 'SOD-CONFLICT', evidence });
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(400 * 1024);
    // Act
    await commitNext(repo, 'run-1', [big]);
    // Assert
    expect(await repo.get(big.id)).toEqual(big);
    const raw = await DynamoDBDocumentClient.from(ddb.client).send(
      new GetCommand({ TableName: tableName, Key: { pk: `FINDING#${big.id}`, sk: 'FINDING' } }),
    );
    expect(raw.Item?.dataGz).toBeInstanceOf(Uint8Array);
    expect(raw.Item?.status).toBe('open');
  });

  it('fails a commit with a clear error, before writing anything, when a finding cannot fit in one item', async () => {
    // Arrange
    const tableName = await newTable();
    const repo = new DynamoDbFindingsRepository({ tableName, client: ddb.client });
    const small = makeFinding({ key: 'erp:netsuite:small' });
    const huge = makeFinding({
      key: 'erp:netsuite:huge',
      evidence: [{ kind: 'note', text: randomBytes(600 * 1024).toString('base64') }],
    });
    await repo.reserve('run-1', null, '2026-10-01T00:00:00.000Z');
    // Act
    const attempt = repo.commitRun('run-1', [small, huge], makeHead(1, 'run-1'));
    // Assert
    await expect(attempt).rejects.toThrow(FindingTooLargeError);
    await expect(repo.commitRun('run-1', [huge], makeHead(1, 'run-1'))).rejects.toThrow(
      new RegExp(`finding ${huge.id} is \\d+ bytes stored, over the \\d+-byte limit`),
    );
    expect(await repo.loadAll()).toEqual([]);
    expect(await repo.getChainHead()).toBeNull();
  });

  it('finishes a commit that crashed after writing findings but before moving the head, when re-delivered', async () => {
    // Arrange
    const tableName = await newTable();
    const client = ddb.newClient();
    let failHeadUpdate = true;
    // Simulates the Lambda dying between the batch writes and the conditional head update.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand' && failHeadUpdate) {
          const input = args.input as { UpdateExpression?: string };
          if (input.UpdateExpression?.includes('REMOVE')) {
            failHeadUpdate = false;
            throw new Error('simulated crash before the head update');
          }
        }
        return next(args);
      },
      { step: 'initialize', name: 'crashBeforeHeadUpdate' },
    );
    const repo = new DynamoDbFindingsRepository({ tableName, client });
    const f = makeFinding();
    await repo.reserve('run-1', null, '2026-10-01T00:00:00.000Z');
    // Act
    await expect(repo.commitRun('run-1', [f], makeHead(1, 'run-1'))).rejects.toThrow(/simulated crash/);
    const headAfterCrash = await repo.getChainHead();
    const pendingAfterCrash = await repo.pendingReservation();
    await repo.commitRun('run-1', [f], makeHead(1, 'run-1'));
    // Assert
    expect(headAfterCrash).toBeNull();
    expect(pendingAfterCrash?.runId).toBe('run-1');
    expect(await repo.getChainHead()).toEqual(makeHead(1, 'run-1'));
    expect(await repo.loadAll()).toEqual([f]);
    expect(await repo.pendingReservation()).toBeNull();
  });

  it('keeps one chain log item per committed run', async () => {
    // Arrange
    const tableName = await newTable();
    const repo = new DynamoDbFindingsRepository({ tableName, client: ddb.client });
    // Act
    await commitNext(repo, 'run-1', []);
    await commitNext(repo, 'run-2', []);
    // Assert
    const doc = DynamoDBDocumentClient.from(ddb.client);
    for (const [seq, runId] of [
      [1, 'run-1'],
      [2, 'run-2'],
    ] as const) {
      const out = await doc.send(
        new GetCommand({ TableName: tableName, Key: { pk: 'CHAIN', sk: `RUN#${runId}` } }),
      );
      expect(out.Item).toMatchObject(makeHead(seq, runId));
    }
  });

  it('builds and destroys its own client when given only a config', async () => {
    // Arrange
    const tableName = await newTable();
    const repo = new DynamoDbFindingsRepository({
      tableName,
      clientConfig: {
        endpoint: ddb.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-only' },
      },
    });
    // Act
    const head = await repo.getChainHead();
    await repo.close();
    // Assert
    expect(head).toBeNull();
    expect(() => new DynamoDbFindingsRepository({ tableName })).toThrow(/client or a clientConfig/);
  });
});
