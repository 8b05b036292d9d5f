export type { DynamoDbReviewStoreOptions } from './dynamodb-review-store';
export { DynamoDbReviewStore } from './dynamodb-review-store';
export { dynamoDbAuditAppender, loadOrCreateAppKey, readAuditEntries } from './review-app-items';
export { reviewsTableDefinition } from './table-definition';
