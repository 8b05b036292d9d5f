/**
 * The neutral shape of `aws iam get-account-authorization-details` (files) and of the
 * `GetAccountAuthorizationDetails` API pages (live): zod schemas that validate an export, decode
 * URL-encoded policy documents and normalize dates to `toISOString()` text.
 */
import * as z from 'zod';
import { InputError } from '../../core/errors';
import { refuseDuplicateIds } from '../shared/duplicate-ids';
import { parseIsoInstant } from '../shared/iso-date';
import { parseJsonExport } from '../shared/json-text';

/** A date as the CLI writes it (`2022-08-07 12:56:48+00:00`, `…T…Z`) or as the SDK returns it (Date). */
const awsDate = z.union([z.string(), z.date()]).transform((v, ctx) => {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'invalid date' });
      return z.NEVER;
    }
    return v.toISOString();
  }
  const iso = parseIsoInstant(v);
  if (iso === undefined) {
    ctx.addIssue({ code: 'custom', message: `not an ISO 8601 time with a zone: "${v}"` });
    return z.NEVER;
  }
  return iso;
});

const stringOrList = z.union([z.string(), z.array(z.string())]);

const statementSchema = z.object({
  Sid: z.string().optional(),
  Effect: z.enum(['Allow', 'Deny']),
  Action: stringOrList.optional(),
  NotAction: stringOrList.optional(),
  Resource: stringOrList.optional(),
  NotResource: stringOrList.optional(),
  Condition: z.record(z.string(), z.unknown()).optional(),
  Principal: z.union([z.string(), z.record(z.string(), stringOrList)]).optional(),
  NotPrincipal: z.union([z.string(), z.record(z.string(), stringOrList)]).optional(),
});

const documentObjectSchema = z.object({
  Version: z.string().optional(),
  Id: z.string().optional(),
  Statement: z
    .union([statementSchema, z.array(statementSchema)])
    .transform((s) => (Array.isArray(s) ? s : [s])),
});

/**
 * A policy document: an object, or a string holding JSON that IAM URL-encodes (RFC 3986) in API
 * responses and that some tools write verbatim. Either way the result is the parsed object.
 */
export const policyDocumentSchema = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .transform((v, ctx) => {
    if (typeof v !== 'string') return v;
    let text = v.trimStart();
    if (!text.startsWith('{')) {
      try {
        text = decodeURIComponent(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'policy document is neither JSON nor URL-encoded JSON' });
        return z.NEVER;
      }
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'policy document is not valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(documentObjectSchema);

const tagSchema = z.object({ Key: z.string(), Value: z.string() });
const attachedSchema = z.object({
  PolicyName: z.string().optional(),
  PolicyArn: z.string().startsWith('arn:'),
});
/** `PermissionsBoundary` of a user or role: the managed policy that bounds it. */
const boundarySchema = z.object({
  PermissionsBoundaryType: z.string().optional(),
  PermissionsBoundaryArn: z.string().startsWith('arn:'),
});
const inlineSchema = z.object({ PolicyName: z.string().min(1), PolicyDocument: policyDocumentSchema });
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

export const userDetailSchema = z.object({
  Path: z.string().optional(),
  UserName: z.string().min(1),
  UserId: z.string().optional(),
  Arn: z.string().startsWith('arn:'),
  CreateDate: awsDate.optional(),
  GroupList: list(z.string()),
  AttachedManagedPolicies: list(attachedSchema),
  UserPolicyList: list(inlineSchema),
  PermissionsBoundary: boundarySchema.nullish(),
  Tags: list(tagSchema),
});

export const groupDetailSchema = z.object({
  Path: z.string().optional(),
  GroupName: z.string().min(1),
  GroupId: z.string().optional(),
  Arn: z.string().startsWith('arn:'),
  CreateDate: awsDate.optional(),
  GroupPolicyList: list(inlineSchema),
  AttachedManagedPolicies: list(attachedSchema),
});

export const roleDetailSchema = z.object({
  Path: z.string().optional(),
  RoleName: z.string().min(1),
  RoleId: z.string().optional(),
  Arn: z.string().startsWith('arn:'),
  CreateDate: awsDate.optional(),
  AssumeRolePolicyDocument: policyDocumentSchema.optional(),
  RolePolicyList: list(inlineSchema),
  AttachedManagedPolicies: list(attachedSchema),
  PermissionsBoundary: boundarySchema.nullish(),
  Tags: list(tagSchema),
  // The CLI writes `{}` for a role never used.
  RoleLastUsed: z
    .object({ LastUsedDate: awsDate.optional(), Region: z.string().optional() })
    .nullish()
    .transform((v) => v ?? {}),
});

export const policyVersionSchema = z.object({
  Document: policyDocumentSchema.optional(),
  VersionId: z.string(),
  IsDefaultVersion: z.boolean(),
  CreateDate: awsDate.optional(),
});

export const managedPolicySchema = z.object({
  PolicyName: z.string().min(1),
  PolicyId: z.string().optional(),
  Arn: z.string().startsWith('arn:'),
  Path: z.string().optional(),
  DefaultVersionId: z.string().optional(),
  AttachmentCount: z.number().optional(),
  IsAttachable: z.boolean().optional(),
  CreateDate: awsDate.optional(),
  UpdateDate: awsDate.optional(),
  PolicyVersionList: list(policyVersionSchema),
});

export const accountAuthorizationSchema = z.object({
  UserDetailList: list(userDetailSchema),
  GroupDetailList: list(groupDetailSchema),
  RoleDetailList: list(roleDetailSchema),
  Policies: list(managedPolicySchema),
});

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyStatementInput = z.output<typeof statementSchema>;
export type InlinePolicy = z.output<typeof inlineSchema>;
export type AttachedPolicy = z.output<typeof attachedSchema>;
export type UserDetail = z.output<typeof userDetailSchema>;
export type GroupDetail = z.output<typeof groupDetailSchema>;
export type RoleDetail = z.output<typeof roleDetailSchema>;
export type ManagedPolicyDetail = z.output<typeof managedPolicySchema>;
/** The whole export, validated, dates normalized and policy documents decoded. */
export type AccountAuthorization = z.output<typeof accountAuthorizationSchema>;

const TOP_LEVEL_KEYS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'];

/** `RoleDetailList[3].RoleLastUsed.LastUsedDate` from a zod issue path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/**
 * Parse and validate the JSON of `aws iam get-account-authorization-details`. A syntax error names
 * the line; a shape error names the field (`RoleDetailList[3].Arn`).
 *
 * @example
 * const authz = parseAuthorizationDetails(await readFile(path, 'utf8'), path);
 * authz.RoleDetailList.length;
 */
export function parseAuthorizationDetails(text: string, file: string): AccountAuthorization {
  const raw = parseJsonExport(text, file);
  if (
    typeof raw !== 'object' ||
    raw === null ||
    Array.isArray(raw) ||
    !TOP_LEVEL_KEYS.some((k) => k in (raw as object))
  ) {
    throw new InputError(
      `not the output of "aws iam get-account-authorization-details": expected ${TOP_LEVEL_KEYS.join(', ')}`,
      { file },
    );
  }
  const parsed = accountAuthorizationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue?.message ?? 'invalid authorization details', {
      file,
      field: fieldPath(issue?.path ?? []),
    });
  }
  for (const list of TOP_LEVEL_KEYS) {
    const items = (parsed.data as Record<string, readonly { Arn?: unknown }[] | undefined>)[list] ?? [];
    refuseDuplicateIds(
      items.map((x, i) => ({ id: x.Arn, where: `${list}[${i}]` })),
      file,
      'Arn',
    );
  }
  return parsed.data;
}
