/**
 * The configuration contract (README.md "Configuration"), validated with zod. Loading files and resolving
 * paths relative to the config file is the CLI's job (`cli/config-loader.ts`); this module only
 * describes the shape so the CLI and the Lambda functions agree on it.
 */
import * as z from 'zod';

const sourceId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/i,
    'letters, digits, ".", "_" or "-" (at most 63), starting alphanumeric',
  );

const kindOverride = z.enum(['human', 'nonhuman']);

/**
 * Day counts in policy: at most ten years. Beyond that a value is a typo, and dates computed from it
 * leave the range a `Date` can hold (`slaDays: 100000000` crashed with "Invalid time value").
 */
export const MAX_DAYS = 3650;
const days = z.number().int().positive().max(MAX_DAYS);

/** The thresholds a source or a kind of principal may set for itself (issue 12). */
export const thresholdsSchema = z
  .object({
    dormantDays: days.optional(),
    neverUsedGraceDays: z.number().int().nonnegative().max(MAX_DAYS).optional(),
    credentialMaxAgeDays: days.optional(),
    leaverGraceDays: z.number().int().nonnegative().max(MAX_DAYS).optional(),
  })
  .strict();
export type Thresholds = z.infer<typeof thresholdsSchema>;
export const THRESHOLD_NAMES = [
  'dormantDays',
  'neverUsedGraceDays',
  'credentialMaxAgeDays',
  'leaverGraceDays',
] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];

const common = {
  id: sourceId,
  /** Systems behind financial reporting: dormancy findings on them are `high`. */
  financiallySignificant: z.boolean().default(false),
  /** Override a principal's kind by native id or uid. */
  kinds: z.record(z.string(), kindOverride).default({}),
  /** This source's own thresholds: they win over `policy.byKind` and `policy`. */
  policy: thresholdsSchema.optional(),
  /** How the export files are written when not UTF-8 (files mode): `latin1` or `windows-1252`. */
  encoding: z.enum(['utf-8', 'latin1', 'windows-1252']).optional(),
};

export const awsSourceSchema = z
  .object({
    ...common,
    system: z.literal('aws'),
    accountId: z
      .string()
      .regex(/^\d{12}$/, '12 digits')
      .optional(),
    roleArn: z.string().startsWith('arn:').optional(),
    externalId: z.string().min(2).optional(),
    region: z.string().default('us-east-1'),
    /** Live mode across every active account of the AWS Organization. */
    organization: z.boolean().default(false),
    /** Role assumed in each member account when `organization` is true. */
    memberRoleName: z.string().default('AccessProofReader'),
    /** Organization mode: collect only these member accounts (default: every ACTIVE account). */
    accounts: z
      .array(z.string().regex(/^\d{12}$/, '12 digits'))
      .min(1)
      .optional(),
    /** Live mode: service endpoints to use instead of AWS's (tests point them at local servers). */
    endpoints: z
      .object({
        iam: z.string().url().optional(),
        sts: z.string().url().optional(),
        organizations: z.string().url().optional(),
        ssoAdmin: z.string().url().optional(),
        identityStore: z.string().url().optional(),
      })
      .strict()
      .optional(),
    /**
     * Live mode: read the account's SCPs and RCPs from AWS Organizations (ambient credentials of the
     * management or delegated-administrator account). Files mode uses `files.organizationPolicies`.
     */
    organizationPolicies: z.boolean().default(false),
    /** Include IAM Identity Center permission-set assignments (live mode). */
    identityCenter: z.object({ instanceArn: z.string(), identityStoreId: z.string() }).strict().optional(),
    files: z
      .object({
        authorizationDetails: z.string().optional(),
        credentialReport: z.string().optional(),
        /** AWS Organizations export (SCPs, RCPs, OU tree): docs/connectors/aws-iam.md. */
        organizationPolicies: z.string().optional(),
      })
      .strict()
      .refine((f) => f.authorizationDetails || f.credentialReport, {
        message: 'give authorizationDetails, credentialReport or both',
      })
      .optional(),
  })
  .strict();

export const entraSourceSchema = z
  .object({
    ...common,
    system: z.literal('entra'),
    tenantId: z.string().uuid(),
    clientId: z.string().optional(),
    /** Graph base URL (tests point it at a local server). */
    graphBaseUrl: z.string().url().default('https://graph.microsoft.com'),
    /**
     * Token endpoint host: a sovereign cloud (`https://login.microsoftonline.us`) or a private one.
     * Default: `AZURE_AUTHORITY_HOST`, else the public cloud.
     */
    authorityHost: z.string().url().startsWith('https://').optional(),
    /**
     * No instance discovery (a metadata request to login.microsoft.com validating the authority):
     * for private clouds and Azure Stack, whose `authorityHost` must then be trusted as it is.
     */
    disableInstanceDiscovery: z.boolean().optional(),
    /** App ids or display names of financially significant apps: their `appRoleAssignedTo` is collected. */
    financialApps: z.array(z.string()).default([]),
    /** Group ids or names whose transitive members are collected. */
    groups: z.array(z.string()).default([]),
    files: z.object({ dir: z.string() }).strict().optional(),
  })
  .strict();

export const salesforceSourceSchema = z
  .object({
    ...common,
    system: z.literal('salesforce'),
    loginUrl: z.string().url().default('https://login.salesforce.com'),
    instanceUrl: z.string().url().optional(),
    apiVersion: z
      .string()
      .regex(/^\d+\.0$/, 'like "62.0"')
      .default('62.0'),
    clientId: z.string().optional(),
    username: z.string().optional(),
    /** Path to the JWT bearer private key (one machine); in AWS it comes from Secrets Manager. */
    privateKeyFile: z.string().optional(),
    /** Environment variable holding the JWT private key (PEM) when there is no `privateKeyFile`; default `SALESFORCE_PRIVATE_KEY`. */
    privateKeyEnv: z.string().optional(),
    /** Environment variable holding the client-credentials consumer secret; default `SALESFORCE_CLIENT_SECRET`. */
    clientSecretEnv: z.string().optional(),
    auth: z.enum(['jwt', 'client-credentials']).default('jwt'),
    /** Objects whose ObjectPermissions are collected (besides those rulesets name). */
    objects: z.array(z.string()).default([]),
    /** Use Bulk API 2.0 for queries expected to return more rows than this. */
    bulkThreshold: z.number().int().positive().max(100_000_000).default(50_000),
    /** Stop before the org's daily API use passes this share. */
    maxApiUsageShare: z.number().gt(0).max(1).default(0.8),
    files: z.object({ dir: z.string() }).strict().optional(),
  })
  .strict();

export const ERP_COLUMNS = [
  'user_id',
  'user_name',
  'email',
  'user_type',
  'status',
  'last_login_at',
  'owner_email',
  'created_at',
  'role_id',
  'role_name',
  'privileged',
  'granted_at',
  'permission',
  'employee_id',
] as const;

export const erpSourceSchema = z
  .object({
    ...common,
    system: z.literal('erp'),
    files: z
      .object({
        users: z.string(),
        roles: z.string(),
        assignments: z.string(),
        permissions: z.string().optional(),
      })
      .strict(),
    /** Map our column names to the export's, e.g. `{user_id: BNAME}`. */
    columns: z.partialRecord(z.enum(ERP_COLUMNS), z.string()).default({}),
  })
  .strict();

/**
 * SAP ECC / S/4HANA in files mode: the standard tables as SE16N, RFC_READ_TABLE or GRC extract them,
 * one file per table in `files.dir` (docs/connectors/sap.md). Live mode (RFC) is not built.
 */
export const sapSourceSchema = z
  .object({
    ...common,
    system: z.literal('sap'),
    /** The SAP client (`MANDT`) to read when the tables carry one; rows of other clients are skipped. */
    client: z
      .string()
      .regex(/^\d{3}$/, 'three digits, e.g. "100"')
      .optional(),
    files: z.object({ dir: z.string() }).strict(),
    /**
     * Authorization objects whose AGR_1251 rows are kept (besides S_TCODE). Planning adds the objects
     * the rulesets' `sap` matchers name; empty keeps every object.
     */
    objects: z.array(z.string().regex(/^[A-Z0-9_/]{1,10}$/i, 'an authorization object name')).default([]),
  })
  .strict();

export const HR_COLUMNS = [
  'employee_id',
  'email',
  'display_name',
  'status',
  'hire_date',
  'termination_date',
  'manager_email',
  'department',
  'title',
  'other_emails',
] as const;

/** The HR system of record (files mode): people, not principals. See docs/connectors/hr.md. */
export const hrSourceSchema = z
  .object({
    ...common,
    system: z.literal('hr'),
    files: z
      .object({
        people: z.string(),
        /** Manual correlation: `principal_uid,employee_id` / `principal_uid,email` / `principal_uid,none`. */
        links: z.string().optional(),
      })
      .strict(),
    /** Map our column names to the export's, e.g. `{employee_id: "Worker ID"}`. */
    columns: z.partialRecord(z.enum(HR_COLUMNS), z.string()).default({}),
    /** Export status values for each of our statuses (case-insensitive); defaults: the status names. */
    statusValues: z
      .object({
        active: z.array(z.string().min(1)).min(1).optional(),
        leave: z.array(z.string().min(1)).min(1).optional(),
        terminated: z.array(z.string().min(1)).min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

export const sourceSchema = z.discriminatedUnion('system', [
  awsSourceSchema,
  entraSourceSchema,
  salesforceSourceSchema,
  erpSourceSchema,
  sapSourceSchema,
  hrSourceSchema,
]);

const approverList = z.array(z.string().trim().min(1)).min(1);

/** Who may approve a risk acceptance: per severity, and optionally per SoD risk id (which wins). */
export const exceptionApproversSchema = z
  .object({
    critical: approverList.optional(),
    high: approverList.optional(),
    medium: approverList.optional(),
    low: approverList.optional(),
    risks: z.record(z.string(), approverList).optional(),
  })
  .strict();

export const policySchema = z
  .object({
    dormantDays: days.default(90),
    neverUsedGraceDays: z.number().int().nonnegative().max(MAX_DAYS).default(30),
    credentialMaxAgeDays: days.default(90),
    /** Days after a termination date an account may stay active (USER-TERMINATED-ACCESS). */
    leaverGraceDays: z.number().int().nonnegative().max(MAX_DAYS).default(1),
    /** Root user use within this many days is AWS-ROOT-RECENT-USE. */
    rootUseDays: days.default(30),
    /** USER-NO-HR-RECORD on financially significant sources only (`financial`, default) or on every source (`all`). */
    unmatchedHumans: z.enum(['financial', 'all']).default('financial'),
    /** Thresholds per kind of principal: win over the values above, lose to a source's own `policy`. */
    byKind: z
      .object({ human: thresholdsSchema.optional(), nonhuman: thresholdsSchema.optional() })
      .strict()
      .default({}),
    sodRules: z.array(z.string()).default([]),
    slaDays: z
      .object({
        critical: days.default(7),
        high: days.default(30),
        medium: days.default(60),
        low: days.default(90),
      })
      .strict()
      .default({ critical: 7, high: 30, medium: 60, low: 90 }),
    /** Who may approve exceptions; without it `exception add` refuses every approver. */
    exceptionApprovers: exceptionApproversSchema.optional(),
    /** Longest exception one approval may grant. */
    exceptionMaxDays: z.number().int().positive().max(3650).default(365),
  })
  .strict();

export const evidenceSchema = z
  .object({
    dir: z.string().optional(),
    bucket: z.string().optional(),
    prefix: z.string().default(''),
    // S3 Object Lock retains for at most 100 years.
    retentionDays: z.number().int().positive().max(36_500).default(2557),
  })
  .strict();

export const configSchema = z
  .object({
    organization: z.string().min(1),
    sources: z.array(sourceSchema).min(1),
    policy: policySchema.default(policySchema.parse({})),
    evidence: evidenceSchema.default(evidenceSchema.parse({})),
    /**
     * Folders (or files) outside the config file's folder tree that inputs may be read from, relative
     * to the config file. Every input (ruleset, export, owners or links file, key) must resolve,
     * symlinks followed, inside the config folder tree or one of these, or the run stops (exit 2).
     */
    inputRoots: z.array(z.string().min(1)).max(64).optional(),
    /** How large one run may get (docs/limits.md). */
    limits: z
      .object({
        /**
         * Most findings one run may produce; past it the scan stops before reserving anything
         * (exit 2). Default: from the process's heap (about one per 8 KiB of it).
         */
        maxFindings: z.number().int().positive().max(100_000_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.sources.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate source id "${s.id}"`,
          path: ['sources', i, 'id'],
        });
      seen.add(s.id);
    });
  });

export type AwsSource = z.infer<typeof awsSourceSchema>;
export type EntraSource = z.infer<typeof entraSourceSchema>;
export type SalesforceSource = z.infer<typeof salesforceSourceSchema>;
export type ErpSource = z.infer<typeof erpSourceSchema>;
export type SapSource = z.infer<typeof sapSourceSchema>;
export type HrSource = z.infer<typeof hrSourceSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type Policy = z.infer<typeof policySchema>;
export type ExceptionApprovers = z.infer<typeof exceptionApproversSchema>;
export type EvidenceConfig = z.infer<typeof evidenceSchema>;
export type Config = z.infer<typeof configSchema>;
