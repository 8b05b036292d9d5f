/**
 * zod schemas for review campaigns as they come back from a store, and for the people and dates a
 * user types. Stored objects are loose: a field added later survives an older reader.
 */
import * as z from 'zod';
import { SYSTEMS } from '../model';
import { CAMPAIGN_ID_PATTERN } from './model';

/** An email as a reviewer or decider gives it; compared trimmed and lowercased. */
export const reviewerEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email('must be an email address such as controller@example.com'));

/** ISO 8601 date-time, or a bare date (`2026-12-31`, midnight UTC). */
export const isoDateOrTime = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: 'must be an ISO 8601 date such as 2026-12-31 or 2026-12-31T17:00:00Z',
});

const decision = z.looseObject({
  outcome: z.enum(['keep', 'revoke']),
  by: z.string().min(1),
  at: z.string().min(1),
  note: z.string().optional(),
  channel: z.enum(['cli', 'web', 'xlsx']).optional(),
  fileSha256: z.string().optional(),
});

export const reviewItemSchema = z.looseObject({
  id: z.string().min(1),
  sourceId: z.string(),
  system: z.enum(SYSTEMS),
  identity: z.string(),
  identityName: z.string(),
  holderEmails: z.array(z.string()),
  principal: z.string().min(1),
  principalName: z.string(),
  principalKind: z.enum(['human', 'nonhuman']),
  principalType: z.string(),
  principalStatus: z.enum(['active', 'disabled', 'unknown']),
  entitlement: z.string().min(1),
  entitlementName: z.string(),
  entitlementType: z.string(),
  privileged: z.boolean(),
  path: z.array(z.string()),
  pathNames: z.array(z.string()),
  grantedAt: z.string().optional(),
  reviewer: z.string().min(1),
  reviewerRule: z.string(),
  decision: decision.optional(),
  superseded: z.array(decision.extend({ supersededAt: z.string() })).optional(),
  delegations: z
    .array(
      z.looseObject({
        from: z.string(),
        to: z.string(),
        at: z.string(),
        reason: z.string(),
        channel: z.enum(['cli', 'web', 'xlsx']),
      }),
    )
    .optional(),
});

/** A campaign without its items (the store keeps items as rows of their own). */
export const campaignHeaderSchema = z.looseObject({
  id: z.string().regex(CAMPAIGN_ID_PATTERN),
  name: z.string().min(1),
  scope: z.looseObject({
    sources: z.array(z.string()),
    entitlements: z.array(z.string()),
    privilegedOnly: z.boolean(),
  }),
  reviewers: z.looseObject({
    default: z.string().optional(),
    bySource: z.record(z.string(), z.string()),
    byEntitlement: z.array(z.looseObject({ pattern: z.string(), reviewer: z.string() })),
    fallback: z.string().optional(),
  }),
  createdAt: z.string().min(1),
  createdBy: z.string().min(1),
  dueAt: z.string().min(1),
  status: z.enum(['open', 'closed']),
  baseRunId: z.string().min(1),
  baseManifestSha256: z.string().optional(),
  populationSha256: z.string().optional(),
  sources: z.array(
    z.looseObject({
      id: z.string(),
      system: z.enum(SYSTEMS),
      status: z.enum(['collected', 'failed']),
      complete: z.boolean(),
      collectedAt: z.string().optional(),
      items: z.number().int().nonnegative(),
    }),
  ),
  closed: z
    .looseObject({
      at: z.string(),
      by: z.string(),
      forced: z.boolean(),
      rationale: z.string().optional(),
      undecided: z.number().int().nonnegative(),
    })
    .optional(),
  history: z.array(
    z.looseObject({
      at: z.string(),
      event: z.enum(['started', 'decided', 'delegated', 'closed', 'force-closed']),
      by: z.string(),
      note: z.string().optional(),
    }),
  ),
});
