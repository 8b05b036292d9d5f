/**
 * Plan-time expansion of an Organization source: `organizations:ListAccounts` (every page), the
 * ACTIVE accounts only, one source per account. Each account then has its own snapshot, status and
 * findings, and an account whose role cannot be assumed is that account's failed source with the
 * reason — never a silent skip.
 */
import {
  type Account,
  ListAccountsCommand,
  type ListAccountsCommandOutput,
  type OrganizationsClient,
} from '@aws-sdk/client-organizations';
import type { AwsSource } from '../../../core/config';
import { type CallLog, type Logger, silentLogger } from '../../../core/connector';
import { InputError, SourceError } from '../../../core/errors';
import { type ClientOptions, organizationsClient } from './aws-clients';
import { attemptsOf, describeAwsError } from './recorded-call';

export const LIST_ACCOUNTS_OPERATION = 'organizations:ListAccounts';
const SOURCE_ID_MAX = 63;

export interface OrganizationPlanDeps {
  /** A ready client (tests); otherwise built from the source's region/endpoints and `client`. */
  organizations?: OrganizationsClient;
  client?: ClientOptions;
  /** Where the ListAccounts calls are recorded, when the caller keeps a log for the plan. */
  calls?: CallLog;
  logger?: Logger;
}

export type PlannedAwsAccountSource = AwsSource & { accountId: string };

function isActive(a: Account): boolean {
  // `State` replaced `Status` in 2025; accounts listed by older endpoints carry only `Status`.
  return (a.State ?? a.Status) === 'ACTIVE';
}

/**
 * One source per ACTIVE member account (or per account listed in `accounts`), with id
 * `<source id>-<account id>`, `accountId`, and `roleArn` = the account's `memberRoleName` role, to
 * be assumed with the source's `externalId`. The management account is included like any other:
 * the reader role must exist there too (service-managed StackSets do not deploy to it).
 *
 * @throws SourceError when ListAccounts fails (operation and page in the message)
 * @example
 * const sources = await planAwsOrganizationSources(orgSource, {});
 * // [{ id: 'aws-org-111111111111', accountId: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/AccessProofReader', … }]
 */
export async function planAwsOrganizationSources(
  source: AwsSource,
  deps: OrganizationPlanDeps = {},
): Promise<PlannedAwsAccountSource[]> {
  if (!source.organization)
    throw new InputError('not an organization source', { field: `sources.${source.id}` });
  const longest = `${source.id}-123456789012`;
  if (longest.length > SOURCE_ID_MAX)
    throw new InputError(
      `an organization source id must leave room for "-<account id>" (at most ${SOURCE_ID_MAX - 13} characters)`,
      { field: `sources.${source.id}.id` },
    );
  const logger = deps.logger ?? silentLogger;
  const client = deps.organizations ?? organizationsClient(source, deps.client ?? {});
  const accounts: Account[] = [];
  let token: string | undefined;
  let page = 0;
  do {
    page += 1;
    let out: ListAccountsCommandOutput;
    try {
      out = await client.send(new ListAccountsCommand({ ...(token ? { NextToken: token } : {}) }));
    } catch (err) {
      deps.calls?.record(LIST_ACCOUNTS_OPERATION, { calls: attemptsOf(err) });
      throw new SourceError(describeAwsError(err), { operation: LIST_ACCOUNTS_OPERATION, page, cause: err });
    }
    deps.calls?.record(LIST_ACCOUNTS_OPERATION, {
      calls: attemptsOf(out),
      pages: 1,
      records: out.Accounts?.length ?? 0,
    });
    accounts.push(...(out.Accounts ?? []));
    token = out.NextToken ?? undefined;
  } while (token);

  const active = accounts.filter((a) => a.Id && isActive(a));
  let chosen: Array<{ id: string; partition: string }> = active.map((a) => ({
    id: a.Id as string,
    partition: partitionOfArn(a.Arn),
  }));
  if (source.accounts) {
    const wanted = new Set(source.accounts);
    const found = new Set(chosen.map((a) => a.id));
    chosen = chosen.filter((a) => wanted.has(a.id));
    // A listed account that is not active stays in the plan: it fails visibly with AWS's reason.
    for (const id of source.accounts) {
      if (found.has(id)) continue;
      logger.warn('listed account is not an active account of the organization', { sourceId: source.id, id });
      chosen.push({ id, partition: chosen[0]?.partition ?? partitionOfArn(active[0]?.Arn) });
    }
  }
  chosen.sort((a, b) => a.id.localeCompare(b.id));
  logger.info('organization expanded', {
    sourceId: source.id,
    listed: accounts.length,
    active: active.length,
    planned: chosen.length,
  });
  return chosen.map(({ id, partition }) => ({
    ...source,
    id: `${source.id}-${id}`,
    accountId: id,
    roleArn: `arn:${partition}:iam::${id}:role/${source.memberRoleName.replace(/^\/+/, '')}`,
    organization: false,
  }));
}

function partitionOfArn(arn: string | undefined): string {
  return arn?.split(':')[1] || 'aws';
}
