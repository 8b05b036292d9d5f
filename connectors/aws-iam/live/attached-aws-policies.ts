/**
 * Which AWS-managed policies this account uses: `ListPolicies Scope=AWS OnlyAttached=true`, with
 * the account's own attachment counts. Their documents come from the run-wide AWS-managed
 * catalogue (`aws-managed-policy-cache.ts`), so an account costs one call here, not one per policy.
 */
import { type IAMClient, ListPoliciesCommand } from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { CallLog } from '../../../core/connector';
import { SourceError } from '../../../core/errors';
import { fieldPath, managedPolicySchema } from '../authorization-details';
import { MAX_ITEMS } from './authorization-pages';
import type { AwsPolicyMetadata } from './live-state';
import { mustCall } from './recorded-call';

export const LIST_POLICIES_OPERATION = 'iam:ListPolicies';

const metadataSchema = managedPolicySchema.omit({ PolicyVersionList: true });
const pageSchema = z.object({
  IsTruncated: z.boolean().nullish(),
  Marker: z.string().nullish(),
  Policies: z
    .array(metadataSchema)
    .nullish()
    .transform((v) => v ?? []),
});

export async function fetchAttachedAwsPolicies(
  iam: IAMClient,
  calls: CallLog,
  req: { marker?: string; page: number },
): Promise<{ policies: AwsPolicyMetadata[]; marker?: string }> {
  const params = { Scope: 'AWS', OnlyAttached: 'true' };
  const raw = await mustCall(calls, { operation: LIST_POLICIES_OPERATION, params, page: req.page }, () =>
    iam.send(
      new ListPoliciesCommand({
        Scope: 'AWS',
        OnlyAttached: true,
        MaxItems: MAX_ITEMS,
        ...(req.marker ? { Marker: req.marker } : {}),
      }),
    ),
  );
  const parsed = pageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(`unexpected answer at ${fieldPath(issue?.path ?? [])}: ${issue?.message}`, {
      operation: LIST_POLICIES_OPERATION,
      page: req.page,
    });
  }
  calls.record(LIST_POLICIES_OPERATION, { pages: 1, records: parsed.data.Policies.length }, params);
  if (parsed.data.IsTruncated && !parsed.data.Marker)
    throw new SourceError('IsTruncated without a Marker', {
      operation: LIST_POLICIES_OPERATION,
      page: req.page,
    });
  return {
    policies: parsed.data.Policies,
    ...(parsed.data.IsTruncated && parsed.data.Marker ? { marker: parsed.data.Marker } : {}),
  };
}
