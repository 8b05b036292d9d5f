/**
 * A local imitation of Microsoft Graph (v1.0 and beta) on 127.0.0.1 and a free port: collections
 * paged with `@odata.nextLink` (page size 1 by default, whatever `$top` asks), `$select`
 * projection, `$batch`, bearer-token checks, and switches for the failure answers the connector
 * must survive — 403 on `signInActivity` and on the sign-in reports, 429 with `Retry-After` on a
 * request or on `$batch` sub-requests.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTenant {
  users: Record<string, unknown>[];
  applications: Record<string, unknown>[];
  servicePrincipals: Record<string, unknown>[];
  servicePrincipalSignInActivities: Record<string, unknown>[];
  appCredentialSignInActivities: Record<string, unknown>[];
  /** `GET /v1.0/reports/authenticationMethods/userRegistrationDetails` (absent: an empty report). */
  userRegistrationDetails?: Record<string, unknown>[];
  /** `GET /v1.0/directory/deletedItems/microsoft.graph.user` (absent: none deleted). */
  deletedUsers?: Record<string, unknown>[];
  /** By `servicePrincipals/<id>` or `applications/<id>`. */
  owners: Record<string, Record<string, unknown>[]>;
  /** By service principal id. */
  appRoleAssignments: Record<string, Record<string, unknown>[]>;
  /** By service principal id. */
  appRoleAssignedTo: Record<string, Record<string, unknown>[]>;
  roleDefinitions: Record<string, unknown>[];
  roleAssignments: Record<string, unknown>[];
  oauth2PermissionGrants: Record<string, unknown>[];
  groups: Record<string, unknown>[];
  /** By group id. */
  transitiveMembers: Record<string, Record<string, unknown>[]>;
  /** By group id. */
  members: Record<string, Record<string, unknown>[]>;
}

export interface FakeGraphOptions {
  token: string;
  pageSize?: number;
  /** Answer 403 to `/users` when `$select` names `signInActivity` (no Entra ID P1/P2 licence). */
  signInActivityForbidden?: boolean;
  /** Answer 403 to the beta sign-in reports and to the MFA registration report (no P1/P2 licence). */
  reportsForbidden?: boolean;
  /** Paths (e.g. `/v1.0/users`) whose first request answers the documented 429 (`Retry-After: 2.128`). */
  throttleOnce?: string[];
  /** Per `$batch` sub-request URL path: answer 429 with this `Retry-After` the first N times. */
  batchThrottle?: { path: string; times: number; retryAfter: string }[];
  /** Answer every `$batch` POST with this body verbatim (e.g. the documented example). */
  batchBody?: unknown;
}

export interface LoggedRequest {
  method: string;
  url: string;
  authorized: boolean;
}

export interface FakeGraph {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  requests: LoggedRequest[];
  /** `$batch` sub-request URLs, in the order received. */
  subRequests: string[];
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const JSON_TYPE =
  'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** The documented 429 (status line, headers, body) from a fixture text file. */
export function readThrottlingSample(path: string): Answer {
  const [head, body] = splitOnce(readFileSync(path, 'utf8'));
  const lines = head.split(/\r?\n/);
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(lines[0] ?? '')?.[1] ?? 429);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).toLowerCase() !== 'content-length')
      headers[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return { status, headers, body: JSON.parse(body) };
}

function splitOnce(text: string): [string, string] {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return [text, ''];
  return [text.slice(0, m.index), text.slice(m.index + m[0].length)];
}

function graphError(status: number, code: string, message: string): Answer {
  return {
    status,
    headers: { 'Content-Type': 'application/json' },
    body: { error: { code, message, innerError: { date: '2026-10-01T00:00:00', 'request-id': 'fake' } } },
  };
}

function project(item: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return item;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (k === 'id' || k.startsWith('@odata.') || select.includes(k)) out[k] = v;
  }
  return out;
}

/**
 * @example
 * const graph = await startFakeGraph(tenant, { token: 'fake-token', pageSize: 1 });
 * // point the connector at graph.baseUrl with an auth provider returning 'fake-token'
 * await graph.stop();
 */
export async function startFakeGraph(
  tenant: FakeTenant,
  options: FakeGraphOptions,
  throttlingSample?: Answer,
): Promise<FakeGraph> {
  const pageSize = options.pageSize ?? 1;
  const requests: LoggedRequest[] = [];
  const subRequests: string[] = [];
  const throttled = new Set<string>();
  const batchThrottleLeft = new Map((options.batchThrottle ?? []).map((t) => [t.path, t.times]));
  let baseUrl = '';

  function collection(version: string, path: string): Record<string, unknown>[] | Answer | undefined {
    const v1 = version === 'v1.0';
    if (version === 'beta' && path === '/reports/servicePrincipalSignInActivities') {
      return options.reportsForbidden
        ? graphError(
            403,
            'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
            "Tenant doesn't have premium license",
          )
        : tenant.servicePrincipalSignInActivities;
    }
    if (version === 'beta' && path === '/reports/appCredentialSignInActivities') {
      return options.reportsForbidden
        ? graphError(
            403,
            'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
            "Tenant doesn't have premium license",
          )
        : tenant.appCredentialSignInActivities;
    }
    if (!v1) return undefined;
    if (path === '/reports/authenticationMethods/userRegistrationDetails') {
      return options.reportsForbidden
        ? graphError(
            403,
            'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
            "Tenant doesn't have premium license",
          )
        : (tenant.userRegistrationDetails ?? []);
    }
    const fixed: Record<string, Record<string, unknown>[]> = {
      '/users': tenant.users,
      '/directory/deletedItems/microsoft.graph.user': tenant.deletedUsers ?? [],
      '/applications': tenant.applications,
      '/servicePrincipals': tenant.servicePrincipals,
      '/roleManagement/directory/roleDefinitions': tenant.roleDefinitions,
      '/roleManagement/directory/roleAssignments': tenant.roleAssignments,
      '/oauth2PermissionGrants': tenant.oauth2PermissionGrants,
      '/groups': tenant.groups,
    };
    if (fixed[path]) return fixed[path];
    const m = /^\/(servicePrincipals|applications|groups)\/([^/]+)\/([A-Za-z]+)$/.exec(path);
    if (!m) return undefined;
    const [, kind, rawId, relation] = m as unknown as [string, string, string, string];
    // Graph decodes the id segment: `sp%2F..%2Fx` names the object whose id is `sp/../x`.
    const id = decodeURIComponent(rawId);
    const known =
      kind === 'groups'
        ? tenant.groups.some((g) => g.id === id)
        : kind === 'servicePrincipals'
          ? tenant.servicePrincipals.some((s) => s.id === id)
          : tenant.applications.some((a) => a.id === id);
    if (!known) return graphError(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist.`);
    if (relation === 'owners' && kind !== 'groups') return tenant.owners[`${kind}/${id}`] ?? [];
    if (kind === 'servicePrincipals' && relation === 'appRoleAssignments')
      return tenant.appRoleAssignments[id] ?? [];
    if (kind === 'servicePrincipals' && relation === 'appRoleAssignedTo')
      return tenant.appRoleAssignedTo[id] ?? [];
    if (kind === 'groups' && relation === 'transitiveMembers') return tenant.transitiveMembers[id] ?? [];
    if (kind === 'groups' && relation === 'members') return tenant.members[id] ?? [];
    return undefined;
  }

  /** Answer one GET (a request or a `$batch` sub-request); `url` is `/v1.0/…?…`. */
  function get(url: string): Answer {
    const u = new URL(url, 'http://graph.local');
    const [, version = '', ...rest] = u.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const select = u.searchParams.get('$select')?.split(',');
    if (
      version === 'v1.0' &&
      path === '/users' &&
      options.signInActivityForbidden &&
      select?.includes('signInActivity')
    ) {
      return graphError(
        403,
        'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
        "Neither tenant is B2C or tenant doesn't have premium license",
      );
    }
    const items = collection(version, path);
    if (items === undefined)
      return graphError(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
    if (!Array.isArray(items)) return items;
    const offset = Number(Buffer.from(u.searchParams.get('$skiptoken') ?? 'MA', 'base64url').toString() || 0);
    const size = Math.min(pageSize, Number(u.searchParams.get('$top') ?? pageSize));
    const page = items.slice(offset, offset + size).map((i) => project(i, select));
    const body: Record<string, unknown> = {
      '@odata.context': `${baseUrl}/${version}/$metadata#${path.slice(1)}`,
      value: page,
    };
    if (offset + size < items.length) {
      const next = new URL(u.pathname + u.search, baseUrl);
      next.searchParams.set('$skiptoken', Buffer.from(String(offset + size)).toString('base64url'));
      // Graph writes `$` literally in nextLinks; URLSearchParams would escape it.
      body['@odata.nextLink'] = next.toString().replace(/%24/g, '$').replace(/%2C/gi, ',');
    }
    return { status: 200, headers: { 'Content-Type': JSON_TYPE }, body };
  }

  function batch(body: unknown): Answer {
    if (options.batchBody !== undefined)
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: options.batchBody };
    const requests = (body as { requests?: { id: string; method: string; url: string }[] }).requests ?? [];
    if (requests.length > 20)
      return graphError(400, 'BadRequest', 'A maximum of 20 requests is allowed per batch');
    const responses = requests.map((r) => {
      subRequests.push(r.url);
      const path = r.url.split('?')[0] ?? '';
      const left = batchThrottleLeft.get(path) ?? 0;
      if (left > 0) {
        batchThrottleLeft.set(path, left - 1);
        const t = options.batchThrottle!.find((x) => x.path === path)!;
        const e = graphError(429, 'TooManyRequests', 'Please retry again later.');
        return {
          id: r.id,
          status: 429,
          headers: { 'Retry-After': t.retryAfter, 'Content-Type': 'application/json' },
          body: e.body,
        };
      }
      const a = get(`/v1.0${r.url}`);
      return { id: r.id, status: a.status, headers: a.headers, body: a.body };
    });
    // Graph may answer sub-requests in any order.
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: { responses: responses.reverse() },
    };
  }

  function send(res: ServerResponse, a: Answer): void {
    res.writeHead(a.status, a.headers);
    res.end(JSON.stringify(a.body));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = req.url ?? '/';
    const authorized = req.headers.authorization === `Bearer ${options.token}`;
    requests.push({ method: req.method ?? 'GET', url, authorized });
    if (!authorized)
      return send(res, graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.'));
    const path = url.split('?')[0] ?? '';
    if (options.throttleOnce?.includes(path) && !throttled.has(path)) {
      throttled.add(path);
      return send(res, throttlingSample ?? graphError(429, 'TooManyRequests', 'Please retry again later.'));
    }
    if (req.method === 'POST' && /^\/(v1\.0|beta)\/\$batch$/.test(path)) {
      return send(res, batch(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')));
    }
    if (req.method !== 'GET') return send(res, graphError(405, 'Request_BadRequest', 'Method not allowed'));
    return send(res, get(url));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, graphError(500, 'InternalServerError', String(err))));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    requests,
    subRequests,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
