/**
 * The Salesforce connector against a local imitation of the REST API, through real jsforce:
 * OAuth (JWT bearer, client credentials, injected token), paging at batch size 1, completeness,
 * the API budget, back-off, Bulk API 2.0, resume, and secrets kept out of every output.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSalesforceConnector,
  type SalesforceConnectorOptions,
  staticCredentials,
} from '../../../connectors/salesforce';
import { type CollectOutcome, collectSource, type Deadline } from '../../../core/collect-driver';
import { type SalesforceSource, salesforceSourceSchema } from '../../../core/config';
import { FakeSalesforce, type FakeSalesforceOptions } from './fake-salesforce';
import {
  CLIENT_ID,
  capturingLogger,
  id,
  keyPair,
  MemoryStaging,
  ORG_ID,
  readSnapshot,
  testOrgTables,
  USERNAME,
} from './harness';

const NOW = new Date('2026-10-01T00:00:00.000Z');
const KEY = 'run-1/sfdc';
const keys = keyPair();
const noWait = async () => undefined;

let server: FakeSalesforce | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function startOrg(extra: Partial<FakeSalesforceOptions> = {}): Promise<FakeSalesforce> {
  server = new FakeSalesforce({
    orgId: ORG_ID,
    tables: testOrgTables(),
    clientId: CLIENT_ID,
    username: USERNAME,
    publicKey: keys.publicKey,
    clientSecret: 'cc-consumer-secret-value',
    ...extra,
  });
  await server.start();
  return server;
}

function sourceFor(fake: FakeSalesforce, extra: Partial<SalesforceSource> = {}): SalesforceSource {
  return salesforceSourceSchema.parse({
    id: 'sfdc',
    system: 'salesforce',
    loginUrl: fake.url,
    clientId: CLIENT_ID,
    username: USERNAME,
    objects: ['Credit_Limit__c', 'Invoice__c'],
    ...extra,
  });
}

async function collect(
  source: SalesforceSource,
  opts: {
    connector?: SalesforceConnectorOptions;
    staging?: MemoryStaging;
    deadline?: Deadline;
    cursor?: string;
    logger?: ReturnType<typeof capturingLogger>;
    instance?: ReturnType<typeof createSalesforceConnector>;
  } = {},
): Promise<{ outcome: CollectOutcome; staging: MemoryStaging; logger: ReturnType<typeof capturingLogger> }> {
  const staging = opts.staging ?? new MemoryStaging();
  const logger = opts.logger ?? capturingLogger();
  const connector =
    opts.instance ??
    createSalesforceConnector({
      credentials: staticCredentials({ kind: 'jwt', privateKey: keys.privateKey }),
      sleep: noWait,
      ...opts.connector,
    });
  const outcome = await collectSource({
    connector,
    source,
    key: KEY,
    staging,
    now: () => NOW,
    logger,
    ...(opts.deadline ? { deadline: opts.deadline } : {}),
    ...(opts.cursor ? { cursor: opts.cursor } : {}),
  });
  return { outcome, staging, logger };
}

const uid = (native: string) => `salesforce:${ORG_ID}:${native}`;

describe('salesforce connector, live API (real jsforce, local imitation)', () => {
  it('collects every user, entitlement and grant page by page with the JWT bearer flow', async () => {
    // Arrange
    const fake = await startOrg({ batchSize: 1 });

    // Act
    const { outcome, staging } = await collect(sourceFor(fake));

    // Assert
    expect(outcome.status).toBe('complete');
    const snap = readSnapshot(staging.finals.get(KEY) ?? '');
    expect(snap.header.tenant).toBe(ORG_ID);
    expect(snap.header.complete).toBe(true);
    expect(snap.principals).toHaveLength(10);
    const users = snap.header.queries.find((q) => q.operation === 'SOQL User');
    expect(users).toMatchObject({ pages: 10, records: 10, expected: 10, calls: 10 });
    expect(users?.params?.soql).toMatch(/^SELECT Id, Username, .* FROM User$/);
    const org = snap.header.queries.find((q) => q.operation === 'SOQL Organization');
    expect(org?.params).toMatchObject({ instanceUrl: fake.url, apiVersion: '62.0' });
    // Every query went to the API version configured, one page per request.
    const queryPaths = fake.requests.filter((r) => r.path.includes('/query'));
    expect(queryPaths.every((r) => r.path.startsWith('/services/data/v62.0/query'))).toBe(true);
    expect(fake.requests.filter((r) => /\/query\/01g/.test(r.path)).length).toBeGreaterThan(10);
    // The JWT bearer grant was used (and verified by the fake's signature check).
    expect(fake.requests[0]?.body).toContain(
      'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer',
    );
  });

  it('classifies integration and API-only users by licence, profile, permission set and user type — never by name', async () => {
    // Arrange
    const fake = await startOrg();

    // Act
    const { staging } = await collect(sourceFor(fake));

    // Assert
    const byId = new Map(readSnapshot(staging.finals.get(KEY) ?? '').principals.map((p) => [p.nativeId, p]));
    expect(byId.get(id.intLicence)).toMatchObject({
      kind: 'nonhuman',
      type: 'integration-user',
      kindReason: expect.stringContaining('licence:Salesforce Integration'),
    });
    expect(byId.get(id.apiProfile)).toMatchObject({
      kind: 'nonhuman',
      type: 'api-only-user',
      kindReason: 'profile:PermissionsApiUserOnly (Minimum Access - API Only Integrations)',
    });
    expect(byId.get(id.apiPs)).toMatchObject({
      kind: 'nonhuman',
      type: 'api-only-user',
      kindReason: 'permission-set:PermissionsApiUserOnly (API Only Access)',
    });
    expect(byId.get(id.autoProc)).toMatchObject({
      kind: 'nonhuman',
      kindReason: 'UserType:AutomatedProcess',
    });
    expect(byId.get(id.cloudInt)).toMatchObject({
      kind: 'nonhuman',
      type: 'integration-user',
      kindReason: expect.stringContaining('UserType:CloudIntegrationUser'),
    });
    expect(byId.get(id.namedLikeBot)).toMatchObject({ kind: 'human', type: 'user', status: 'disabled' });
    expect(byId.get(id.alice)).toMatchObject({ kind: 'human', email: 'alice@test.example' });
    // The integration user never logs in: its activity is the latest OAuth token use.
    expect(byId.get(id.intLicence)).toMatchObject({
      lastActivity: { at: '2026-09-20T06:00:00.000Z', source: 'OauthToken.LastUsedDate' },
      owners: [uid(id.admin)],
      credentials: [
        {
          id: 'oauth-app:ERP Connector',
          type: 'oauth-token',
          lastUsedAt: '2026-09-20T06:00:00.000Z',
          createdAt: '2026-01-10T00:00:00.000Z',
        },
      ],
    });
    expect(byId.get(id.intLicence)?.email).toBeUndefined();
  });

  it('ignores expired and inactive assignments and records the permission set group path', async () => {
    // Arrange
    const fake = await startOrg();

    // Act
    const { staging } = await collect(sourceFor(fake));

    // Assert
    const { grants, entitlements } = readSnapshot(staging.finals.get(KEY) ?? '');
    const of = (user: string) => grants.filter((g) => g.principal === uid(user));
    expect(of(id.bob).map((g) => g.entitlement)).toEqual([uid(id.profStd)]);
    expect(of(id.carol)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ entitlement: uid(id.psg), path: [] }),
        expect.objectContaining({ entitlement: uid(id.psCredit), path: [uid(id.psg)] }),
        expect.objectContaining({ entitlement: uid(id.psBilling), path: [uid(id.psg)] }),
      ]),
    );
    expect(of(id.alice)).toContainEqual(
      expect.objectContaining({ entitlement: uid(id.psCredit), expiresAt: '2027-06-30T00:00:00.000Z' }),
    );
    const credit = entitlements.find((e) => e.nativeId === id.psCredit);
    expect(credit).toMatchObject({
      type: 'permission-set',
      name: 'Credit Limit Editor',
      permissions: ['Credit_Limit__c:Create', 'Credit_Limit__c:Edit', 'Credit_Limit__c:Read'],
      privileged: false,
    });
    const adminProfile = entitlements.find((e) => e.nativeId === id.profAdmin);
    expect(adminProfile).toMatchObject({ type: 'profile', name: 'System Administrator', privileged: true });
    expect(adminProfile?.permissions).toEqual(
      expect.arrayContaining(['ModifyAllData', 'Credit_Limit__c:Edit']),
    );
    // Only the objects named: Account is in the org but not in the source's objects.
    expect(entitlements.flatMap((e) => e.permissions as string[]).some((p) => p.startsWith('Account:'))).toBe(
      false,
    );
    const group = entitlements.find((e) => e.nativeId === id.psg);
    expect(group).toMatchObject({ type: 'permission-set-group', name: 'Billing Operations' });
    expect(group?.permissions).toEqual(expect.arrayContaining(['Credit_Limit__c:Edit', 'Invoice__c:Read']));
    // The group's aggregate permission set is represented by the group, not twice.
    expect(entitlements.some((e) => e.nativeId === id.psGroupAgg)).toBe(false);
  });

  it('marks the snapshot incomplete when records received differ from totalSize', async () => {
    // Arrange
    const fake = await startOrg({ totalSizeDelta: { User: 1 } });

    // Act
    const { outcome } = await collect(sourceFor(fake));

    // Assert
    if (outcome.status !== 'complete') throw new Error(`expected a finished snapshot, got ${outcome.status}`);
    expect(outcome.header.complete).toBe(false);
    expect(outcome.header.warnings).toContain(
      'incomplete: SOQL User: received 10 records, totalSize said 11',
    );
  });

  it('stops cleanly before the daily API use passes the configured share', async () => {
    // Arrange: 12,000 of 15,000 is the 80% line; the org starts 10 requests below it.
    const fake = await startOrg({ apiUsage: { used: 11_990, limit: 15_000 } });

    // Act
    const { outcome } = await collect(sourceFor(fake));

    // Assert
    expect(outcome.status).toBe('failed');
    if (outcome.status !== 'failed') return;
    expect(outcome.error).toMatch(
      /stopped before the org's daily API use passes 80%: 12000 of 15000 requests used/,
    );
    expect(fake.maxUsed).toBe(12_000);
  });

  it('backs off and retries on REQUEST_LIMIT_EXCEEDED, then completes', async () => {
    // Arrange
    const fake = await startOrg({
      limitExceeded: { User: { times: 2, message: 'ConcurrentPerOrgLongTxn Limit exceeded.' } },
    });
    const waits: number[] = [];

    // Act
    const { outcome, logger } = await collect(sourceFor(fake), {
      connector: {
        retryDelaysMs: [10, 20, 30],
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    });

    // Assert
    if (outcome.status !== 'complete') throw new Error(`expected complete, got ${outcome.status}`);
    expect(outcome.header.complete).toBe(true);
    expect(waits).toEqual([10, 20]);
    expect(outcome.header.queries.find((q) => q.operation === 'SOQL User')).toMatchObject({
      calls: 12,
      pages: 10,
    });
    expect(logger.text()).toContain('REQUEST_LIMIT_EXCEEDED, backing off');
  });

  it('gives up after the bounded retries, and at once when the daily limit is exhausted', async () => {
    // Arrange
    const busy = await startOrg({
      limitExceeded: { User: { times: 5, message: 'ConcurrentPerOrgLongTxn Limit exceeded.' } },
    });
    const first = await collect(sourceFor(busy), { connector: { retryDelaysMs: [1, 1] } });
    await busy.stop();
    const exhausted = await startOrg({
      limitExceeded: { User: { times: 1, message: 'TotalRequests Limit exceeded.' } },
    });

    // Act
    const second = await collect(sourceFor(exhausted), { connector: { retryDelaysMs: [1, 1] } });

    // Assert
    expect(first.outcome).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^SOQL User page 1: REQUEST_LIMIT_EXCEEDED after 3 attempts/),
    });
    expect(second.outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining("the org's daily API request limit is exhausted"),
    });
  });

  it('uses Bulk API 2.0 above bulkThreshold and yields the same records as REST paging', async () => {
    // Arrange
    const restOrg = await startOrg();
    const rest = readSnapshot((await collect(sourceFor(restOrg))).staging.finals.get(KEY) ?? '');
    await restOrg.stop();
    const bulkOrg = await startOrg({ bulkPollsBeforeComplete: 2 });

    // Act
    const { outcome, staging } = await collect(sourceFor(bulkOrg, { bulkThreshold: 3 }), {
      connector: { bulkPageSize: 4 },
    });

    // Assert
    if (outcome.status !== 'complete') throw new Error(`expected complete, got ${outcome.status}`);
    const bulk = readSnapshot(staging.finals.get(KEY) ?? '');
    expect(bulk.principals).toEqual(rest.principals);
    expect(bulk.grants).toEqual(rest.grants);
    expect(bulk.entitlements).toEqual(rest.entitlements);
    expect(outcome.header.complete).toBe(true);
    expect(outcome.header.queries.find((q) => q.operation === 'Bulk2 User')).toMatchObject({
      pages: 3,
      records: 10,
      expected: 10,
    });
    expect([...bulkOrg.jobs.values()].every((j) => j.deleted)).toBe(true);
    expect(
      bulkOrg.requests.some((r) => r.method === 'POST' && r.path === '/services/data/v62.0/jobs/query'),
    ).toBe(true);
  });

  it('resumes mid-pagination after a deadline and produces the same snapshot', async () => {
    // Arrange
    const fake = await startOrg();
    const source = sourceFor(fake);
    const whole = await collect(source);
    let budget = 26; // steps allowed before the fake deadline: stops inside the User pages
    const deadline: Deadline = { remainingMs: () => (budget-- > 0 ? 60_000 : 0), marginMs: 1_000 };
    const staging = new MemoryStaging();

    // Act: pause, then resume in a "new process" (a new connector instance and source object).
    const first = await collect(source, { staging, deadline });
    if (first.outcome.status !== 'partial') throw new Error(`expected partial, got ${first.outcome.status}`);
    const checkpoint = staging.checkpoints.get(KEY) ?? '';
    const second = await collect({ ...source }, { staging, cursor: first.outcome.cursor });

    // Assert
    expect(second.outcome.status).toBe('complete');
    const a = readSnapshot(whole.staging.finals.get(KEY) ?? '');
    const b = readSnapshot(staging.finals.get(KEY) ?? '');
    expect(b.principals).toEqual(a.principals);
    expect(b.entitlements).toEqual(a.entitlements);
    expect(b.grants).toEqual(a.grants);
    expect(b.header.complete).toBe(true);
    // The paused state held a nextRecordsUrl, but only in the checkpoint store, never in the cursor.
    const paused = JSON.parse(checkpoint) as {
      state: { stage: number; cursor: { page: number; nextRecordsUrl: string } };
    };
    expect(paused.state.stage).toBe(6); // users
    expect(paused.state.cursor.page).toBeGreaterThan(0);
    expect(paused.state.cursor.nextRecordsUrl).toContain('/services/data/v62.0/query/01g');
    expect(Buffer.from(first.outcome.cursor, 'base64url').toString()).not.toContain('01g');
    // The resumed process authenticated again: two token calls in the evidence.
    expect(b.header.queries.find((q) => q.operation === 'OAuth token')?.calls).toBe(2);
    expect(b.header.queries.find((q) => q.operation === 'SOQL User')).toMatchObject({
      records: 10,
      expected: 10,
    });
  });

  it('resumed in the same process (session kept), the snapshot is byte for byte the same', async () => {
    // Arrange
    const fake = await startOrg();
    const source = sourceFor(fake);
    const instance = createSalesforceConnector({
      credentials: staticCredentials({ kind: 'jwt', privateKey: keys.privateKey }),
    });
    const whole = await collect(source, { instance });
    let budget = 24;
    const deadline: Deadline = { remainingMs: () => (budget-- > 0 ? 60_000 : 0), marginMs: 1_000 };
    const staging = new MemoryStaging();
    const other = sourceFor(fake);
    const first = await collect(other, { staging, deadline, instance });
    if (first.outcome.status !== 'partial') throw new Error(`expected partial, got ${first.outcome.status}`);

    // Act
    await collect(other, { staging, cursor: first.outcome.cursor, instance });

    // Assert
    const a = whole.staging.finals.get(KEY) ?? '';
    expect(a.length).toBeGreaterThan(0);
    expect(staging.finals.get(KEY)).toBe(a);
  });

  it('authenticates again once when the session expires mid-run', async () => {
    // Arrange
    const fake = await startOrg({ expireSessionsAfter: 15 });

    // Act
    const { outcome, logger } = await collect(sourceFor(fake));

    // Assert
    if (outcome.status !== 'complete') throw new Error(`expected complete, got ${outcome.status}`);
    expect(outcome.header.complete).toBe(true);
    expect(outcome.header.queries.find((q) => q.operation === 'OAuth token')?.calls).toBe(2);
    expect(logger.text()).toContain('session expired, authenticating again');
  });

  it('never writes the private key or an access token to the snapshot, checkpoint, logs or errors', async () => {
    // Arrange
    const fake = await startOrg();
    let budget = 5;
    const deadline: Deadline = { remainingMs: () => (budget-- > 0 ? 60_000 : 0), marginMs: 1_000 };
    const staging = new MemoryStaging();
    const logger = capturingLogger();

    // Act
    const first = await collect(sourceFor(fake), { staging, deadline, logger });
    const checkpoint = staging.checkpoints.get(KEY) ?? '';
    if (first.outcome.status !== 'partial') throw new Error('expected partial');
    fake.expireSessions(); // the next call gets 401 and the connector authenticates again
    await collect(sourceFor(fake), { staging, cursor: first.outcome.cursor, logger });
    const denied = await collect(sourceFor(fake, { clientId: 'wrong-consumer-key' }), { logger });

    // Assert
    const outputs = [
      staging.finals.get(KEY) ?? '',
      checkpoint,
      logger.text(),
      JSON.stringify(denied.outcome),
    ];
    const keyBody = keys.privateKey.split('\n')[1] ?? 'unreachable';
    const tokens = fake.requests.flatMap((r) =>
      r.authorization ? [r.authorization.replace('Bearer ', '')] : [],
    );
    expect(tokens.length).toBeGreaterThan(0);
    for (const out of outputs) {
      expect(out).not.toContain(keyBody);
      expect(out).not.toContain('PRIVATE KEY');
      for (const t of new Set(tokens)) expect(out).not.toContain(t);
      expect(out).not.toContain('!AR');
    }
    expect(denied.outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('invalid_grant'),
    });
  });

  // Guards against the query locator (nextRecordsUrl) leaking into manifest errors and logs via a FetchError.
  it('keeps the query locator and instance URL out of the error and logs when a page fails on the network', async () => {
    // Arrange
    const fake = await startOrg({ batchSize: 2, dropQueryMore: ['PermissionSet'] });

    // Act
    const { outcome, logger } = await collect(sourceFor(fake));

    // Assert
    const locator = fake.droppedLocators[0] ?? 'unreachable';
    // jsforce retries a reset connection with its own back-off (~15 s) before giving up.
    expect(new Set(fake.droppedLocators).size).toBe(1);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^SOQL PermissionSet page 2: /),
    });
    if (outcome.status !== 'failed') return;
    expect(outcome.error).toContain('<url>');
    for (const text of [outcome.error, logger.text()]) {
      expect(text).not.toContain(locator);
      expect(text).not.toContain(fake.url);
      expect(text).not.toMatch(/\/query\/01g/);
    }
  });

  it('authenticates with the client-credentials flow and with an injected access token', async () => {
    // Arrange
    const fake = await startOrg();
    const cc = sourceFor(fake, { auth: 'client-credentials' });

    // Act
    const viaSecret = await collect(cc, {
      connector: {
        credentials: staticCredentials({
          kind: 'client-credentials',
          clientSecret: 'cc-consumer-secret-value',
        }),
      },
    });
    const viaToken = await collect(sourceFor(fake), {
      connector: {
        credentials: staticCredentials({
          kind: 'access-token',
          accessToken: fake.issueToken(),
          instanceUrl: fake.url,
        }),
      },
    });

    // Assert
    expect(viaSecret.outcome.status).toBe('complete');
    expect(viaToken.outcome.status).toBe('complete');
    expect(fake.requests.some((r) => r.body.includes('grant_type=client_credentials'))).toBe(true);
    expect(viaSecret.logger.text()).not.toContain('cc-consumer-secret-value');
    expect(viaSecret.staging.finals.get(KEY)).not.toContain('cc-consumer-secret-value');
  });

  it('refuses a live source without a consumer key as bad input, naming the field', async () => {
    // Arrange
    const fake = await startOrg();
    const source = { ...sourceFor(fake), clientId: undefined };

    // Act
    const act = collect(source);

    // Assert
    await expect(act).rejects.toThrow(
      'sources.sfdc.clientId: clientId (the connected app consumer key) is required',
    );
    expect(fake.requests).toHaveLength(0);
  });

  it('goes on with a warning when OauthToken is not readable', async () => {
    // Arrange
    const fake = await startOrg({
      deny: {
        OauthToken: {
          status: 400,
          errorCode: 'INVALID_TYPE',
          message: "sObject type 'OauthToken' is not supported.",
        },
      },
    });

    // Act
    const { outcome, staging } = await collect(sourceFor(fake));

    // Assert
    if (outcome.status !== 'complete') throw new Error(`expected complete, got ${outcome.status}`);
    expect(outcome.header.complete).toBe(true);
    expect(outcome.header.warnings).toContain(
      "OauthToken is not readable (INVALID_TYPE): integration users' last activity is LastLoginDate only",
    );
    const erpSync = readSnapshot(staging.finals.get(KEY) ?? '').principals.find(
      (p) => p.nativeId === id.intLicence,
    );
    expect(erpSync?.lastActivity).toBeUndefined();
  });
});
