/**
 * The reviewer app behind API Gateway (HTTP API, payload v2): the same router `accessproof serve`
 * runs, on the DynamoDB review store, with the reviewer taken from the JWT authorizer's verified
 * email claim. `/auth/*` (no authorizer) is the Cognito sign-in; everything else goes to the app.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createReviewApp } from '../../core/reviews/web/app';
import { cognitoSignIn } from '../shared/cognito-sign-in';
import { instrument, observability } from '../shared/observability';
import { dynamoDbReviewAppPorts } from '../shared/review-app-ports';
import { readReviewsEnvironment } from '../shared/reviews-environment';
import { type HttpApiEvent, httpApiHandler } from '../shared/reviews-http';

const obs = observability();
const env = readReviewsEnvironment();
const ddb = obs.tracer.captureAWSv3Client(new DynamoDBClient({}));
const app = createReviewApp(await dynamoDbReviewAppPorts(obs, ddb, env.REVIEWS_TABLE));
const providers = env.IDENTITY_PROVIDER ? [env.IDENTITY_PROVIDER] : [];
const api = httpApiHandler(app, { trustedProviders: providers });
const signIn = cognitoSignIn({
  domain: env.COGNITO_DOMAIN,
  clientId: env.COGNITO_CLIENT_ID,
  baseUrl: env.APP_BASE_URL,
  ...(env.IDENTITY_PROVIDER ? { identityProvider: env.IDENTITY_PROVIDER } : {}),
});

export const handler = instrument(obs, async (event: HttpApiEvent) =>
  event.rawPath?.startsWith('/auth/') ? signIn(event) : api(event),
);
