/**
 * The payloads the scan-run state machine hands the Lambda steps (infra/lib/scan-run-state-machine.ts),
 * as zod schemas: every event is parsed before anything uses it. Shapes follow core/run/types.ts.
 */
import * as z from 'zod';
import { sourceSchema } from '../../core/config';
import { InputError } from '../../core/errors';
import { SYSTEMS } from '../../core/model';

/** The config file's text and its rulesets, fixed at deploy time. */
export const runConfigDocumentSchema = z.object({
  file: z.string(),
  text: z.string(),
  rulesets: z.array(z.object({ path: z.string(), text: z.string() })),
});

/**
 * `$.runConfig`: where the deployment staged that document in S3 (its CDK asset), with its SHA-256,
 * so the config and rulesets never ride in the state (256 KB limit); or the document itself
 * (handler tests).
 */
export const runConfigSchema = z.union([
  runConfigDocumentSchema,
  z.object({
    file: z.string(),
    bucket: z.string().min(3),
    key: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
]);

const counts = z.object({
  principals: z.number(),
  entitlements: z.number(),
  grants: z.number(),
  people: z.number().optional(),
});

export const plannedSourceSchema = z
  .object({ id: z.string(), system: z.enum(SYSTEMS), financiallySignificant: z.boolean() })
  .loose();

export const sourceResultSchema = z.object({
  id: z.string(),
  system: z.enum(SYSTEMS),
  status: z.enum(['complete', 'incomplete', 'failed']),
  tenant: z.string().optional(),
  error: z.string().optional(),
  counts,
  collectedAt: z.string().optional(),
  mode: z.enum(['api', 'files']).optional(),
  calls: z.number().optional(),
  queries: z
    .array(
      z.object({
        operation: z.string(),
        params: z.record(z.string(), z.string()).optional(),
        calls: z.number(),
        pages: z.number(),
        records: z.number(),
        expected: z.number().optional(),
      }),
    )
    .optional(),
  warnings: z.array(z.string()).optional(),
  warningCount: z.number().int().nonnegative().optional(),
  snapshot: z
    .object({ location: z.string(), sha256: z.string(), bytes: z.number(), records: z.number() })
    .optional(),
  /** The source's key index (a sharded scan, issue 18). */
  keyIndex: z
    .object({ location: z.string(), sha256: z.string(), bytes: z.number(), records: z.number() })
    .optional(),
});

/** The shard list plan-shards returns (core/run/shard-plan.ts `ShardList`). */
export const shardListSchema = z.object({
  runId: z.string(),
  count: z.number().int().positive(),
  shards: z.array(z.object({ shard: z.number().int().nonnegative(), count: z.number().int().positive() })),
});

/**
 * `$.plan`: a RunPlan, the sources that failed while planning (an Organization whose accounts could
 * not be listed) and, in Distributed mode, where the item list is.
 */
export const runPlanSchema = z.object({
  runId: z.string(),
  organization: z.string(),
  startedAt: z.string(),
  asOf: z.string(),
  configSha256: z.string(),
  toolVersion: z.string(),
  sources: z.array(plannedSourceSchema),
  failed: z.array(sourceResultSchema).default([]),
  items: z.object({ bucket: z.string(), key: z.string(), count: z.number() }).optional(),
});

/** `$.collected`: the inline Map's results, or where the Distributed Map wrote them. */
export const collectedSchema = z.union([
  z.array(sourceResultSchema),
  z.object({ resultWriter: z.object({ Bucket: z.string(), Key: z.string() }) }),
]);

/** One Map iteration: a planned source as full source config (the plan resolved and expanded it). */
export const collectEventSchema = z.object({
  runId: z.string(),
  source: z.intersection(sourceSchema, plannedSourceSchema),
  cursor: z.string().optional(),
  resumes: z.number().int().nonnegative(),
});

/** `$.scan`: core's ScanSummary; the later steps need its run id and result key. */
export const scanSummarySchema = z.object({ runId: z.string(), resultKey: z.string() }).loose();

/** `$.seal`: core's SealedRun. */
export const sealedRunSchema = z.object({
  runId: z.string(),
  location: z.string(),
  manifestSha256: z.string(),
  sequence: z.number(),
  previous: z.object({ runId: z.string(), manifestSha256: z.string() }).nullable(),
  keyFingerprint: z.string(),
  files: z.number(),
  bytes: z.number(),
});

/**
 * Parse an event or throw an InputError naming the first bad field (never the value: events carry
 * config text, and a message must not echo input).
 */
export function parseEvent<T extends z.ZodType>(schema: T, event: unknown, step: string): z.infer<T> {
  const parsed = schema.safeParse(event);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(event)';
  throw new InputError(`${step} event: ${issue?.message ?? 'invalid'}`, { field });
}
