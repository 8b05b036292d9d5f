import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { policySchema } from '../../../core/config';
import { InventoryBuilder } from '../../../core/inventory';
import { evaluateRules } from '../../../core/rules';
import {
  buildTestTenant,
  CANARIES,
  IDS,
  PUBLIC_DIR,
  TENANT_ID,
  testSource,
  writeTenantFiles,
} from '../../fixtures/entra/test-tenant';
import { makeHeader, makePrincipal } from '../../support/factories';
import { type FakeGraph, type FakeGraphOptions, readThrottlingSample, startFakeGraph } from './fake-graph';
import { capturingLogger, collect, fakeTokenProvider, findingsOf, MemoryStaging, recordsOf } from './harness';

const TOKEN = 'fake-graph-token-2f9c';
const uid = (id: string) => `entra:${TENANT_ID}:${id}`;

let graph: FakeGraph | undefined;
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await graph?.stop();
  graph = undefined;
});

async function serve(options: Partial<FakeGraphOptions> = {}) {
  const sample = readThrottlingSample(join(PUBLIC_DIR, 'throttling-429-example.txt'));
  graph = await startFakeGraph(buildTestTenant(), { token: TOKEN, pageSize: 1, ...options }, sample);
  return graph;
}

const apiSource = (g: FakeGraph, extra: Record<string, unknown> = {}) =>
  testSource({ graphBaseUrl: g.baseUrl, ...extra });
const auth = { authProvider: fakeTokenProvider(TOKEN) };

/** Let the event loop run (I/O, not timers) until `done` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !done(); i++) await new Promise((r) => setImmediate(r));
  if (!done()) throw new Error('condition never held');
}

describe('Entra connector against a local Graph imitation', () => {
  it('pages with page size 1 through every collection and gives the same records as the saved responses', async () => {
    // Arrange
    const g = await serve();
    const dir = mkdtempSync(join(tmpdir(), 'entra-eq-'));
    writeTenantFiles(buildTestTenant(), dir);

    // Act
    const api = await collect({ source: apiSource(g), connector: auth });
    const files = await collect({ source: testSource({ files: { dir } }) });
    rmSync(dir, { recursive: true, force: true });

    // Assert: same facts (order follows page boundaries, so compare as sets)
    expect(api.outcome.status).toBe('complete');
    expect([...api.lines].sort()).toEqual([...files.lines].sort());
    expect(api.header).toMatchObject({ mode: 'api', complete: true, warnings: files.header?.warnings });
    expect(g.requests.every((r) => r.authorized)).toBe(true);
    expect(g.requests.filter((r) => r.url.startsWith('/v1.0/users?')).length).toBe(7);
    expect(g.requests.some((r) => r.url.startsWith('/beta/reports/servicePrincipalSignInActivities'))).toBe(
      true,
    );
    const users = api.header?.queries.find((q) => q.operation === 'GET /v1.0/users');
    expect(users).toEqual({
      operation: 'GET /v1.0/users',
      params: {
        $select:
          'id,displayName,userPrincipalName,mail,employeeId,userType,accountEnabled,createdDateTime,signInActivity',
        $top: '500',
      },
      calls: 7,
      pages: 7,
      records: 7,
    });
    expect(api.header?.calls).toBe(api.header?.queries.reduce((n, q) => n + q.calls, 0));
  });

  it('asks per-object collections in $batch of at most 20 and follows their nextLinks', async () => {
    // Arrange
    const g = await serve();

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert
    const batches = g.requests.filter((r) => r.method === 'POST' && r.url === '/v1.0/$batch');
    expect(batches.length).toBeGreaterThan(0);
    expect(g.subRequests.filter((u) => u.includes('/appRoleAssignments')).length).toBe(8);
    // Legacy Reporting has two owners: the second comes from the sub-response's nextLink.
    expect(
      g.requests.some(
        (r) =>
          r.url.startsWith(`/v1.0/servicePrincipals/${IDS.legacySp}/owners?`) && r.url.includes('$skiptoken'),
      ),
    ).toBe(true);
    const legacy = recordsOf(c.lines).principals.find((p) => p.nativeId === IDS.legacySp);
    expect(legacy?.owners).toEqual([uid(IDS.dxprovisioningSp), 'group1@contoso.com']);
  });

  it('re-sends the $batch sub-requests Graph answered 429, after their Retry-After, with the same result', async () => {
    // Arrange
    const g = await serve({
      batchThrottle: [
        { path: `/servicePrincipals/${IDS.paymentsSp}/appRoleAssignments`, times: 2, retryAfter: '1.5' },
      ],
    });
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };

    // Act
    const throttled = await collect({ source: apiSource(g), connector: { ...auth, sleep } });
    const g2 = await startFakeGraph(buildTestTenant(), { token: TOKEN, pageSize: 1 });
    const calm = await collect({ source: apiSource(g2), connector: auth });
    await g2.stop();

    // Assert
    expect(waits).toEqual([1500, 1500]);
    expect(
      g.subRequests.filter((u) => u.startsWith(`/servicePrincipals/${IDS.paymentsSp}/appRoleAssignments`)),
    ).toHaveLength(3);
    // The re-sent sub-request answers in a later batch, so only the order of its records differs.
    expect([...throttled.lines].sort()).toEqual([...calm.lines].sort());
    const sub = throttled.header?.queries.find(
      (q) => q.operation === 'GET /v1.0/servicePrincipals/{id}/appRoleAssignments',
    );
    expect(sub).toMatchObject({ calls: 10, pages: 8 });
  });

  it('honours Retry-After: 2.128 on a 429 through the Graph client retry middleware (fake timers)', async () => {
    // Arrange: the documented 429 answer, on the first request for users
    const g = await serve({ throttleOnce: ['/v1.0/users'] });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const fakeSetTimeout = globalThis.setTimeout;
    const delays: number[] = [];
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return fakeSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const usersAsked = () => g.requests.filter((r) => r.url.startsWith('/v1.0/users')).length;

    // Act: once the retry middleware sleeps, move the clock to just before and just after 2.128 s
    const run = collect({ source: apiSource(g), connector: auth });
    await until(() => delays.some((d) => Math.round(d) === 2128));
    await vi.advanceTimersByTimeAsync(2_100);
    for (let i = 0; i < 200; i++) await new Promise((r) => setImmediate(r));
    const beforeRetryAfter = usersAsked();
    await vi.advanceTimersByTimeAsync(50);
    await until(() => usersAsked() === 2);
    vi.useRealTimers();
    vi.restoreAllMocks();
    const c = await run;

    // Assert
    expect(beforeRetryAfter).toBe(1);
    expect(c.outcome.status).toBe('complete');
    const users = c.header?.queries.find((q) => q.operation === 'GET /v1.0/users');
    expect(users).toMatchObject({ calls: 8, pages: 7, records: 7 });
  });

  it('on 403 for signInActivity reads users without it, warns, and leaves their activity unknown', async () => {
    // Arrange
    const g = await serve({ signInActivityForbidden: true });

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert
    expect(c.outcome.status).toBe('complete');
    expect(c.header?.warnings).toContain(
      "Entra sign-in activity is not available (403 Authentication_RequestFromNonPremiumTenantOrB2CTenant): users' last activity is unknown and never counts as dormant",
    );
    const humans = recordsOf(c.lines).principals.filter((p) => p.kind === 'human');
    expect(humans).toHaveLength(8); // 7 users and the deleted one (deletedItems carry no sign-in data either)
    expect(humans.every((p) => !p.lastActivity && p.tags['accessproof:activity'] === 'unknown')).toBe(true);
    const retried = g.requests.filter(
      (r) => r.url.startsWith('/v1.0/users?') && !r.url.includes('signInActivity'),
    );
    expect(retried[0]?.url).toContain('$top=999');
    expect(findingsOf(c).filter((d) => d.rule === 'USER-DORMANT')).toEqual([]);
  });

  it('on 403 for the sign-in reports leaves every service principal unknown: no dormant or never-used finding', async () => {
    // Arrange
    const g = await serve({ reportsForbidden: true });

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert
    expect(c.header?.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Entra service principal sign-in activity is not available \(403 /),
        expect.stringMatching(/^Entra credential sign-in activity is not available \(403 /),
      ]),
    );
    const nonhuman = recordsOf(c.lines).principals.filter((p) => p.kind === 'nonhuman');
    expect(nonhuman.every((p) => p.tags['accessproof:activity'] === 'unknown' && !p.lastActivity)).toBe(true);
    const rules = findingsOf(c).map((d) => d.rule);
    expect(rules).not.toContain('NHI-DORMANT');
    expect(rules).not.toContain('NHI-NEVER-USED');
  });

  it('reads MFA registration (userRegistrationDetails) and raises USER-PRIVILEGED-NO-MFA for the privileged user without it only', async () => {
    // Arrange
    const g = await serve();

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert: the report was read page by page, and only "off" became a tag
    expect(c.outcome.status).toBe('complete');
    expect(c.header?.queries.find((q) => q.operation.includes('userRegistrationDetails'))).toMatchObject({
      operation: 'GET /v1.0/reports/authenticationMethods/userRegistrationDetails',
      pages: 3,
      records: 3,
    });
    const byId = new Map(recordsOf(c.lines).principals.map((p) => [p.nativeId, p]));
    expect(byId.get(IDS.stine)?.tags).toMatchObject({
      'accessproof:mfa': 'false',
      'accessproof:mfa-source':
        'userRegistrationDetails: isMfaRegistered false (methods registered: email; report updated 2026-09-30T04:12:00.000Z)',
    });
    expect(byId.get(IDS.adele)?.tags['accessproof:mfa']).toBe('false');
    expect(byId.get(IDS.modAdmin)?.tags['accessproof:mfa']).toBeUndefined(); // registered
    expect(byId.get(IDS.alex)?.tags['accessproof:mfa']).toBeUndefined(); // not in the report: unknown
    const drafts = findingsOf(c);
    const privileged = drafts.filter((d) => d.rule === 'USER-PRIVILEGED').map((d) => d.subject.principals[0]);
    expect(privileged).toEqual(expect.arrayContaining([uid(IDS.stine), uid(IDS.modAdmin)]));
    const noMfa = drafts.filter((d) => d.rule === 'USER-PRIVILEGED-NO-MFA');
    expect(noMfa.map((d) => d.subject.principals)).toEqual([[uid(IDS.stine)]]); // Adele holds no privileged role
    expect(noMfa[0]?.evidence[0]?.text).toMatch(/^userRegistrationDetails: isMfaRegistered false/);
  });

  it('reads deleted users as disabled principals with deletedDateTime; without HR they are leavers as of that time', async () => {
    // Arrange: Pat's Entra user was deleted on 2026-09-20; her ERP account, same email, is active
    const g = await serve();

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert
    expect(
      g.requests.some((r) => r.url.startsWith('/v1.0/directory/deletedItems/microsoft.graph.user?')),
    ).toBe(true);
    const pat = recordsOf(c.lines).principals.find((p) => p.name === 'Pat Leaver');
    expect(pat).toMatchObject({
      status: 'disabled',
      email: 'pat.leaver@contoso.com',
      tags: { 'entra:deletedDateTime': '2026-09-20T17:45:00.000Z', 'accessproof:activity': 'unknown' },
    });
    const b = new InventoryBuilder();
    b.addSnapshotHeader(c.header!, { financiallySignificant: true });
    for (const p of recordsOf(c.lines).principals) b.addPrincipal(p);
    const erp = makePrincipal({
      nativeId: 'PLEAVER',
      email: 'Pat.Leaver@contoso.com',
      lastActivity: { at: '2026-09-25T08:00:00Z', source: 'last_login_at' },
    });
    b.addSnapshotHeader(makeHeader({ system: 'erp', sourceId: erp.sourceId, tenant: erp.tenant }));
    b.addPrincipal(erp);
    const drafts = evaluateRules(b.finish(), {
      asOf: new Date('2026-10-01T00:00:00Z'),
      policy: policySchema.parse({}),
      sod: undefined,
      financiallySignificant: () => true,
    }).filter((d) => d.subject.principals.includes(erp.uid));
    expect(drafts.map((d) => d.rule).sort()).toEqual([
      'USER-ACTIVE-AFTER-TERMINATION',
      'USER-TERMINATED-ACCESS',
    ]);
    expect(drafts.find((d) => d.rule === 'USER-TERMINATED-ACCESS')?.detail).toMatchObject({
      terminationDate: '2026-09-20T17:45:00.000Z',
    });
  });

  it('without the licence (403 on the MFA registration report) warns and judges no Entra user without MFA', async () => {
    const g = await serve({ reportsForbidden: true });
    const c = await collect({ source: apiSource(g), connector: auth });
    expect(c.outcome.status).toBe('complete');
    expect(c.header?.warnings).toContain(
      'Entra MFA registration (userRegistrationDetails) is not available (403 Authentication_RequestFromNonPremiumTenantOrB2CTenant): whether users registered MFA is unknown: USER-PRIVILEGED-NO-MFA is not judged for Entra users',
    );
    const principals = recordsOf(c.lines).principals;
    expect(principals.some((p) => p.tags['accessproof:mfa'] !== undefined)).toBe(false);
    expect(findingsOf(c).filter((d) => d.rule === 'USER-PRIVILEGED-NO-MFA')).toEqual([]);
  });

  it('feeds NHI-DORMANT and NHI-CRED-EXPIRED for the dormant service principal, nothing for the MI used yesterday', async () => {
    // Arrange
    const g = await serve();

    // Act
    const drafts = findingsOf(await collect({ source: apiSource(g), connector: auth }));

    // Assert
    const about = (id: string) =>
      drafts.filter((d) => d.subject.principals.includes(uid(id))).map((d) => d.rule);
    expect(about(IDS.paymentsSp)).toEqual(expect.arrayContaining(['NHI-DORMANT', 'NHI-CRED-EXPIRED']));
    expect(about(IDS.miSp)).toEqual([]);
  });

  it('resumes mid-pagination from a cursor to the same snapshot, and the cursor holds no skiptoken', async () => {
    // Arrange
    const g = await serve();
    const whole = await collect({ source: apiSource(g), connector: auth });
    const staging = new MemoryStaging();
    let steps = 0;
    // Pause after the 6th step (3 pages of the MFA registration report, then users page 3 of 7),
    // with a nextLink in the connector state.
    const deadline = { remainingMs: () => (steps++ < 6 ? 60_000 : 0), marginMs: 1_000 };

    // Act
    const first = await collect({ source: apiSource(g), connector: auth, staging, deadline });
    if (first.outcome.status !== 'partial') throw new Error(`expected partial, got ${first.outcome.status}`);
    const checkpoint = staging.checkpoints.get('run-1/entra-test') ?? '';
    const second = await collect({
      source: apiSource(g),
      connector: auth,
      staging,
      cursor: first.outcome.cursor,
    });

    // Assert
    expect(checkpoint).toContain('$skiptoken');
    expect(Buffer.from(first.outcome.cursor, 'base64url').toString()).not.toContain('skiptoken');
    expect(second.outcome.status).toBe('complete');
    expect(second.text).toBe(whole.text);
  });

  it('encodes object ids in request paths: an id with / ? # asks for that object, never another path', async () => {
    // Arrange: a service principal whose id holds path and URL delimiters, with an owner
    const tenant = buildTestTenant();
    const hostile = 'sp/../x?y#z';
    const payments = tenant.servicePrincipals.find((s) => s.id === IDS.paymentsSp)!;
    tenant.servicePrincipals.push({ ...payments, id: hostile, appId: 'hostile-app', displayName: 'Hostile' });
    tenant.owners[`servicePrincipals/${hostile}`] = [
      {
        '@odata.type': '#microsoft.graph.user',
        id: IDS.adele,
        userPrincipalName: 'hostile-owner@contoso.com',
      },
    ];
    graph = await startFakeGraph(tenant, { token: TOKEN, pageSize: 1 });

    // Act
    const c = await collect({ source: apiSource(graph), connector: auth });

    // Assert
    expect(c.outcome.status).toBe('complete');
    expect(
      graph.subRequests.some((u) => u.startsWith('/servicePrincipals/sp%2F..%2Fx%3Fy%23z/owners?')),
    ).toBe(true);
    const sp = recordsOf(c.lines).principals.find((p) => p.nativeId === hostile);
    expect(sp?.owners).toContain('hostile-owner@contoso.com');
  });

  it('refuses an object id of .. (URL normalization would resolve it) by failing the source', async () => {
    // Arrange
    const tenant = buildTestTenant();
    const payments = tenant.servicePrincipals.find((s) => s.id === IDS.paymentsSp)!;
    tenant.servicePrincipals.push({ ...payments, id: '..', appId: 'dots-app', displayName: 'Dots' });
    graph = await startFakeGraph(tenant, { token: TOKEN, pageSize: 1 });

    // Act
    const c = await collect({ source: apiSource(graph), connector: auth });

    // Assert
    expect(c.outcome).toMatchObject({ status: 'failed' });
    if (c.outcome.status !== 'failed') return;
    expect(c.outcome.error).toContain('an object id of ".." cannot name a resource');
    expect(graph.subRequests.some((u) => u.startsWith('/servicePrincipals/../'))).toBe(false);
  });

  it('keeps canary secrets out of logs, snapshot and findings', async () => {
    // Arrange
    const g = await serve();
    const logger = capturingLogger();

    // Act
    const c = await collect({ source: apiSource(g), connector: auth, logger });
    const findings = JSON.stringify(findingsOf(c));

    // Assert
    const everything = [c.text, findings, ...logger.lines].join('\n');
    for (const canary of [...CANARIES, TOKEN]) expect(everything).not.toContain(canary);
    expect(logger.lines.length).toBeGreaterThan(0);
  });

  it('fails the source, naming the operation, when a $batch sub-request is denied (documented $batch answer)', async () => {
    // Arrange: every $batch is answered with Microsoft's documented example (403s among 200s)
    const documented = JSON.parse(readFileSync(join(PUBLIC_DIR, 'batch-response.json'), 'utf8'));
    const g = await serve({ batchBody: documented });

    // Act
    const c = await collect({ source: apiSource(g), connector: auth });

    // Assert
    expect(c.outcome).toMatchObject({ status: 'failed' });
    if (c.outcome.status !== 'failed') return;
    expect(c.outcome.error).toMatch(/^GET \/v1\.0\/servicePrincipals\/\{id\}\/owners page 1: 403 /);
  });

  it('scrubs the token from the failure, logs and snapshot when Graph echoes the request in its error', async () => {
    // Arrange: a Graph imitation that quotes the request line and headers back in every error
    const seen: string[] = [];
    const echo = createServer((req, res) => {
      const quoted = `${req.method} ${req.url} ${JSON.stringify(req.headers)}`;
      seen.push(quoted);
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({ error: { code: 'InvalidAuthenticationToken', message: `rejected ${quoted}` } }),
      );
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const logger = capturingLogger();

    try {
      // Act
      const c = await collect({ source: testSource({ graphBaseUrl: base }), connector: auth, logger });

      // Assert
      expect(seen.join('\n')).toContain(`Bearer ${TOKEN}`);
      expect(c.outcome).toMatchObject({ status: 'failed' });
      if (c.outcome.status !== 'failed') return;
      expect(c.outcome.error).toMatch(/InvalidAuthenticationToken/);
      expect(c.outcome.error).toContain('Bearer [redacted]');
      for (const text of [c.outcome.error, c.text, ...logger.lines]) expect(text).not.toContain(TOKEN);
    } finally {
      echo.closeAllConnections();
      await new Promise((r) => echo.close(r));
    }
  });

  it('fails the source without echoing the token when Graph refuses it', async () => {
    // Arrange
    const g = await serve();

    // Act
    const c = await collect({
      source: apiSource(g),
      connector: { authProvider: fakeTokenProvider('wrong-token-77') },
    });

    // Assert
    expect(c.outcome).toMatchObject({ status: 'failed' });
    if (c.outcome.status !== 'failed') return;
    // The first request (the MFA registration report) is refused: a 401 is no missing licence.
    expect(c.outcome.error).toMatch(
      /^GET \/v1\.0\/reports\/authenticationMethods\/userRegistrationDetails page 1: 401 InvalidAuthenticationToken/,
    );
    expect(c.outcome.error).not.toContain('wrong-token-77');
  });
});
