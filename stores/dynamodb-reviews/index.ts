export type { AuditSealOptions, TableAuditRange } from './audit-seal';
export {
  AUDIT_MARKER_PK,
  beginAuditSeal,
  DEFAULT_SETTLE_MS,
  REQUESTS_AUDIT_PATH,
} from './audit-seal';
export type { DynamoDbReviewStoreOptions } from './dynamodb-review-store';
export { DynamoDbReviewStore } from './dynamodb-review-store';
export { dynamoDbAuditAppender, loadOrCreateAppKey, readAuditEntries } from './review-app-items';
export { reviewsTableDefinition } from './table-definition';
