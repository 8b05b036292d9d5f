/**
 * Organizations' JSON 1.1 API: `ListAccounts`, paged with NextToken, with suspended and
 * pending-closure accounts mixed in as real organizations have them; and, when a `tree` is given,
 * the policy reads (`DescribeOrganization`, `ListParents`, `ListPolicies`, `DescribePolicy`,
 * `ListTargetsForPolicy`, one-item pages so paging is exercised).
 */
import { randomBytes } from 'node:crypto';
import type { AwsRequest, AwsResponse } from './http-server';

export interface OrgAccount {
  id: string;
  name: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
}

/** The OU tree and its policies. */
export interface OrgTree {
  managementAccountId: string;
  rootId: string;
  /** Child (account or OU id) → parent id. */
  parents: Record<string, string>;
  policies: Array<{
    id: string;
    name: string;
    type: 'SERVICE_CONTROL_POLICY' | 'RESOURCE_CONTROL_POLICY';
    content: string;
    targets: string[];
  }>;
  /** ListPolicies of RCPs answers PolicyTypeNotEnabledException. */
  rcpsDisabled?: boolean;
}

export interface OrganizationsImitationOptions {
  accounts: OrgAccount[];
  tree?: OrgTree;
  /** Accounts per ListAccounts page (capped by MaxResults). */
  pageSize?: number;
  /** Answer TooManyRequestsException this many times first. */
  throttle?: number;
  /** Answer AccessDeniedException from this page (1-based, throttled requests not counted) on. */
  denyFromPage?: number;
}

export interface OrganizationsImitation {
  handle(req: AwsRequest): AwsResponse;
  readonly tokens: string[];
}

export function createOrganizationsImitation(options: OrganizationsImitationOptions): OrganizationsImitation {
  const tokens = new Map<string, number>();
  let throttle = options.throttle ?? 0;
  let served = 0;
  const json = (status: number, body: unknown): AwsResponse => ({
    status,
    contentType: 'application/x-amz-json-1.1',
    body: JSON.stringify(body),
  });

  return {
    get tokens() {
      return [...tokens.keys()];
    },
    handle(req) {
      if (options.tree && req.target !== 'AWSOrganizationsV20161128.ListAccounts') {
        return treeAnswer(options.tree, req, json, tokens);
      }
      if (req.target !== 'AWSOrganizationsV20161128.ListAccounts')
        return json(400, { __type: 'InvalidInputException', Message: `unknown ${req.target}` });
      if (throttle > 0) {
        throttle -= 1;
        return json(400, { __type: 'TooManyRequestsException', Message: 'Rate exceeded' });
      }
      served += 1;
      if (options.denyFromPage !== undefined && served >= options.denyFromPage)
        return json(400, {
          __type: 'AccessDeniedException',
          Message: "You don't have permissions to access this resource.",
        });
      const body = (req.json ?? {}) as { NextToken?: string; MaxResults?: number };
      let offset = 0;
      if (body.NextToken) {
        const at = tokens.get(body.NextToken);
        if (at === undefined) return json(400, { __type: 'InvalidInputException', Message: 'bad NextToken' });
        offset = at;
      }
      const size = Math.min(options.pageSize ?? 20, body.MaxResults ?? 20);
      const slice = options.accounts.slice(offset, offset + size);
      const out: Record<string, unknown> = {
        Accounts: slice.map((a) => ({
          Id: a.id,
          Arn: `arn:aws:organizations::111111111111:account/o-imitation/${a.id}`,
          Email: `aws+${a.id}@example.com`,
          Name: a.name,
          Status: a.status,
          State:
            a.status === 'ACTIVE' ? 'ACTIVE' : a.status === 'SUSPENDED' ? 'SUSPENDED' : 'PENDING_CLOSURE',
          JoinedMethod: 'CREATED',
          JoinedTimestamp: 1_700_000_000,
        })),
      };
      if (offset + slice.length < options.accounts.length) {
        const next = randomBytes(18).toString('base64');
        tokens.set(next, offset + slice.length);
        out.NextToken = next;
      }
      return json(200, out);
    },
  };
}

const kindOf = (id: string) =>
  id.startsWith('r-') ? 'ROOT' : id.startsWith('ou-') ? 'ORGANIZATIONAL_UNIT' : 'ACCOUNT';

function treeAnswer(
  tree: OrgTree,
  req: AwsRequest,
  json: (status: number, body: unknown) => AwsResponse,
  tokens: Map<string, number>,
): AwsResponse {
  const body = (req.json ?? {}) as Record<string, string | undefined>;
  const arnOf = (p: OrgTree['policies'][number]) =>
    `arn:aws:organizations::${tree.managementAccountId}:policy/o-imitation/${p.type.toLowerCase()}/${p.id}`;
  // One item per page: the reader must follow NextToken.
  const page = <T>(items: T[], key: string): AwsResponse => {
    const offset = body.NextToken ? tokens.get(body.NextToken) : 0;
    if (offset === undefined) return json(400, { __type: 'InvalidInputException', Message: 'bad NextToken' });
    const out: Record<string, unknown> = { [key]: items.slice(offset, offset + 1) };
    if (offset + 1 < items.length) {
      const next = randomBytes(18).toString('base64');
      tokens.set(next, offset + 1);
      out.NextToken = next;
    }
    return json(200, out);
  };
  switch (req.target?.split('.')[1]) {
    case 'DescribeOrganization':
      return json(200, {
        Organization: { Id: 'o-imitation', MasterAccountId: tree.managementAccountId, FeatureSet: 'ALL' },
      });
    case 'ListParents': {
      const parent = tree.parents[body.ChildId ?? ''];
      if (!parent) return json(400, { __type: 'ChildNotFoundException', Message: 'no such child' });
      return json(200, { Parents: [{ Id: parent, Type: kindOf(parent) }] });
    }
    case 'ListPolicies': {
      if (body.Filter === 'RESOURCE_CONTROL_POLICY' && tree.rcpsDisabled)
        return json(400, { __type: 'PolicyTypeNotEnabledException', Message: 'not enabled' });
      const list = tree.policies
        .filter((p) => p.type === body.Filter)
        .map((p) => ({ Id: p.id, Arn: arnOf(p), Name: p.name, Type: p.type, AwsManaged: false }));
      return page(list, 'Policies');
    }
    case 'DescribePolicy': {
      const p = tree.policies.find((x) => x.id === body.PolicyId);
      if (!p) return json(400, { __type: 'PolicyNotFoundException', Message: 'no such policy' });
      return json(200, {
        Policy: {
          PolicySummary: { Id: p.id, Arn: arnOf(p), Name: p.name, Type: p.type, AwsManaged: false },
          Content: p.content,
        },
      });
    }
    case 'ListTargetsForPolicy': {
      const p = tree.policies.find((x) => x.id === body.PolicyId);
      if (!p) return json(400, { __type: 'PolicyNotFoundException', Message: 'no such policy' });
      return page(
        p.targets.map((t) => ({
          TargetId: t,
          Type: kindOf(t),
          Name: t,
          Arn: `arn:aws:organizations::x:${t}`,
        })),
        'Targets',
      );
    }
    default:
      return json(400, { __type: 'InvalidInputException', Message: `unknown ${req.target}` });
  }
}
