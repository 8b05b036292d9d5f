/**
 * AWS Organizations policies (SCPs and RCPs) for one account: the OU tree, the policies and where
 * they are attached, as an export in files mode (`files.organizationPolicies`) or as read live.
 *
 * The export is the Organizations API's own answers put together (docs/connectors/aws-iam.md):
 * `Organization` (DescribeOrganization), `Roots` (ListRoots), `OrganizationalUnits` (each with its
 * `ParentId`, from ListOrganizationalUnitsForParent), `Accounts` (each with its `ParentId`, from
 * ListParents) and `Policies`: per policy, DescribePolicy's `Policy` and ListTargetsForPolicy's
 * `Targets`.
 *
 * An account's effective SCPs are levels, root first, then each OU down to the account itself: an
 * action must be allowed by some policy at every level. The management account is not affected by
 * SCPs or RCPs.
 */
import * as z from 'zod';
import { InputError } from '../../core/errors';
import { type Entitlement, makeUid } from '../../core/model';
import type { ControlPolicyLevel } from '../../core/snapshot';
import { parseJsonExport } from '../shared/json-text';
import { fieldPath, policyDocumentSchema } from './authorization-details';
import { EVALUATED, type OrganizationControls } from './evaluation';
import { toControlStatements, toPolicyStatements } from './policy-statements';

const accountId = z.string().regex(/^\d{12}$/, '12 digits');
export const SCP_TYPE = 'SERVICE_CONTROL_POLICY';
/** What the header says of RCPs when some are attached (core/sod/principal-iam.ts evaluates them). */
export const RCP_EVALUATED =
  'evaluated: their Deny statements, on resources whose ARN names this account (an S3 bucket ARN names none: not bounded); conditions are not';
export const RCP_TYPE = 'RESOURCE_CONTROL_POLICY';

const targetSchema = z.looseObject({
  TargetId: z.string().min(1),
  Type: z.enum(['ROOT', 'ORGANIZATIONAL_UNIT', 'ACCOUNT']).optional(),
  Name: z.string().optional(),
});

const policySchema = z.looseObject({
  Policy: z.looseObject({
    PolicySummary: z.looseObject({
      Id: z.string().min(1),
      Arn: z.string().startsWith('arn:'),
      Name: z.string().min(1),
      Type: z.string(),
      AwsManaged: z.boolean().optional(),
    }),
    Content: policyDocumentSchema,
  }),
  Targets: z.array(targetSchema),
});

export const organizationExportSchema = z.looseObject({
  Organization: z.looseObject({ MasterAccountId: accountId, Id: z.string().optional() }),
  Roots: z.array(z.looseObject({ Id: z.string().min(1), Name: z.string().optional() })).min(1),
  OrganizationalUnits: z
    .array(z.looseObject({ Id: z.string().min(1), Name: z.string().optional(), ParentId: z.string().min(1) }))
    .default([]),
  Accounts: z.array(
    z.looseObject({ Id: accountId, Name: z.string().optional(), ParentId: z.string().min(1) }),
  ),
  Policies: z.array(policySchema),
});

export type OrganizationExport = z.output<typeof organizationExportSchema>;
export type DescribedPolicy = OrganizationExport['Policies'][number];

/**
 * @throws InputError naming the file and the field (`Policies[2].Policy.Content`)
 * @example
 * const org = parseOrganizationExport(await readFile('org/policies.json', 'utf8'), 'org/policies.json');
 */
export function parseOrganizationExport(text: string, file: string): OrganizationExport {
  const raw = parseJsonExport(text, file);
  const parsed = organizationExportSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue?.message ?? 'invalid organization export', {
      file,
      field: fieldPath(issue?.path ?? []),
    });
  }
  return parsed.data;
}

export interface AccountControls {
  controls: OrganizationControls;
  /** The SCP and RCP entitlements the levels name (nothing else of the organization). */
  entitlements: Entitlement[];
  warnings: string[];
}

/** Root → OUs → the account: the ids of the nodes whose policies apply, or undefined when unknown. */
export function pathOf(org: OrganizationExport, account: string): string[] | undefined {
  const parent = new Map<string, string>();
  for (const ou of org.OrganizationalUnits) parent.set(ou.Id, ou.ParentId);
  const entry = org.Accounts.find((a) => a.Id === account);
  if (!entry) return undefined;
  const roots = new Set(org.Roots.map((r) => r.Id));
  const path = [account];
  let at: string | undefined = entry.ParentId;
  // The tree is at most five OUs deep; the bound also stops a cycle in a hand-made export.
  for (let depth = 0; at !== undefined && depth < 10; depth++) {
    path.unshift(at);
    if (roots.has(at)) return path;
    at = parent.get(at);
  }
  return undefined;
}

/**
 * The effective SCP and RCP levels of `account` and the policy entitlements they name.
 *
 * @example
 * const { controls, entitlements } = accountControls(org, '222222222222', { sourceId: 'aws-prod' });
 * controls.serviceControlLevels?.map((l) => l.target); // ['r-ab12', 'ou-ab12-pay', '222222222222']
 */
export function accountControls(
  org: OrganizationExport,
  account: string,
  opts: { sourceId: string },
): AccountControls {
  if (account === org.Organization.MasterAccountId) {
    const exempt = 'exempt (management account: SCPs and RCPs do not apply to it)';
    return { controls: { scpStatus: exempt, rcpStatus: exempt }, entitlements: [], warnings: [] };
  }
  const path = pathOf(org, account);
  if (!path) {
    const why = `not evaluated (account ${account} is not in the organization's tree)`;
    return {
      controls: { scpStatus: why, rcpStatus: why },
      entitlements: [],
      warnings: [
        `account ${account} is not under a root of the organization export: its SCPs and RCPs are unknown`,
      ],
    };
  }
  const entitlements = new Map<string, Entitlement>();
  const warnings: string[] = [];
  const levels = (type: string): ControlPolicyLevel[] =>
    path.map((target) => {
      const policies = org.Policies.filter(
        (p) => p.Policy.PolicySummary.Type === type && p.Targets.some((t) => t.TargetId === target),
      );
      if (policies.length === 0 && type === SCP_TYPE) {
        warnings.push(
          `no SCP is attached at ${target} in the organization export (AWS requires one): that level is not evaluated`,
        );
      }
      return {
        target,
        policies: policies.map((p) => {
          const e = policyEntitlement(p, account, opts.sourceId, type);
          entitlements.set(e.uid, e);
          return e.uid;
        }),
      };
    });
  const scp = levels(SCP_TYPE).filter((l) => l.policies.length > 0);
  const rcp = levels(RCP_TYPE).filter((l) => l.policies.length > 0);
  return {
    controls: {
      scpStatus: EVALUATED,
      rcpStatus: rcp.length > 0 ? RCP_EVALUATED : 'none attached',
      serviceControlLevels: scp,
      resourceControlLevels: rcp,
    },
    entitlements: [...entitlements.values()],
    warnings,
  };
}

function policyEntitlement(p: DescribedPolicy, account: string, sourceId: string, type: string): Entitlement {
  const summary = p.Policy.PolicySummary;
  return {
    uid: makeUid('aws', account, summary.Arn),
    system: 'aws',
    tenant: account,
    sourceId,
    nativeId: summary.Arn,
    type: type === SCP_TYPE ? 'service-control-policy' : 'resource-control-policy',
    name: summary.Name,
    // A control policy grants nothing: it only bounds what identity policies allow.
    privileged: false,
    permissions: [],
    // RCP statements name `Principal: "*"`: they apply to every caller (toControlStatements).
    statements:
      type === SCP_TYPE ? toPolicyStatements(p.Policy.Content) : toControlStatements(p.Policy.Content),
  };
}
