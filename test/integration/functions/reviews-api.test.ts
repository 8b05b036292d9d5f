/**
 * The reviewer app as deployed: functions/reviews-api/handler.ts invoked with API Gateway HTTP API
 * (payload v2) events, on the DynamoDB review store (dynalite), with the reviewer taken from the
 * JWT authorizer's claims, and the Cognito sign-in against a local token endpoint. The same
 * campaign flow as the browser test: reviewer A lists, keeps two, revokes one with a note,
 * delegates one; reviewer B is refused A's items on every endpoint; the campaign closes.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeCampaign, decide } from '../../../core/reviews/decide';
import type { Campaign } from '../../../core/reviews/model';
import { signLink } from '../../../core/reviews/web/tokens';
import type { HttpApiEvent, HttpApiResult } from '../../../functions/shared/reviews-http';
import { DynamoDbReviewStore, readAuditEntries } from '../../../stores/dynamodb-reviews';
import { createReviewsTable, type RunningDynalite, startDynalite } from '../../support/dynalite';
import { CFO, CONTROLLER, itemOf, startedCampaign } from '../../unit/core/reviews/review-fixture';

const TABLE = 'reviews';
const A = CONTROLLER;
const B = 'aws.owner@example.com';
const IDP = 'EntraID';

let ddb: RunningDynalite;
let cognito: Server;
let tokenRequests: URLSearchParams[] = [];
let handler: (event: HttpApiEvent, context: Context) => Promise<HttpApiResult>;
let store: DynamoDbReviewStore;
let campaign: Campaign;
let savedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  ddb = await startDynalite();
  await createReviewsTable(ddb.client, TABLE);
  // The user pool's token endpoint: answers an ID token for the code it is given.
  cognito = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      tokenRequests.push(form);
      const ok = req.url === '/oauth2/token' && form.get('code') === 'good-code';
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? { id_token: `header.${'p'.repeat(40)}.sig`, expires_in: 3600 } : {}));
    });
  });
  await new Promise<void>((r) => cognito.listen(0, '127.0.0.1', r));
  savedEnv = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
    AWS_SECRET_ACCESS_KEY: 'local-test-only',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    REVIEWS_TABLE: TABLE,
    COGNITO_DOMAIN: `http://127.0.0.1:${(cognito.address() as AddressInfo).port}`,
    COGNITO_CLIENT_ID: 'client-123',
    APP_BASE_URL: 'https://reviews.example.com',
    IDENTITY_PROVIDER: IDP,
    POWERTOOLS_METRICS_NAMESPACE: 'AccessProofTest',
    POWERTOOLS_SERVICE_NAME: 'reviews-api',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  store = new DynamoDbReviewStore({ tableName: TABLE, client: ddb.newClient() });
  // ERP grants to A (the controller), AWS grants to B: two reviewers of one campaign.
  campaign = startedCampaign({ reviewers: { default: A, bySource: { 'aws-test': B }, fallback: CFO } });
  await store.create(campaign);
  ({ handler } = (await import('../../../functions/reviews-api/handler')) as unknown as {
    handler: typeof handler;
  });
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  await store?.close();
  await new Promise((r) => cognito?.close(r));
  await ddb?.stop();
});

const context = { functionName: 'reviews-api', awsRequestId: 'req-1' } as unknown as Context;

/** Claims as the JWT authorizer puts them on the event (values are strings). */
function claims(email: string, extra: Record<string, string> = {}) {
  return {
    email,
    email_verified: 'false',
    identities: JSON.stringify([{ providerName: IDP, providerType: 'OIDC', userId: email }]),
    origin_jti: `jti-of-${email}`,
    sub: `sub-${email}`,
    ...extra,
  };
}

function event(
  method: string,
  url: string,
  init: {
    as?: Record<string, string> | undefined;
    form?: [string, string][];
    body?: string;
    cookies?: string[];
    base64?: boolean;
  } = {},
): HttpApiEvent {
  const u = new URL(url, 'https://reviews.example.com');
  const text = init.body ?? (init.form ? new URLSearchParams(init.form).toString() : undefined);
  const base64 = init.base64 ?? true;
  return {
    version: '2.0',
    rawPath: u.pathname,
    rawQueryString: u.search.slice(1),
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...(text !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    ...(init.cookies ? { cookies: init.cookies } : {}),
    // HTTP API hands form posts over base64-encoded.
    ...(text !== undefined
      ? { body: base64 ? Buffer.from(text).toString('base64') : text, isBase64Encoded: base64 }
      : { isBase64Encoded: false }),
    requestContext: {
      http: { method, sourceIp: '198.51.100.7' },
      ...(init.as ? { authorizer: { jwt: { claims: init.as } } } : {}),
    },
  };
}

async function call(e: HttpApiEvent): Promise<HttpApiResult> {
  return handler(e, context);
}

async function csrfOf(as: Record<string, string>): Promise<string> {
  const res = await call(event('GET', `/c/${campaign.id}`, { as }));
  expect(res.statusCode).toBe(200);
  const token = /name="csrf" value="([^"]+)"/.exec(res.body)?.[1];
  expect(token).toBeDefined();
  return token!;
}

describe('reviews-api Lambda (HTTP API v2 events, dynalite)', () => {
  it('runs the campaign flow: A lists, keeps two, revokes one, delegates one; B is refused everywhere; close', async () => {
    // Arrange
    const a = claims(A);
    const b = claims(B);
    const aliceDisplay = itemOf(campaign, 'U-ALICE', 'R-DISPLAY').id;
    const svcDisplay = itemOf(campaign, 'SVC-BATCH', 'R-DISPLAY').id;
    const bobPay = itemOf(campaign, 'U-BOB', 'R-AP-PAY').id;
    const alicePay = itemOf(campaign, 'U-ALICE', 'R-AP-PAY').id;
    const aItems = [aliceDisplay, svcDisplay, bobPay, alicePay];
    const bItems = campaign.items.filter((i) => i.reviewer === B).map((i) => i.id);
    expect(bItems.length).toBeGreaterThan(0);

    // Act + Assert: A's landing page goes to the one campaign with A's items.
    const home = await call(event('GET', '/', { as: a }));
    expect(home.statusCode).toBe(303);
    expect(home.headers.location).toBe(`/c/${campaign.id}`);
    const list = await call(event('GET', `/c/${campaign.id}?sort=entitlement`, { as: a }));
    expect(list.statusCode).toBe(200);
    expect(list.headers['content-security-policy']).toContain("default-src 'none'");
    for (const id of aItems) expect(list.body).toContain(`data-item="${id}"`);
    for (const id of bItems) expect(list.body).not.toContain(`data-item="${id}"`);
    const filtered = await call(event('GET', `/c/${campaign.id}?q=batch`, { as: a }));
    expect(filtered.body).toContain(`data-item="${svcDisplay}"`);
    expect(filtered.body).not.toContain(`data-item="${bobPay}"`);

    const csrfA = await csrfOf(a);
    const post = (as: Record<string, string>, fields: [string, string][]) =>
      call(event('POST', `/c/${campaign.id}/decide`, { as, form: fields }));
    const keep = await post(a, [
      ['item', aliceDisplay],
      ['item', svcDisplay],
      ['action', 'keep'],
      ['note', 'both still needed for month-end'],
      ['csrf', csrfA],
    ]);
    expect(keep.statusCode).toBe(303);
    const revoke = await post(a, [
      ['item', bobPay],
      ['action', 'revoke'],
      ['note', 'moved out of AP in August'],
      ['csrf', csrfA],
    ]);
    expect(revoke.statusCode).toBe(303);
    const noNote = await post(a, [
      ['item', alicePay],
      ['action', 'revoke'],
      ['csrf', csrfA],
    ]);
    expect(noNote.statusCode).toBe(400);
    const delegated = await post(a, [
      ['item', alicePay],
      ['action', 'delegate'],
      ['to', CFO],
      ['reason', 'payments are the CFO’s call'],
      ['csrf', csrfA],
    ]);
    expect(delegated.statusCode).toBe(303);

    // B: every endpoint with A's ids, with B's own CSRF token and with A's.
    const csrfB = await csrfOf(b);
    for (const id of aItems) {
      expect((await call(event('GET', `/c/${campaign.id}/items/${id}`, { as: b }))).statusCode).toBe(404);
      for (const csrf of [csrfB, csrfA]) {
        for (const fields of [
          [
            ['action', 'keep'],
            ['note', 'mine now'],
          ],
          [
            ['action', 'revoke'],
            ['note', 'mine now'],
          ],
          [
            ['action', 'delegate'],
            ['to', 'x@example.com'],
            ['reason', 'take it'],
          ],
        ] as [string, string][][]) {
          const res = await post(b, [['item', id], ...fields, ['csrf', csrf]]);
          expect([403, 404]).toContain(res.statusCode);
        }
      }
    }
    const bList = await call(event('GET', `/c/${campaign.id}`, { as: b }));
    for (const id of aItems) expect(bList.body).not.toContain(`data-item="${id}"`);
    // A mixed request (one of B's own, one of A's) changes nothing either.
    const mixed = await post(b, [
      ['item', bItems[0]!],
      ['item', bobPay],
      ['action', 'keep'],
      ['note', 'x'],
      ['csrf', csrfB],
    ]);
    expect(mixed.statusCode).toBe(404);

    const stored = (await store.get(campaign.id))!;
    expect(itemOf(stored, 'U-ALICE', 'R-DISPLAY').decision).toMatchObject({
      outcome: 'keep',
      by: A,
      channel: 'web',
    });
    expect(itemOf(stored, 'U-BOB', 'R-AP-PAY').decision).toMatchObject({
      outcome: 'revoke',
      by: A,
      note: 'moved out of AP in August',
    });
    const pay = itemOf(stored, 'U-ALICE', 'R-AP-PAY');
    expect(pay.decision).toBeUndefined();
    expect(pay.reviewer).toBe(CFO);
    expect(pay.delegations).toEqual([expect.objectContaining({ from: A, to: CFO, channel: 'web' })]);
    for (const id of bItems) expect(stored.items.find((i) => i.id === id)!.decision).toBeUndefined();

    // The delegated item is now the CFO's, who sees and decides it through the same Lambda.
    const cfo = claims(CFO);
    const csrfCfo = await csrfOf(cfo);
    expect((await call(event('GET', `/c/${campaign.id}/items/${alicePay}`, { as: cfo }))).statusCode).toBe(
      200,
    );
    expect(
      (
        await post(cfo, [
          ['item', alicePay],
          ['action', 'keep'],
          ['note', 'approved payments role'],
          ['csrf', csrfCfo],
        ])
      ).statusCode,
    ).toBe(303);
    expect(
      (
        await post(b, [
          ...bItems.map((id) => ['item', id] as [string, string]),
          ['action', 'keep'],
          ['note', 'admins reviewed'],
          ['csrf', csrfB],
        ])
      ).statusCode,
    ).toBe(303);

    // Close: refused while anything is undecided, then done; no decision after.
    const closed = await store.update(campaign.id, (c) => closeCampaign(c, { by: CFO }, new Date()));
    expect(closed.status).toBe('closed');
    const late = await post(a, [
      ['item', aliceDisplay],
      ['action', 'revoke'],
      ['note', 'too late'],
      ['csrf', csrfA],
    ]);
    expect(late.statusCode).toBe(400);
    expect(() => decide(closed, [aliceDisplay], { outcome: 'keep', by: A, note: 'x' }, new Date())).toThrow(
      /closed/,
    );

    const audit = await readAuditEntries(ddb.client, TABLE, campaign.id);
    expect(audit.filter((e) => e.outcome === 'ok' && e.reviewer === A).map((e) => e.action)).toEqual([
      'decide',
      'decide',
      'delegate',
    ]);
    expect(audit.filter((e) => e.reviewer === B && e.outcome === 'refused').length).toBeGreaterThanOrEqual(
      aItems.length * 6,
    );
    expect(audit.every((e) => e.remote === '198.51.100.7')).toBe(true);
  });

  it('refuses requests without verified claims, links, CSRF-less posts and oversized bodies', async () => {
    // Arrange
    const a = claims(A);
    const link = signLink(new Uint8Array(32), {
      campaign: campaign.id,
      reviewer: A,
      exp: '2099-01-01T00:00:00Z',
    });
    // Act
    const none = await call(event('GET', `/c/${campaign.id}`));
    const unverified = await call(
      event('GET', `/c/${campaign.id}`, { as: claims(A, { identities: '[]', email_verified: 'false' }) }),
    );
    const verifiedOther = await call(
      event('GET', `/c/${campaign.id}`, { as: { email: A, email_verified: 'true', jti: 'j-1' } }),
    );
    // A token in a header or cookie is never read by the app: only the authorizer's claims count.
    const headerOnly = await call({
      ...event('GET', `/c/${campaign.id}`, { cookies: ['ap_id=forged'] }),
      headers: { 'x-accessproof-id-token': 'forged', 'x-email': A },
    });
    const byLink = await call(event('GET', `/l/${link}`, { as: a }));
    const noCsrf = await call(
      event('POST', `/c/${campaign.id}/decide`, { as: a, form: [['action', 'keep']], base64: false }),
    );
    const huge = await call(
      event('POST', `/c/${campaign.id}/decide`, { as: a, body: `note=${'x'.repeat(70 * 1024)}` }),
    );
    // Assert
    expect(none.statusCode).toBe(401);
    expect(unverified.statusCode).toBe(401);
    expect(verifiedOther.statusCode).toBe(200);
    expect(headerOnly.statusCode).toBe(401);
    expect(byLink.statusCode).toBe(404);
    expect(noCsrf.statusCode).toBe(403);
    expect(huge.statusCode).toBe(413);
  });

  it('signs in through the user pool: PKCE login, state-checked callback, token cookie, logout', async () => {
    // Arrange
    tokenRequests = [];
    // Act
    const login = await call(event('GET', `/auth/login?next=${encodeURIComponent(`/c/${campaign.id}`)}`));
    const authorize = new URL(login.headers.location!);
    const flow = login.cookies[0]!.split(';')[0]!;
    const state = authorize.searchParams.get('state')!;
    const forged = await call(
      event('GET', `/auth/callback?code=good-code&state=not-${state}`, { cookies: [flow] }),
    );
    const badCode = await call(event('GET', `/auth/callback?code=bad&state=${state}`, { cookies: [flow] }));
    const ok = await call(event('GET', `/auth/callback?code=good-code&state=${state}`, { cookies: [flow] }));
    const offsite = await call(event('GET', '/auth/login?next=//evil.example.com/x'));
    const logout = await call(event('GET', '/auth/logout'));
    // Assert
    expect(login.statusCode).toBe(302);
    expect(authorize.pathname).toBe('/oauth2/authorize');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('identity_provider')).toBe(IDP);
    expect(authorize.searchParams.get('redirect_uri')).toBe('https://reviews.example.com/auth/callback');
    expect(login.cookies[0]).toMatch(/HttpOnly; Secure; SameSite=Lax/);
    expect(forged.statusCode).toBe(400);
    expect(badCode.statusCode).toBe(502);
    expect(badCode.body).not.toContain('bad');
    expect(ok.statusCode).toBe(200);
    expect(ok.cookies[0]).toMatch(
      /^ap_id=header\.p+\.sig; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=3600$/,
    );
    expect(ok.body).toContain(`url=/c/${campaign.id}`);
    const sent = tokenRequests.at(-1)!;
    expect(sent.get('code_verifier')).toBe(flow.split('=')[1]!.split('.')[1]);
    expect(sent.get('grant_type')).toBe('authorization_code');
    const offsiteFlow = offsite.cookies[0]!.split(';')[0]!.split('=')[1]!.split('.')[2]!;
    expect(Buffer.from(offsiteFlow, 'base64url').toString()).toBe('/');
    expect(logout.cookies[0]).toMatch(/^ap_id=; .*Max-Age=0$/);
    expect(logout.body).toContain('/logout?client_id=client-123');
  });
});
