/**
 * Live mode: the Organizations policies that bound one account, read with the ambient (management
 * or delegated-administrator) credentials: DescribeOrganization (the management account),
 * ListParents from the account up to the root, and per policy type ListPolicies (paged),
 * DescribePolicy and ListTargetsForPolicy (paged). Every call is recorded in the call log. The
 * answers become the same export shape files mode reads (`organization-policies.ts`), so both modes
 * compute the account's levels with the same code.
 */

import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListParentsCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { appendAll } from '../../../core/arrays';
import type { CallLog } from '../../../core/connector';
import { SourceError } from '../../../core/errors';
import {
  type OrganizationExport,
  organizationExportSchema,
  RCP_TYPE,
  SCP_TYPE,
} from '../organization-policies';

const MAX_DEPTH = 10;

async function call<T>(calls: CallLog, operation: string, run: () => Promise<T>, records = 1): Promise<T> {
  try {
    const out = await run();
    calls.record(operation, { calls: 1, pages: 1, records });
    return out;
  } catch (err) {
    calls.record(operation, { calls: 1 });
    throw new SourceError(err instanceof Error ? err.message : String(err), { operation, cause: err });
  }
}

/** Policy type not enabled in the organization: nothing of that type applies. */
function notEnabled(err: unknown): boolean {
  const cause = (err as { cause?: { name?: string } }).cause;
  return cause?.name === 'PolicyTypeNotEnabledException';
}

/**
 * @example
 * const org = await readOrganizationPolicies(client, ctx.calls, '222222222222');
 * accountControls(org, '222222222222', { sourceId });
 */
export async function readOrganizationPolicies(
  client: OrganizationsClient,
  calls: CallLog,
  account: string,
): Promise<OrganizationExport> {
  const described = await call(calls, 'organizations:DescribeOrganization', () =>
    client.send(new DescribeOrganizationCommand({})),
  );
  const ous: { Id: string; ParentId: string }[] = [];
  const roots: { Id: string }[] = [];
  let child = account;
  let accountParent: string | undefined;
  for (let depth = 0; depth < MAX_DEPTH && roots.length === 0; depth++) {
    const out = await call(calls, 'organizations:ListParents', () =>
      client.send(new ListParentsCommand({ ChildId: child })),
    );
    const parent = out.Parents?.[0];
    if (!parent?.Id) break;
    if (child === account) accountParent = parent.Id;
    else ous.push({ Id: child, ParentId: parent.Id });
    if (parent.Type === 'ROOT') roots.push({ Id: parent.Id });
    child = parent.Id;
  }
  const policies: unknown[] = [];
  for (const type of [SCP_TYPE, RCP_TYPE]) {
    let token: string | undefined;
    const ids: string[] = [];
    try {
      do {
        const out = await call(calls, 'organizations:ListPolicies', () =>
          client.send(
            new ListPoliciesCommand({ Filter: type as never, ...(token ? { NextToken: token } : {}) }),
          ),
        );
        for (const p of out.Policies ?? []) if (p.Id) ids.push(p.Id);
        token = out.NextToken ?? undefined;
      } while (token);
    } catch (err) {
      if (type === RCP_TYPE && notEnabled(err)) continue;
      throw err;
    }
    for (const id of ids) {
      const policy = await call(calls, 'organizations:DescribePolicy', () =>
        client.send(new DescribePolicyCommand({ PolicyId: id })),
      );
      const targets: unknown[] = [];
      let next: string | undefined;
      do {
        const out = await call(calls, 'organizations:ListTargetsForPolicy', () =>
          client.send(
            new ListTargetsForPolicyCommand({ PolicyId: id, ...(next ? { NextToken: next } : {}) }),
          ),
        );
        appendAll(targets, out.Targets ?? []);
        next = out.NextToken ?? undefined;
      } while (next);
      policies.push({ Policy: policy.Policy, Targets: targets });
    }
  }
  const parsed = organizationExportSchema.safeParse({
    Organization: {
      MasterAccountId: described.Organization?.MasterAccountId,
      Id: described.Organization?.Id,
    },
    Roots: roots,
    OrganizationalUnits: ous,
    Accounts: accountParent ? [{ Id: account, ParentId: accountParent }] : [],
    Policies: policies,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(`unexpected Organizations answer at ${issue?.path.join('.')}: ${issue?.message}`, {
      operation: 'organizations:DescribePolicy',
    });
  }
  return parsed.data;
}
