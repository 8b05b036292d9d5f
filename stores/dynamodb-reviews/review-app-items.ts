/**
 * What the reviewer app keeps beside the campaigns in the reviews table (AWS): the HMAC key of
 * CSRF tokens (`pk = APP, sk = KEY`, 32 random bytes, created once by whichever instance comes
 * first) and the audit log of state-changing requests (`pk = AUDIT#<campaign>`, `sk = <at>#<rand>`,
 * one item per request, never changed; `pk = AUDIT-LOGS, sk = <campaign>` names each log).
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditEntry } from '../../core/reviews/web/app';
import { AUDIT_LOGS_PK } from './audit-seal';
import { docClient } from './doc-client';

const KEY_ITEM = { pk: 'APP', sk: 'KEY' } as const;

/**
 * The app key; the first caller writes it (conditional put), every later one reads the same bytes.
 *
 * @example
 * const key = await loadOrCreateAppKey(client, process.env.REVIEWS_TABLE!);
 */
export async function loadOrCreateAppKey(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
): Promise<Uint8Array> {
  const doc = docClient(client);
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...KEY_ITEM, key: randomBytes(32) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
  const got = await doc.send(new GetCommand({ TableName: tableName, Key: KEY_ITEM, ConsistentRead: true }));
  const key = got.Item?.key as unknown;
  if (!(key instanceof Uint8Array) || key.byteLength < 32) {
    throw new Error(`reviews table ${tableName}: the app key item is not 32+ bytes`);
  }
  return key;
}

/**
 * @example
 * const audit = dynamoDbAuditAppender(client, table); await audit(entry);
 */
export function dynamoDbAuditAppender(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
): (entry: AuditEntry) => Promise<void> {
  const doc = docClient(client);
  return async (entry) => {
    // The log's name first (idempotent): the seal step finds every log from these items
    // (audit-seal.ts), so a row is never written to a log the seal cannot find.
    await doc.send(
      new PutCommand({ TableName: tableName, Item: { pk: AUDIT_LOGS_PK, sk: entry.campaign ?? '-' } }),
    );
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          pk: `AUDIT#${entry.campaign ?? '-'}`,
          sk: `${entry.at}#${randomBytes(8).toString('hex')}`,
          entry: JSON.stringify(entry),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  };
}

/** A campaign's audit entries, oldest first (`-` for those with no campaign). */
export async function readAuditEntries(
  client: DynamoDBDocumentClient | DynamoDBClient,
  tableName: string,
  campaign: string,
): Promise<AuditEntry[]> {
  const doc = docClient(client);
  const out: AuditEntry[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `AUDIT#${campaign}` },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) out.push(JSON.parse(String(item.entry)) as AuditEntry);
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
