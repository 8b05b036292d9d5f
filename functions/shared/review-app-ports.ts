/**
 * The ports both reviewer-app Lambdas (reviews-api and review-start) give `createReviewApp` in AWS:
 * the DynamoDB review store, the table's app key, the request audit log (each entry also logged,
 * without its details), and sign-in by the JWT authorizer's verified email over HTTPS.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReviewAppPorts } from '../../core/reviews/web/app';
import {
  DynamoDbReviewStore,
  dynamoDbAuditAppender,
  loadOrCreateAppKey,
} from '../../stores/dynamodb-reviews';
import type { Observability } from './observability';

/**
 * @example
 * const app = createReviewApp({ ...(await dynamoDbReviewAppPorts(obs, ddb, env.REVIEWS_TABLE)), owners });
 */
export async function dynamoDbReviewAppPorts(
  obs: Observability,
  ddb: DynamoDBClient,
  tableName: string,
): Promise<ReviewAppPorts> {
  const appendAudit = dynamoDbAuditAppender(ddb, tableName);
  return {
    store: new DynamoDbReviewStore({ tableName, client: ddb }),
    key: await loadOrCreateAppKey(ddb, tableName),
    now: () => new Date(),
    newId: randomUUID,
    audit: async (entry) => {
      await appendAudit(entry);
      obs.logger.info('review audit', { action: entry.action, outcome: entry.outcome, status: entry.status });
    },
    signIn: 'verified',
    secureCookie: true,
  };
}
