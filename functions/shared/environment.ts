/**
 * The environment each step's `bind…()` helpers set (infra/lib/app-function.ts), read once per
 * cold start and validated: a missing variable is a deployment bug and should say which.
 */
import * as z from 'zod';

const required = z.string().min(1);

export const ENV = {
  STAGING_BUCKET: required,
  STAGING_BUCKET_OWNER: z.string().regex(/^\d{12}$/),
  EVIDENCE_BUCKET: required,
  EVIDENCE_PREFIX: z.string().default(''),
  EVIDENCE_BUCKET_OWNER: z.string().regex(/^\d{12}$/),
  EVIDENCE_RETENTION_DAYS: z.coerce.number().int().positive(),
  FINDINGS_TABLE: required,
  SIGNING_KEY_ARN: required,
  SOURCE_SECRETS: z
    .string()
    .default('{}')
    .transform((s) => z.record(z.string(), z.string()).parse(JSON.parse(s))),
  MEMBER_ROLE_NAME: z.string().optional(),
  EXTERNAL_ID: z.string().optional(),
  FINDINGS_EVENT_BUS: required,
  NOTIFY_TOPIC_ARN: required,
  /** How old a chain reservation must be before the scan settles it as a dead run's (ms). */
  RESERVATION_LEASE_MS: z.coerce.number().int().positive().optional(),
  /** The chain-head anchor topic the seal step publishes to. */
  ANCHOR_TOPIC_ARN: required,
  PLAN_ITEMS: z.enum(['inline', 's3']).default('inline'),
  /** The most accounts one Organization source may plan: the run's state is sized for it (issue 15). */
  MAX_ORGANIZATION_ACCOUNTS: z.coerce.number().int().positive().optional(),
  /** Collectors write a key index beside each snapshot (a sharded scan, issue 18). */
  KEY_INDEX: z.enum(['true', 'false']).default('false'),
  /** plan-shards: the memory budget one scan shard is sized to (MB). */
  SHARD_MEMORY_BUDGET_MB: z.coerce.number().int().positive().optional(),
  /** The account that owns the bucket the deployment staged the run config in (its CDK asset). */
  RUN_CONFIG_BUCKET_OWNER: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  /**
   * Set only with `securityHub: true` (issue 16): the account's default Security Hub product; the
   * notify step imports the run's findings to it.
   */
  SECURITY_HUB_PRODUCT_ARN: z
    .string()
    .regex(/^arn:[\w-]+:securityhub:[a-z0-9-]+:\d{12}:product\/\d{12}\/default$/)
    .optional(),
  /**
   * Set only with the reviewer app on (`reviews` prop, issue 17): the reviews table the seal step
   * reads every campaign from, to seal them under `reviews/`.
   */
  REVIEWS_TABLE: z.string().min(1).optional(),
  /**
   * How old a reviewer-app audit entry must be before the seal step seals it (seconds, default 300:
   * far above the API function's timeout, so no older entry can still be written).
   */
  REVIEW_AUDIT_SETTLE_SECONDS: z.coerce.number().int().nonnegative().optional(),
  /** Path-style S3 addressing, for a local S3 server in tests (never set in AWS). */
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('false'),
} as const;

type Env = typeof ENV;

/**
 * @example
 * const env = readEnvironment(['FINDINGS_TABLE', 'STAGING_BUCKET']);
 */
export function readEnvironment<K extends keyof Env>(
  keys: readonly K[],
  source: NodeJS.ProcessEnv = process.env,
): { [P in K]: z.infer<Env[P]> } {
  const shape = Object.fromEntries(keys.map((k) => [k, ENV[k]])) as { [P in K]: Env[P] };
  const parsed = z.object(shape).safeParse(source);
  if (!parsed.success) {
    const names = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))].join(', ');
    throw new Error(`environment: ${names} missing or invalid (set by the AppFunction bind helpers)`);
  }
  return parsed.data as { [P in K]: z.infer<Env[P]> };
}
