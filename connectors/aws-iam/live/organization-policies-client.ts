/**
 * Live mode: the Organizations policies that bound one account, read with the ambient (management
 * or delegated-administrator) credentials: DescribeOrganization (the management account),
 * ListParents from the account up to the root, and per policy type ListPolicies (paged),
 * DescribePolicy and ListTargetsForPolicy (paged). Every call is recorded in the call log. The
 * answers become the same export shape files mode reads (`organization-policies.ts`), so both modes
 * compute the account's levels with the same code.
 *
 * What is the same for every account of the organization (DescribeOrganization, the policies and
 * their targets, an OU's parent) is read once per run and shared by the run's sources through an
 * `OrganizationRunCache` (process memory, keyed by run and endpoint): a run over 200 accounts reads
 * each policy once, not 200 times. A cold process (another Lambda environment) reads again, so
 * correctness never rests on the cache; the call log records what came from it (`from: run-cache`).
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

/** What one run read of the organization: org-wide answers, and each child's parent. */
interface RunEntry {
  orgWide?: Promise<OrgWide>;
  parents: Map<string, Promise<Parent | undefined>>;
}

interface OrgWide {
  organization: { MasterAccountId?: string | undefined; Id?: string | undefined };
  /** `{ Policy, Targets }` per policy, SCPs then RCPs. */
  policies: unknown[];
}

interface Parent {
  Id: string;
  Type?: string | undefined;
}

/** Runs kept at once: a warm Lambda environment may serve the tail of one run and the next. */
const RUNS_KEPT = 4;

/**
 * Organization answers shared by the sources of one run (see the module comment).
 *
 * @example
 * const cache = new OrganizationRunCache();
 * await readOrganizationPolicies(client, ctx.calls, account, cache.entry(`${ctx.run}|${endpoint}`));
 */
export class OrganizationRunCache {
  private readonly runs = new Map<string, RunEntry>();

  entry(key: string): RunEntry {
    let e = this.runs.get(key);
    if (!e) {
      e = { parents: new Map() };
      this.runs.set(key, e);
      while (this.runs.size > RUNS_KEPT) this.runs.delete(this.runs.keys().next().value as string);
    }
    return e;
  }
}

/** A cached promise, dropped again when it fails (the next source then asks Organizations itself). */
function shared<T>(
  get: () => Promise<T> | undefined,
  set: (p: Promise<T> | undefined) => void,
  load: () => Promise<T>,
) {
  const hit = get();
  if (hit) return { promise: hit, cached: true };
  const promise = load();
  set(promise);
  promise.catch(() => set(undefined));
  return { promise, cached: false };
}

async function readOrgWide(client: OrganizationsClient, calls: CallLog): Promise<OrgWide> {
  const described = await call(calls, 'organizations:DescribeOrganization', () =>
    client.send(new DescribeOrganizationCommand({})),
  );
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
  return {
    organization: {
      MasterAccountId: described.Organization?.MasterAccountId,
      Id: described.Organization?.Id,
    },
    policies,
  };
}

/**
 * @param cache the run's shared answers; without it every call is made for this account.
 * @example
 * const org = await readOrganizationPolicies(client, ctx.calls, '222222222222', cache.entry(key));
 * accountControls(org, '222222222222', { sourceId });
 */
export async function readOrganizationPolicies(
  client: OrganizationsClient,
  calls: CallLog,
  account: string,
  cache: RunEntry = { parents: new Map() },
): Promise<OrganizationExport> {
  const org = shared(
    () => cache.orgWide,
    (p) => {
      if (p) cache.orgWide = p;
      else delete cache.orgWide;
    },
    () => readOrgWide(client, calls),
  );
  const wide = await org.promise;
  if (org.cached) {
    calls.record('organizations:DescribeOrganization', { records: 1 }, { from: 'run-cache' });
    calls.record('organizations:DescribePolicy', { records: wide.policies.length }, { from: 'run-cache' });
  }
  const ous: { Id: string; ParentId: string }[] = [];
  const roots: { Id: string }[] = [];
  let child = account;
  let accountParent: string | undefined;
  let fromCache = 0;
  for (let depth = 0; depth < MAX_DEPTH && roots.length === 0; depth++) {
    const at = child;
    const read = shared(
      () => cache.parents.get(at),
      (p) => {
        if (p) cache.parents.set(at, p);
        else cache.parents.delete(at);
      },
      async () => {
        const out = await call(calls, 'organizations:ListParents', () =>
          client.send(new ListParentsCommand({ ChildId: at })),
        );
        const p = out.Parents?.[0];
        return p?.Id ? { Id: p.Id, Type: p.Type } : undefined;
      },
    );
    const parent = await read.promise;
    if (read.cached) fromCache += 1;
    if (!parent) break;
    if (child === account) accountParent = parent.Id;
    else ous.push({ Id: child, ParentId: parent.Id });
    if (parent.Type === 'ROOT') roots.push({ Id: parent.Id });
    child = parent.Id;
  }
  if (fromCache > 0) calls.record('organizations:ListParents', { records: fromCache }, { from: 'run-cache' });
  const parsed = organizationExportSchema.safeParse({
    Organization: wide.organization,
    Roots: roots,
    OrganizationalUnits: ous,
    Accounts: accountParent ? [{ Id: account, ParentId: accountParent }] : [],
    Policies: wide.policies,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SourceError(`unexpected Organizations answer at ${issue?.path.join('.')}: ${issue?.message}`, {
      operation: 'organizations:DescribePolicy',
    });
  }
  return parsed.data;
}
