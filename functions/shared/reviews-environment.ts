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

const startSchema = z.object({
  REVIEWS_TABLE: z.string().min(1),
  FINDINGS_TABLE: z.string().min(1),
  EVIDENCE_BUCKET: z.string().min(1),
  EVIDENCE_PREFIX: z.string().default(''),
  EVIDENCE_BUCKET_OWNER: z.string().regex(/^\d{12}$/),
  /** Emails allowed to start campaigns, comma-separated (the `reviews.campaignOwners` prop). */
  REVIEW_OWNERS: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter(Boolean),
    ),
  IDENTITY_PROVIDER: z.string().optional(),
  /** The app's public origin: the reviewer links the owner's progress page shows. */
  APP_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Path-style S3 addressing, for a local S3 server in tests (never set in AWS). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
});

export function readReviewStartEnvironment(
  source: NodeJS.ProcessEnv = process.env,
): z.infer<typeof startSchema> {
  const parsed = startSchema.safeParse(source);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw new Error(`environment: ${names} missing or invalid (set by infra/lib/reviews.ts)`);
  }
  return parsed.data;
}
