/**
 * IAM Identity Center's two JSON 1.1 APIs: sso-admin (`SWBExternalService.*`: permission sets
 * provisioned to an account, their assignments) and identitystore (`AWSIdentityStore.*`: users,
 * groups, memberships). Lists are paged with NextToken; page size is a knob.
 */
import { randomBytes } from 'node:crypto';
import type { AwsRequest, AwsResponse } from './http-server';

export interface IdentityCenterData {
  instanceArn: string;
  identityStoreId: string;
  permissionSets: Array<{ arn: string; name: string; accounts: string[] }>;
  /** Account assignments: permission set ARN + account + USER/GROUP id. */
  assignments: Array<{ permissionSetArn: string; accountId: string; type: 'USER' | 'GROUP'; id: string }>;
  users: Array<{
    id: string;
    userName: string;
    displayName?: string;
    email?: string;
    status?: 'ENABLED' | 'DISABLED';
  }>;
  groups: Array<{ id: string; name: string; members: string[] }>;
  pageSize?: number;
}

export interface IdentityCenterImitation {
  ssoAdmin(req: AwsRequest): AwsResponse;
  identityStore(req: AwsRequest): AwsResponse;
  readonly tokens: string[];
}

type Body = Record<string, unknown>;

export function createIdentityCenterImitation(data: IdentityCenterData): IdentityCenterImitation {
  const tokens = new Map<string, number>();
  const json = (status: number, body: unknown): AwsResponse => ({
    status,
    contentType: 'application/x-amz-json-1.1',
    body: JSON.stringify(body),
  });
  const notFound = (what: string) =>
    json(400, { __type: 'ResourceNotFoundException', Message: `${what} not found` });

  function paged<T>(items: T[], body: Body, key: string, map: (t: T) => unknown): AwsResponse {
    const offset = typeof body.NextToken === 'string' ? (tokens.get(body.NextToken) ?? 0) : 0;
    const size = Math.min(data.pageSize ?? 100, Number(body.MaxResults ?? 100));
    const slice = items.slice(offset, offset + size);
    const out: Body = { [key]: slice.map(map) };
    if (offset + slice.length < items.length) {
      const next = randomBytes(16).toString('base64');
      tokens.set(next, offset + slice.length);
      out.NextToken = next;
    }
    return json(200, out);
  }

  const checkInstance = (body: Body) => body.InstanceArn === data.instanceArn;
  const checkStore = (body: Body) => body.IdentityStoreId === data.identityStoreId;

  return {
    get tokens() {
      return [...tokens.keys()];
    },
    ssoAdmin(req) {
      const body = (req.json ?? {}) as Body;
      const op = req.target?.split('.').pop();
      if (!checkInstance(body)) return notFound('instance');
      if (op === 'ListPermissionSetsProvisionedToAccount') {
        const sets = data.permissionSets.filter((p) => p.accounts.includes(String(body.AccountId)));
        return paged(sets, body, 'PermissionSets', (p) => p.arn);
      }
      if (op === 'DescribePermissionSet') {
        const p = data.permissionSets.find((x) => x.arn === body.PermissionSetArn);
        if (!p) return notFound('permission set');
        return json(200, {
          PermissionSet: {
            Name: p.name,
            PermissionSetArn: p.arn,
            CreatedDate: 1_700_000_000,
            SessionDuration: 'PT1H',
          },
        });
      }
      if (op === 'ListAccountAssignments') {
        const list = data.assignments.filter(
          (a) => a.accountId === body.AccountId && a.permissionSetArn === body.PermissionSetArn,
        );
        return paged(list, body, 'AccountAssignments', (a) => ({
          AccountId: a.accountId,
          PermissionSetArn: a.permissionSetArn,
          PrincipalType: a.type,
          PrincipalId: a.id,
        }));
      }
      return json(400, { __type: 'ValidationException', Message: `unknown ${op}` });
    },
    identityStore(req) {
      const body = (req.json ?? {}) as Body;
      const op = req.target?.split('.').pop();
      if (!checkStore(body)) return notFound('identity store');
      if (op === 'DescribeUser') {
        const u = data.users.find((x) => x.id === body.UserId);
        if (!u) return notFound('user');
        return json(200, {
          IdentityStoreId: data.identityStoreId,
          UserId: u.id,
          UserName: u.userName,
          ...(u.displayName ? { DisplayName: u.displayName } : {}),
          ...(u.email ? { Emails: [{ Value: u.email, Type: 'work', Primary: true }] } : {}),
          ...(u.status ? { UserStatus: u.status } : {}),
        });
      }
      if (op === 'DescribeGroup') {
        const g = data.groups.find((x) => x.id === body.GroupId);
        if (!g) return notFound('group');
        return json(200, { IdentityStoreId: data.identityStoreId, GroupId: g.id, DisplayName: g.name });
      }
      if (op === 'ListGroupMemberships') {
        const g = data.groups.find((x) => x.id === body.GroupId);
        if (!g) return notFound('group');
        return paged(g.members, body, 'GroupMemberships', (m) => ({
          IdentityStoreId: data.identityStoreId,
          MembershipId: `m-${g.id}-${m}`,
          GroupId: g.id,
          MemberId: { UserId: m },
        }));
      }
      return json(400, { __type: 'ValidationException', Message: `unknown ${op}` });
    },
  };
}
