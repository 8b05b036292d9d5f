export type { DynamoDbReviewStoreOptions } from './dynamodb-review-store';
export { DynamoDbReviewStore } from './dynamodb-review-store';
export { reviewsTableDefinition } from './table-definition';
