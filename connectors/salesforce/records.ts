/**
 * zod schemas for the SOQL records the connector reads, from the REST API (JSON), Bulk API 2.0
 * (CSV rows turned into the same shape) or saved query results (files mode).
 *
 * Bulk CSV has no types: booleans arrive as `"true"`/`"false"` and nulls as empty strings, so
 * every field schema accepts both forms. Salesforce writes date-times as `2026-09-30T08:15:00.000+0000`
 * (no colon in the offset); they are normalized to `Date.prototype.toISOString()` form.
 */
import * as z from 'zod';
import { InputError, SourceError } from '../../core/errors';
import { OBJECT_ACTIONS, permissionField, SYSTEM_PERMISSIONS } from './system-permissions';

/** `+0000` → `+00:00`, then ISO 8601 UTC with milliseconds; undefined when it is not a date-time. */
export function toIsoDateTime(value: string): string | undefined {
  const withColon = value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(withColon)) return undefined;
  const ms = Date.parse(withColon.includes('T') ? withColon : `${withColon}T00:00:00Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

const sfBoolean = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);
/** A missing or empty boolean counts as false, as Salesforce defaults them. */
// `.optional()` (not a z.undefined() member) so a record may leave the field out altogether.
const flag = z
  .union([sfBoolean, z.literal(''), z.null()])
  .optional()
  .transform((v) => v === true);
const text = z.string().min(1);
const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v ? v : undefined));
const dateTime = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (!v) return undefined;
    const iso = toIsoDateTime(v);
    if (iso === undefined) {
      ctx.addIssue({ code: 'custom', message: `not a date-time: "${v}"` });
      return z.NEVER;
    }
    return iso;
  });
const count = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v) => (v === '' || v === null || v === undefined ? undefined : Number(v)));

const named = z
  .object({ Name: optionalText })
  .loose()
  .nullish()
  .transform((v) => v ?? undefined);

export const organizationRecord = z
  .object({
    Id: text,
    Name: optionalText,
    IsSandbox: flag,
    InstanceName: optionalText,
    OrganizationType: optionalText,
  })
  .loose();

const systemPermissionFields = Object.fromEntries(SYSTEM_PERMISSIONS.map((p) => [permissionField(p), flag]));

export const permissionSetRecord = z
  .object({
    Id: text,
    Name: text,
    Label: optionalText,
    IsOwnedByProfile: flag,
    ProfileId: optionalText,
    Profile: named,
    PermissionSetGroupId: optionalText,
    ...systemPermissionFields,
  })
  .loose();

const objectActionFields = Object.fromEntries(OBJECT_ACTIONS.map(([field]) => [field, flag]));

export const objectPermissionRecord = z
  .object({
    ParentId: text,
    SobjectType: text,
    ...objectActionFields,
  })
  .loose();

export const permissionSetGroupRecord = z
  .object({
    Id: text,
    DeveloperName: text,
    MasterLabel: optionalText,
    Status: optionalText,
  })
  .loose();

export const permissionSetGroupComponentRecord = z
  .object({
    PermissionSetGroupId: text,
    PermissionSetId: text,
  })
  .loose();

export const permissionSetAssignmentRecord = z
  .object({
    Id: optionalText,
    AssigneeId: text,
    PermissionSetId: text,
    PermissionSetGroupId: optionalText,
    // Exports made before API 52.0 have no IsActive: an assignment that exists is then active.
    IsActive: z
      .union([sfBoolean, z.literal(''), z.null()])
      .optional()
      .transform((v) => v !== false),
    ExpirationDate: dateTime,
    SystemModstamp: dateTime,
  })
  .loose();

export const oauthTokenRecord = z
  .object({
    Id: text,
    UserId: text,
    AppName: optionalText,
    CreatedDate: dateTime,
    LastUsedDate: dateTime,
    UseCount: count,
  })
  .loose();

export const userRecord = z
  .object({
    Id: text,
    Username: text,
    Name: optionalText,
    Email: optionalText,
    FederationIdentifier: optionalText,
    EmployeeNumber: optionalText,
    IsActive: flag,
    UserType: optionalText,
    CreatedDate: dateTime,
    LastLoginDate: dateTime,
    ProfileId: optionalText,
    Profile: z
      .object({ Name: optionalText, UserLicense: named })
      .loose()
      .nullish()
      .transform((v) => v ?? undefined),
    ManagerId: optionalText,
  })
  .loose();

export type OrganizationRecord = z.infer<typeof organizationRecord>;
export type PermissionSetRecord = z.infer<typeof permissionSetRecord>;
export type ObjectPermissionRecord = z.infer<typeof objectPermissionRecord>;
export type PermissionSetGroupRecord = z.infer<typeof permissionSetGroupRecord>;
export type PermissionSetGroupComponentRecord = z.infer<typeof permissionSetGroupComponentRecord>;
export type PermissionSetAssignmentRecord = z.infer<typeof permissionSetAssignmentRecord>;
export type OauthTokenRecord = z.infer<typeof oauthTokenRecord>;
export type UserRecord = z.infer<typeof userRecord>;

/** One page of a SOQL answer, as `/query` and `/query/<locator>` return it. */
export const queryResult = z
  .object({
    totalSize: z.number().int().nonnegative(),
    done: z.boolean(),
    nextRecordsUrl: z.string().min(1).optional(),
    records: z.array(z.record(z.string(), z.unknown())),
  })
  .loose();
export type QueryResultPage = z.infer<typeof queryResult>;

/** Where records came from, for error messages: a saved file or an API operation and page. */
export type RecordOrigin = { file: string } | { operation: string; page: number };

/**
 * Validate raw records. A bad saved file is the user's to fix (`InputError` naming file and field);
 * a bad API answer fails the source (`SourceError` naming operation and page).
 */
export function parseRecords<S extends z.ZodType>(
  schema: S,
  records: readonly unknown[],
  origin: RecordOrigin,
  offset = 0,
): z.infer<S>[] {
  return records.map((raw, i) => {
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const field = `records[${offset + i}]${issue?.path.length ? `.${issue.path.join('.')}` : ''}`;
    const message = issue?.message ?? 'invalid record';
    if ('file' in origin) throw new InputError(message, { file: origin.file, field });
    throw new SourceError(`${field}: ${message}`, { operation: origin.operation, page: origin.page });
  });
}
