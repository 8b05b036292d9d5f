/**
 * The reviews table's key schema (docs/reviews-aws.md). The CDK reviews construct declares the
 * same keys; tests create the table from this definition.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Partition key `pk` (S), sort key `sk` (S), on-demand. No secondary index. */
export function reviewsTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
