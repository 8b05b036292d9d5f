/**
 * A real DynamoDB API for tests: dynalite, in memory, on 127.0.0.1 and a free port chosen by the
 * OS. Every test file starts its own server, so files never share state.
 *
 * @example
 * const ddb = await startDynalite();
 * await createFindingsTable(ddb.client, 'findings');
 * // … new DynamoDbFindingsRepository({ tableName: 'findings', client: ddb.client })
 * await ddb.stop();
 */

import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { findingsTableDefinition } from '../../stores/dynamodb-findings/table-definition';
import { reviewsTableDefinition } from '../../stores/dynamodb-reviews/table-definition';

interface DynaliteServer {
  listen(port: number, host: string, cb: (err?: Error) => void): void;
  close(cb: (err?: Error) => void): void;
  address(): AddressInfo | string | null;
}

export interface RunningDynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A client pointed at it, with fixed fake credentials (no lookup of the real environment). */
  client: DynamoDBClient;
  /** Build another independent client (a second writer in a race test). */
  newClient(): DynamoDBClient;
  stop(): Promise<void>;
}

export async function startDynalite(options: { maxItemSizeKb?: number } = {}): Promise<RunningDynalite> {
  const dynalite = createRequire(import.meta.url)('dynalite') as (o: object) => DynaliteServer;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...options });
  await new Promise<void>((resolve, reject) =>
    server.listen(0, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('dynalite did not report a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-only' },
      maxAttempts: 3,
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  return {
    endpoint,
    client,
    newClient,
    async stop() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Create the findings table (docs/findings.md schema) and wait until it is ACTIVE. */
export async function createFindingsTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand(findingsTableDefinition(name)));
  for (let i = 0; i < 100; i++) {
    const t = await client.send(new DescribeTableCommand({ TableName: name }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}

/** Create the reviews table (stores/dynamodb-reviews) and wait until it is ACTIVE. */
export async function createReviewsTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand(reviewsTableDefinition(name)));
  for (let i = 0; i < 100; i++) {
    const t = await client.send(new DescribeTableCommand({ TableName: name }));
    if (t.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${name} did not become ACTIVE`);
}
