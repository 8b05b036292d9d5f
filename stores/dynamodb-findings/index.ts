export type { DynamoDbFindingsOptions } from './dynamodb-findings-repository';
export { DynamoDbFindingsRepository, MAX_ITEM_BYTES } from './dynamodb-findings-repository';
export { findingsTableDefinition } from './table-definition';
