/**
 * The reviewer app's environment (infra/lib/reviews.ts sets it), read once per cold start.
 */
import * as z from 'zod';

const schema = z.object({
  REVIEWS_TABLE: z.string().min(1),
  /** Hosted UI domain of the user pool, `https://…`. */
  COGNITO_DOMAIN: z.url({ protocol: /^https?$/ }),
  COGNITO_CLIENT_ID: z.string().min(1),
  /** The app's public origin (the CloudFront distribution or its custom domain). */
  APP_BASE_URL: z.url({ protocol: /^https?$/ }),
  /** The company IdP's provider name in the user pool (skips Cognito's page; vouches for email). */
  IDENTITY_PROVIDER: z.string().optional(),
});

export type ReviewsEnvironment = z.infer<typeof schema>;

export function readReviewsEnvironment(source: NodeJS.ProcessEnv = process.env): ReviewsEnvironment {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw new Error(`environment: ${names} missing or invalid (set by infra/lib/reviews.ts)`);
  }
  return parsed.data;
}

const remindersSchema = z.object({
  REVIEWS_TABLE: z.string().min(1),
  REVIEW_NOTICES_TOPIC_ARN: z.string().regex(/^arn:[\w-]+:sns:[a-z0-9-]+:\d{12}:[\w-]+$/),
  APP_BASE_URL: z.url({ protocol: /^https?$/ }),
});

export function readRemindersEnvironment(
  source: NodeJS.ProcessEnv = process.env,
): z.infer<typeof remindersSchema> {
  const parsed = remindersSchema.safeParse(source);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw new Error(`environment: ${names} missing or invalid (set by infra/lib/reviews.ts)`);
  }
  return parsed.data;
}
