/**
 * zod schemas for findings and the chain head as they come back from a store or a
 * `findings.jsonl` file. Objects are loose: a field added to the model later survives a round
 * trip through an older reader instead of being stripped.
 */
import * as z from 'zod';
import { RULE_IDS, SEVERITIES } from './model';

const severity = z.enum(SEVERITIES as unknown as ['critical', 'high', 'medium', 'low']);

export const evidenceItemSchema = z.looseObject({
  kind: z.enum(['grant', 'activity', 'credential', 'attribute', 'note']),
  principal: z.string().optional(),
  entitlement: z.string().optional(),
  path: z.array(z.string()).optional(),
  function: z.string().optional(),
  signal: z.string().optional(),
  at: z.string().optional(),
  text: z.string(),
});

export const historyEntrySchema = z.looseObject({
  at: z.string(),
  runId: z.string().optional(),
  event: z.string().min(1),
  by: z.string().optional(),
  note: z.string().optional(),
});

export const findingSchema = z.looseObject({
  id: z.string().min(1),
  rule: z.enum(RULE_IDS),
  severity,
  title: z.string(),
  subject: z.looseObject({ identity: z.string(), principals: z.array(z.string()) }),
  detail: z.record(z.string(), z.unknown()),
  evidence: z.array(evidenceItemSchema),
  sources: z.array(z.string()),
  key: z.string().optional(),
  display: z.string().optional(),
  firstSeenRun: z.string().min(1),
  lastSeenRun: z.string().min(1),
  status: z.enum(['open', 'risk-accepted', 'resolved', 'reopened']),
  owner: z.string().optional(),
  dueAt: z.string().optional(),
  overdue: z.boolean().optional(),
  exception: z
    .looseObject({
      approver: z.string(),
      rationale: z.string(),
      compensatingControl: z.string().optional(),
      expiresAt: z.string(),
      grantedAt: z.string(),
    })
    .optional(),
  resolution: z.looseObject({ runId: z.string(), how: z.string(), at: z.string() }).optional(),
  history: z.array(historyEntrySchema),
});

export const chainHeadSchema = z
  .object({
    sequence: z.number().int().positive(),
    runId: z.string().min(1),
    manifestSha256: z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256'),
    location: z.string().min(1),
    sealedAt: z.string().min(1),
  })
  .strict();
