/**
 * `GetAccountAuthorizationDetails`, one page per call. IAM may return fewer than `MaxItems` and
 * still be truncated, so paging follows `IsTruncated` + `Marker` only, never the page's length.
 * One request asks for every entity type at once (users, groups, roles, local policies), so a
 * full account costs ceil(E / page) calls rather than one partial page per type.
 */
import {
  type EntityType,
  GetAccountAuthorizationDetailsCommand,
  type GetAccountAuthorizationDetailsResponse,
  type IAMClient,
} from '@aws-sdk/client-iam';
import * as z from 'zod';
import type { CallLog } from '../../../core/connector';
import { SourceError } from '../../../core/errors';
import {
  fieldPath,
  groupDetailSchema,
  managedPolicySchema,
  roleDetailSchema,
  userDetailSchema,
} from '../authorization-details';
import { mustCall } from './recorded-call';

export const AUTHORIZATION_OPERATION = 'iam:GetAccountAuthorizationDetails';
/** IAM's largest page. */
export const MAX_ITEMS = 1000;
/** The account's own entities. AWS-managed policies are fetched separately, once per run. */
export const ACCOUNT_FILTER: EntityType[] = ['Group', 'User', 'Role', 'LocalManagedPolicy'];

const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

/** The page as the normalizer reads it: validated, dates as ISO text, documents decoded. */
const pageSchema = z.object({
  IsTruncated: z.boolean().nullish(),
  Marker: z.string().nullish(),
  UserDetailList: list(userDetailSchema),
  GroupDetailList: list(groupDetailSchema),
  RoleDetailList: list(roleDetailSchema),
  Policies: list(managedPolicySchema),
});

export interface AuthorizationPage {
  users: z.output<typeof userDetailSchema>[];
  groups: z.output<typeof groupDetailSchema>[];
  roles: z.output<typeof roleDetailSchema>[];
  policies: z.output<typeof managedPolicySchema>[];
  /** Set when another page follows. Belongs in connector state only. */
  marker?: string;
}

export interface PageRequest {
  filter: EntityType[];
  marker?: string;
  /** 1-based, for messages. */
  page: number;
}

/**
 * Fetch and validate one page; record it as `iam:GetAccountAuthorizationDetails` with the filter.
 * @returns the page, with `marker` set when another page follows
 */
export async function fetchAuthorizationPage(
  iam: IAMClient,
  calls: CallLog,
  req: PageRequest,
): Promise<AuthorizationPage> {
  const params = { Filter: req.filter.join(',') };
  const raw: GetAccountAuthorizationDetailsResponse = await mustCall(
    calls,
    { operation: AUTHORIZATION_OPERATION, params, page: req.page },
    () =>
      iam.send(
        new GetAccountAuthorizationDetailsCommand({
          Filter: req.filter,
          MaxItems: MAX_ITEMS,
          ...(req.marker ? { Marker: req.marker } : {}),
        }),
      ),
  );
  const parsed = pageSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(`unexpected answer at ${fieldPath(issue?.path ?? [])}: ${issue?.message}`, {
      operation: AUTHORIZATION_OPERATION,
      page: req.page,
    });
  }
  const p = parsed.data;
  const out: AuthorizationPage = {
    users: p.UserDetailList,
    groups: p.GroupDetailList,
    roles: p.RoleDetailList,
    policies: p.Policies,
  };
  const records = out.users.length + out.groups.length + out.roles.length + out.policies.length;
  calls.record(AUTHORIZATION_OPERATION, { pages: 1, records }, params);
  if (p.IsTruncated) {
    // Truncated without a marker would silently drop the rest: refuse rather than under-report.
    if (!p.Marker)
      throw new SourceError('IsTruncated without a Marker', {
        operation: AUTHORIZATION_OPERATION,
        page: req.page,
      });
    out.marker = p.Marker;
  }
  return out;
}
