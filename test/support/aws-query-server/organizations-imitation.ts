/**
 * Organizations' JSON 1.1 API: `ListAccounts`, paged with NextToken, with suspended and
 * pending-closure accounts mixed in as real organizations have them.
 */
import { randomBytes } from 'node:crypto';
import type { AwsRequest, AwsResponse } from './http-server';

export interface OrgAccount {
  id: string;
  name: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
}

export interface OrganizationsImitationOptions {
  accounts: OrgAccount[];
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
