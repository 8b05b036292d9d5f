/**
 * The campaign owner's screens (issue 17) against a real (in-memory SQLite) review store and the
 * real outbox: sign-in by owner link, "Start a campaign" (the same core `createCampaign` as
 * `review start`), progress per reviewer, reminders, close — and the authorization walls: a
 * reviewer's cookie, link or CSRF token reaches no owner route, an owner link for one campaign
 * reaches no other, an owner reaches only the campaigns they started, and every reviewer route
 * still answers only the reviewer's own items.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCampaign } from '../../../../../core/reviews/create';
import { decide } from '../../../../../core/reviews/decide';
import type { Campaign } from '../../../../../core/reviews/model';
import type { PackInventory } from '../../../../../core/reviews/pack-inventory';
import {
  type AuditEntry,
  createReviewApp,
  REVIEWER_ROUTES,
  type ReviewApp,
  type ReviewAppPorts,
  SESSION_COOKIE,
} from '../../../../../core/reviews/web/app';
import type { AppRequest, AppResponse } from '../../../../../core/reviews/web/http';
import { OWNER_COOKIE, OWNER_ROUTES } from '../../../../../core/reviews/web/owner';
import {
  signLink,
  signOwnerLink,
  signOwnerSession,
  signSession,
} from '../../../../../core/reviews/web/tokens';
import { OutboxDelivery } from '../../../../../stores/sqlite-reviews/notice-outbox';
import { SqliteReviewStore } from '../../../../../stores/sqlite-reviews/sqlite-review-store';
import { CFO, CONTROLLER, itemOf, reviewTenant, startedCampaign } from '../review-fixture';

const AWS_OWNER = 'aws.owner@example.com';
const OTHER_OWNER = 'it-risk@example.com';
const NOW = new Date('2026-10-05T09:00:00.000Z');
const EXP = '2027-02-01T00:00:00.000Z';

interface Harness {
  app: ReviewApp;
  store: SqliteReviewStore;
  audit: AuditEntry[];
  /** Started by CONTROLLER: ERP grants to the controller, AWS grants to the AWS owner. */
  campaign: Campaign;
  /** Started by CONTROLLER too. */
  second: Campaign;
  /** Started by OTHER_OWNER. */
  foreign: Campaign;
  clock: { now: Date };
  key: Uint8Array;
  stateDir: string;
}

const pack = (): PackInventory => ({
  inventory: reviewTenant().inventory,
  runId: 'run-1',
  sequence: 3,
  manifestSha256: 'a'.repeat(64),
  asOf: '2026-10-01T00:00:00.000Z',
  finishedAt: '2026-10-01T00:05:00.000Z',
  location: 'evidence/packs/run-1',
  financialSources: ['erp-test'],
});

async function harness(extra: Partial<ReviewAppPorts> = {}): Promise<Harness> {
  const store = SqliteReviewStore.open({ file: ':memory:' });
  const reviewers = { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER } };
  const campaign = startedCampaign({ reviewers });
  const second = { ...startedCampaign({ reviewers }), id: 'rev-second' };
  const foreign = { ...startedCampaign({ reviewers, createdBy: OTHER_OWNER }), id: 'rev-foreign' };
  for (const c of [campaign, second, foreign]) await store.create(c);
  const audit: AuditEntry[] = [];
  const clock = { now: NOW };
  const key = randomBytes(32);
  const stateDir = mkdtempSync(join(tmpdir(), 'ap-owner-'));
  let n = 0;
  const app = createReviewApp({
    store,
    key,
    now: () => clock.now,
    newId: () => `session-id-${String(++n).padStart(8, '0')}`,
    audit: async (e) => {
      audit.push(e);
    },
    campaignBase: { latestPack: async () => pack(), openFindings: async () => [] },
    notices: new OutboxDelivery(stateDir, () => clock.now),
    reviewerLink: (c, reviewer) =>
      `http://127.0.0.1:8417/l/${signLink(key, { campaign: c.id, reviewer, exp: EXP })}`,
    ...extra,
  });
  return { app, store, audit, campaign, second, foreign, clock, key, stateDir };
}

function req(
  method: string,
  url: string,
  init: { cookie?: string; body?: string; type?: string; verified?: AppRequest['verified'] } = {},
): AppRequest {
  const u = new URL(url, 'http://127.0.0.1');
  const headers: AppRequest['headers'] = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (method === 'POST') headers['content-type'] = init.type ?? 'application/x-www-form-urlencoded';
  return {
    method,
    path: u.pathname,
    query: u.searchParams,
    headers,
    body: init.body ?? '',
    ...(init.verified ? { verified: init.verified } : {}),
  };
}

const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
const csrfOf = (res: AppResponse) => /name="csrf" value="([^"]+)"/.exec(res.body)?.[1];

/** Signs an owner in by link; returns the cookie header and the CSRF token of the landing page. */
async function ownerSignIn(h: Harness, grant: { owner: string; campaign?: string }) {
  const res = await h.app(req('GET', `/o/${signOwnerLink(h.key, { ...grant, exp: EXP })}`));
  expect(res.status).toBe(303);
  const cookie = res.cookies[0]!.split(';')[0]!;
  const page = await h.app(req('GET', res.headers.location!, { cookie }));
  expect(page.status).toBe(200);
  return { cookie, csrf: csrfOf(page)!, landing: res, page };
}

async function reviewerSignIn(h: Harness, reviewer: string) {
  const link = signLink(h.key, { campaign: h.campaign.id, reviewer, exp: EXP });
  const res = await h.app(req('GET', `/l/${link}`));
  const cookie = res.cookies[0]!.split(';')[0]!;
  const page = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie }));
  return { cookie, csrf: csrfOf(page)!, link };
}

const rowOf = (res: AppResponse, reviewer: string) =>
  new RegExp(`<tr data-reviewer="${reviewer}"><th scope="row">[^<]+</th>((?:<td[^>]*>[^<]*</td>)+)`)
    .exec(res.body)?.[1]
    ?.match(/<td[^>]*>([^<]*)<\/td>/g)
    ?.map((td) => td.replace(/<[^>]+>/g, ''));

/** The body a POST to an owner route carries (plausible fields, so only access decides). */
function ownerBody(path: string, csrf: string): string {
  if (path.endsWith('/close'))
    return form([
      ['csrf', csrf],
      ['force', 'yes'],
      ['rationale', 'closing for the authorization test'],
    ]);
  if (path === '/o/new')
    return form([
      ['csrf', csrf],
      ['name', 'Sneaky campaign'],
      ['due', '2026-12-31'],
      ['reviewer', CONTROLLER],
    ]);
  return form([['csrf', csrf]]);
}

describe('campaign owner screens', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.store.close();
    rmSync(h.stateDir, { recursive: true, force: true });
  });

  it("signs an owner in with a strict cookie of its own, and refuses forged, expired and reviewers' links", async () => {
    // Arrange
    const good = signOwnerLink(h.key, { owner: CONTROLLER, campaign: h.campaign.id, exp: EXP });
    const expired = signOwnerLink(h.key, {
      owner: CONTROLLER,
      campaign: h.campaign.id,
      exp: '2026-10-01T00:00:00.000Z',
    });
    const otherKey = signOwnerLink(randomBytes(32), { owner: CONTROLLER, campaign: h.campaign.id, exp: EXP });
    const reviewerLink = signLink(h.key, { campaign: h.campaign.id, reviewer: CONTROLLER, exp: EXP });
    // Act
    const ok = await h.app(req('GET', `/o/${good}`));
    const refused = await Promise.all(
      [expired, otherKey, reviewerLink, 'x.y'].map((t) => h.app(req('GET', `/o/${t}`))),
    );
    // An owner link is not a reviewer link either.
    const asReviewer = await h.app(req('GET', `/l/${good}`));
    // Assert
    expect(ok.headers.location).toBe(`/o/c/${h.campaign.id}`);
    expect(ok.cookies[0]).toMatch(
      new RegExp(`^${OWNER_COOKIE}=[^;]+; Path=/o; HttpOnly; SameSite=Strict; Max-Age=28800$`),
    );
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(refused.every((r) => r.cookies.length === 0)).toBe(true);
    expect(asReviewer.status).toBe(401);
    expect(ok.headers['content-security-policy']).toContain("default-src 'none'");
    expect(h.audit.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'owner-session-opened:ok',
      ...Array(4).fill('owner-session-opened:refused'),
      'session-opened:refused',
    ]);
    expect(h.audit[0]).toMatchObject({
      owner: CONTROLLER,
      campaign: h.campaign.id,
      sid: 'session-id-00000001',
    });
  });

  it('shows progress per reviewer (decided, undecided, overdue) and each reviewer link', async () => {
    // Arrange: the controller decides two items; the AWS owner nothing.
    const mine = h.campaign.items.filter((i) => i.reviewer === CONTROLLER);
    const aws = h.campaign.items.filter((i) => i.reviewer === AWS_OWNER);
    await h.store.update(h.campaign.id, (c) =>
      decide(
        c,
        [itemOf(c, 'U-ALICE', 'R-DISPLAY').id, itemOf(c, 'SVC-BATCH', 'R-DISPLAY').id],
        { outcome: 'keep', by: CONTROLLER },
        NOW,
      ),
    );
    const { cookie } = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    // Act
    const before = await h.app(req('GET', `/o/c/${h.campaign.id}`, { cookie }));
    h.clock.now = new Date('2027-01-02T00:00:00.000Z');
    const after = await h.app(req('GET', `/o/c/${h.campaign.id}`, { cookie: await relogin(h, CONTROLLER) }));
    // Assert: items, decided, undecided, overdue (then the last notice).
    expect(rowOf(before, CONTROLLER)!.slice(0, 4)).toEqual([
      `${mine.length}`,
      '2',
      `${mine.length - 2}`,
      '0',
    ]);
    expect(rowOf(before, AWS_OWNER)!.slice(0, 4)).toEqual([`${aws.length}`, '0', `${aws.length}`, '0']);
    expect(rowOf(after, CONTROLLER)!.slice(0, 4)).toEqual([
      `${mine.length}`,
      '2',
      `${mine.length - 2}`,
      `${mine.length - 2}`,
    ]);
    expect(rowOf(after, AWS_OWNER)![3]).toBe(`${aws.length}`);
    expect(before.body).toContain(`${2} of ${h.campaign.items.length} decided`);
    expect(before.body).toMatch(
      new RegExp(`${AWS_OWNER.replace('.', '\\.')}: <code>http://127\\.0\\.0\\.1:8417/l/`),
    );
    expect(after.body).toContain('open, overdue');
    expect(before.body).not.toMatch(/<script|style=|https?:\/\/(?!127\.0\.0\.1:8417\/l\/)/);
    for (const id of ['force', 'rationale']) expect(before.body, id).toContain(`<label for="${id}"`);
  });

  it('refuses to close with undecided items, or forced without a rationale; closes forced with one', async () => {
    // Arrange
    const { cookie, csrf } = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const close = (fields: [string, string][]) =>
      h.app(req('POST', `/o/c/${h.campaign.id}/close`, { cookie, body: form([['csrf', csrf], ...fields]) }));
    // Act
    const plain = await close([]);
    const noWhy = await close([['force', 'yes']]);
    const forced = await close([
      ['force', 'yes'],
      ['rationale', 'AWS owner left; items move to Q1'],
    ]);
    const again = await close([
      ['force', 'yes'],
      ['rationale', 'AWS owner left; items move to Q1'],
    ]);
    // Assert
    expect([plain.status, noWhy.status, forced.status, again.status]).toEqual([400, 400, 303, 400]);
    expect(plain.body).toMatch(/item\(s\) undecided.*close with force and a rationale/);
    expect(noWhy.body).toMatch(/Rationale: closing campaign .* needs a rationale/);
    expect(noWhy.body).toContain('id="force" name="force" value="yes" checked');
    const closed = (await h.store.get(h.campaign.id))!;
    expect(closed.status).toBe('closed');
    expect(closed.closed).toMatchObject({
      by: CONTROLLER,
      forced: true,
      rationale: 'AWS owner left; items move to Q1',
      undecided: h.campaign.items.length,
    });
    const page = await h.app(req('GET', forced.headers.location!, { cookie }));
    expect(page.body).toContain('Campaign closed.');
    expect(page.body).not.toContain('action="/o/c/');
    expect(h.audit.filter((e) => e.action === 'close').map((e) => `${e.outcome}:${e.status}`)).toEqual([
      'refused:400',
      'refused:400',
      'ok:303',
      'refused:400',
    ]);
  });

  it('sends the reminders due from the progress page, once, into the outbox', async () => {
    // Arrange: due 2026-12-31; the 3-day reminders are due from 12-28.
    const first = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const remind = (s: { cookie: string; csrf: string }) =>
      h.app(
        req('POST', `/o/c/${h.campaign.id}/remind`, { cookie: s.cookie, body: form([['csrf', s.csrf]]) }),
      );
    // Act
    const early = await remind(first);
    const earlyPage = await h.app(req('GET', early.headers.location!, { cookie: first.cookie }));
    h.clock.now = new Date('2026-12-28T09:00:00.000Z');
    // Sessions last 8 hours: sign in again.
    const later = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const sent = await remind(later);
    const twice = await remind(later);
    const page = later.page;
    // Assert
    expect(earlyPage.body).toMatch(/0 notice\(s\) sent\./);
    expect(earlyPage.body).toMatch(/No reminder is due now; the next one is due 2026-12-28/);
    expect(page.body).toMatch(/2 reminder\(s\) or escalation\(s\) are due now/);
    expect(sent.headers.location).toBe(`/o/c/${h.campaign.id}?done=reminded&n=2`);
    expect(twice.headers.location).toBe(`/o/c/${h.campaign.id}?done=reminded&n=0`);
    const c = (await h.store.get(h.campaign.id))!;
    expect(c.notices?.map((n) => [n.kind, n.to, n.via])).toEqual([
      ['reminder', AWS_OWNER, 'outbox'],
      ['reminder', CONTROLLER, 'outbox'],
    ]);
    expect(readdirSync(join(h.stateDir, 'outbox'))).toHaveLength(2);
    expect(h.audit.filter((e) => e.action === 'remind').map((e) => e.detail)).toEqual([
      '0 sent',
      `2 sent: reminder to ${AWS_OWNER}, reminder to ${CONTROLLER}`,
      '0 sent',
    ]);
  });

  it('starts a campaign from the form with the same code as the CLI, naming the field of a mistake', async () => {
    // Arrange: a link without a campaign may start campaigns.
    const { cookie, csrf, page: home } = await ownerSignIn(h, { owner: CFO });
    const post = (fields: [string, string][]) =>
      h.app(req('POST', '/o/new', { cookie, body: form([['csrf', csrf], ...fields]) }));
    const fields: [string, string][] = [
      ['name', 'Q4 payments (web)'],
      ['due', '2026-12-31'],
      ['source', 'erp-test'],
      ['privilegedOnly', 'yes'],
      ['financialOnly', 'yes'],
      ['entitlements', 'AP *\n'],
      ['sourceReviewers', 'erp-test=controller@example.com'],
      ['fallback', AWS_OWNER],
    ];
    // Act
    const formPage = await h.app(req('GET', '/o/new', { cookie }));
    const bad = await post([
      ['name', 'Broken'],
      ['due', '2026-12-31'],
      ['sourceReviewers', 'erp-test controller@example.com'],
    ]);
    const unknown = await post([
      ['name', 'Broken'],
      ['due', '2026-12-31'],
      ['source', 'nope'],
      ['reviewer', CONTROLLER],
    ]);
    const ok = await post(fields);
    // Assert
    expect(home.body).toContain('href="/o/new"');
    expect(formPage.status).toBe(200);
    expect(formPage.body).toContain('value="erp-test" id="source-');
    expect(formPage.body).toMatch(/erp-test <span class="meta">\(erp, complete, financially significant\)/);
    for (const id of [
      'name',
      'due',
      'entitlements',
      'reviewer',
      'fallback',
      'sourceReviewers',
      'entitlementReviewers',
    ])
      expect(formPage.body, id).toContain(`<label for="${id}">`);
    expect(bad.status).toBe(400);
    expect(bad.body).toContain(
      'Source reviewers: &quot;erp-test controller@example.com&quot; is not SOURCE=EMAIL',
    );
    expect(bad.body).toContain('value="Broken"');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatch(/Sources: unknown source &quot;nope&quot;/);
    expect(ok.status).toBe(303);
    const id = /^\/o\/c\/([^?]+)\?done=created$/.exec(ok.headers.location!)?.[1];
    const created = (await h.store.get(id!))!;
    // The CLI's path (core createCampaign over the same pack and store) gives the same items.
    const cli = await createCampaign(
      { latestPack: async () => pack(), openFindings: async () => [] },
      SqliteReviewStore.open({ file: ':memory:' }),
      {
        name: 'Q4 payments (web)',
        createdBy: CFO,
        dueAt: '2026-12-31',
        scope: {
          sources: ['erp-test'],
          entitlements: ['AP *'],
          privilegedOnly: true,
          financialOnly: true,
        },
        reviewers: { bySource: { 'erp-test': CONTROLLER }, byEntitlement: [], fallback: AWS_OWNER },
      },
      NOW,
    );
    expect(created).toEqual(cli.campaign);
    expect(created.createdBy).toBe(CFO);
    expect(created.items.map((i) => i.entitlementName)).toEqual(['AP Payment Release', 'AP Payment Release']);
    const progress = await h.app(req('GET', ok.headers.location!, { cookie }));
    expect(progress.body).toContain('Campaign started: 2 item(s) to review.');
    expect(
      h.audit.filter((e) => e.action === 'campaign-create').map((e) => `${e.outcome}:${e.status}`),
    ).toEqual(['refused:400', 'refused:400', 'ok:303']);
  });

  it('lets a reviewer session reach no owner route (with the reviewer cookie, as an owner cookie, or none)', async () => {
    // Arrange
    const reviewer = await reviewerSignIn(h, CONTROLLER);
    const sessionToken = reviewer.cookie.slice(`${SESSION_COOKIE}=`.length);
    const forged = signSession(h.key, {
      campaign: h.campaign.id,
      reviewer: CONTROLLER,
      exp: EXP,
      sid: 'forged-session-0001',
    });
    const cookies: [string, string | undefined][] = [
      ['reviewer cookie', reviewer.cookie],
      ['reviewer session as owner cookie', `${OWNER_COOKIE}=${sessionToken}`],
      ['reviewer session signed anew as owner cookie', `${OWNER_COOKIE}=${forged}`],
      ['reviewer link as owner cookie', `${OWNER_COOKIE}=${reviewer.link}`],
      ['no cookie', undefined],
    ];
    const before = JSON.stringify(await h.store.list());
    const auditBefore = h.audit.length;
    // Act
    const results: [string, number][] = [];
    for (const [what, cookie] of cookies) {
      for (const route of OWNER_ROUTES) {
        const path = route.path.replace(':campaign', h.campaign.id).replace(':token', reviewer.link);
        const res = await h.app(
          req(route.method, path, {
            ...(cookie ? { cookie } : {}),
            body: route.method === 'POST' ? ownerBody(path, reviewer.csrf) : '',
          }),
        );
        results.push([`${what}: ${route.method} ${route.path}`, res.status]);
        expect(res.cookies, `${what}: ${route.method} ${route.path}`).toEqual([]);
      }
    }
    // Assert
    for (const [what, status] of results) expect([401, 403, 404], what).toContain(status);
    expect(JSON.stringify(await h.store.list())).toBe(before);
    const refusals = h.audit.slice(auditBefore);
    const posts = OWNER_ROUTES.filter((r) => r.method === 'POST').length;
    // Every POST (and the link sign-in) was audited as refused; nothing else was audited.
    expect(refusals.every((e) => e.outcome === 'refused')).toBe(true);
    expect(refusals).toHaveLength(cookies.length * (posts + 1));
  });

  it('gives an owner link for one campaign nothing on another, and an owner nothing on campaigns of others', async () => {
    // Arrange: scoped to h.campaign; both other campaigns are targets (one started by the same owner).
    const scoped = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const unscoped = await ownerSignIn(h, { owner: CONTROLLER });
    const before = JSON.stringify(await h.store.list());
    const auditBefore = h.audit.length;
    const attempts: [string, { cookie: string; csrf: string }, string][] = [
      ['scoped owner on the second campaign', scoped, h.second.id],
      ['scoped owner on another owner campaign', scoped, h.foreign.id],
      ['owner on another owner campaign', unscoped, h.foreign.id],
    ];
    // Act
    const results: [string, number][] = [];
    for (const [what, s, target] of attempts) {
      for (const route of OWNER_ROUTES.filter((r) => r.path.includes(':campaign'))) {
        const path = route.path.replace(':campaign', target);
        const res = await h.app(
          req(route.method, path, {
            cookie: s.cookie,
            body: route.method === 'POST' ? ownerBody(path, s.csrf) : '',
          }),
        );
        results.push([`${what}: ${route.method} ${path}`, res.status]);
      }
    }
    // A scoped link cannot start campaigns, nor list others.
    results.push([
      'scoped GET /o/new',
      (await h.app(req('GET', '/o/new', { cookie: scoped.cookie }))).status,
    ]);
    results.push([
      'scoped POST /o/new',
      (await h.app(req('POST', '/o/new', { cookie: scoped.cookie, body: ownerBody('/o/new', scoped.csrf) })))
        .status,
    ]);
    const scopedHome = await h.app(req('GET', '/o', { cookie: scoped.cookie }));
    const unscopedHome = await h.app(req('GET', '/o', { cookie: unscoped.cookie }));
    // Assert
    for (const [what, status] of results) expect([403, 404], what).toContain(status);
    expect(JSON.stringify(await h.store.list())).toBe(before);
    expect(h.audit.slice(auditBefore).every((e) => e.outcome === 'refused')).toBe(true);
    expect(scopedHome.headers.location).toBe(`/o/c/${h.campaign.id}`);
    expect(unscopedHome.body).toContain(`/o/c/${h.campaign.id}`);
    expect(unscopedHome.body).toContain(`/o/c/${h.second.id}`);
    expect(unscopedHome.body).not.toContain(h.foreign.id);
    // The same sessions do reach their own campaign: the refusals are about access, not routes.
    expect((await h.app(req('GET', `/o/c/${h.campaign.id}`, { cookie: scoped.cookie }))).status).toBe(200);
    expect((await h.app(req('GET', `/o/c/${h.second.id}`, { cookie: unscoped.cookie }))).status).toBe(200);
  });

  it('refuses owner POSTs without the owner CSRF token, of the wrong type or too large', async () => {
    // Arrange
    const { cookie, csrf } = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const reviewer = await reviewerSignIn(h, CONTROLLER);
    const url = `/o/c/${h.campaign.id}/close`;
    const fields: [string, string][] = [
      ['force', 'yes'],
      ['rationale', 'closing for the CSRF test'],
    ];
    // Act
    const statuses = [
      (await h.app(req('POST', url, { cookie, body: form(fields) }))).status,
      (await h.app(req('POST', url, { cookie, body: form([['csrf', reviewer.csrf], ...fields]) }))).status,
      (await h.app(req('POST', url, { cookie, body: form([['csrf', csrf], ...fields]), type: 'text/plain' })))
        .status,
      (
        await h.app(
          req('POST', url, {
            cookie,
            body: `${form([['csrf', csrf], ...fields])}&pad=${'a'.repeat(70_000)}`,
          }),
        )
      ).status,
    ];
    // Assert
    expect(statuses).toEqual([403, 403, 415, 413]);
    expect((await h.store.get(h.campaign.id))!.status).toBe('open');
  });

  it('lets an owner session reach no reviewer route, and every reviewer route is walked', async () => {
    // Arrange
    const owner = await ownerSignIn(h, { owner: CONTROLLER, campaign: h.campaign.id });
    const item = itemOf(h.campaign, 'U-ALICE', 'R-AP-PAY').id;
    const before = JSON.stringify(await h.store.list());
    // Act
    const results: [string, number][] = [];
    for (const route of REVIEWER_ROUTES) {
      if (route.path === '/l/:token') continue; // a link, not a session: tested with owner links above
      const path = route.path.replace(':campaign', h.campaign.id).replace(':item', item);
      const res = await h.app(
        req(route.method, path, {
          cookie: owner.cookie,
          body:
            route.method === 'POST'
              ? form([
                  ['csrf', owner.csrf],
                  ['item', item],
                  ['action', 'keep'],
                  ['note', 'x'],
                ])
              : '',
          ...(route.path.endsWith('/upload') ? { type: 'multipart/form-data; boundary=x' } : {}),
        }),
      );
      results.push([`${route.method} ${route.path}`, res.status]);
    }
    // Assert: `/` without a reviewer session says "sign in"; everything else refuses.
    for (const [what, status] of results) expect([401, 403, 404], what).toContain(status);
    expect(JSON.stringify(await h.store.list())).toBe(before);
  });
});

describe('campaign owner screens in AWS (signIn: verified)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness({ signIn: 'verified', owners: [CONTROLLER.toUpperCase()] });
  });
  afterEach(async () => {
    await h.store.close();
    rmSync(h.stateDir, { recursive: true, force: true });
  });
  const as = (email: string, sid = `sid-of-${email}`) => ({ verified: { reviewer: email, sid } });

  it('lets in only a configured owner by the verified email; owner links, owner cookies and anyone else get nothing', async () => {
    // Arrange: a valid owner link and owner cookie of CONTROLLER, which only count locally.
    const link = signOwnerLink(h.key, { owner: CONTROLLER, exp: EXP });
    const cookie = `${OWNER_COOKIE}=${signOwnerSession(h.key, {
      role: 'owner',
      owner: CONTROLLER,
      exp: EXP,
      sid: 'owner-session-00001',
    })}`;
    const owner = await h.app(req('GET', '/o/new', as(CONTROLLER)));
    const callers: [string, { verified?: { reviewer: string; sid: string }; cookie?: string }][] = [
      ['a verified reviewer', as(AWS_OWNER)],
      ['a verified reviewer with the owner cookie', { ...as(AWS_OWNER), cookie }],
      ['the owner cookie without a verified identity', { cookie }],
      ['nobody', {}],
    ];
    const before = JSON.stringify(await h.store.list());
    const auditBefore = h.audit.length;
    // Act
    const results: [string, number][] = [];
    for (const [what, init] of callers) {
      for (const route of OWNER_ROUTES) {
        const path = route.path.replace(':campaign', h.campaign.id).replace(':token', link);
        const res = await h.app(
          req(route.method, path, {
            ...init,
            body: route.method === 'POST' ? ownerBody(path, csrfOf(owner)!) : '',
          }),
        );
        results.push([`${what}: ${route.method} ${route.path}`, res.status]);
        expect(res.cookies, `${what}: ${route.method} ${route.path}`).toEqual([]);
      }
    }
    const ownerLink = await h.app(req('GET', `/o/${link}`, as(CONTROLLER)));
    // Assert
    for (const [what, status] of results) expect([401, 403, 404], what).toContain(status);
    expect(results.filter(([w]) => w.startsWith('a verified reviewer')).map(([, s]) => s)).not.toContain(200);
    expect(ownerLink.status).toBe(404);
    expect(ownerLink.cookies).toEqual([]);
    expect(JSON.stringify(await h.store.list())).toBe(before);
    const refusals = h.audit.slice(auditBefore);
    const posts = OWNER_ROUTES.filter((r) => r.method === 'POST').length;
    // Every POST was audited as refused, naming the verified caller when there was one.
    expect(refusals).toHaveLength(callers.length * posts);
    expect(refusals.every((e) => e.outcome === 'refused')).toBe(true);
    expect(refusals.filter((e) => e.reviewer === AWS_OWNER)).toHaveLength(2 * posts);
    expect(refusals.filter((e) => e.detail === 'not a campaign owner')).toHaveLength(2 * posts);
  });

  it('serves the owner the same pages: own campaigns only, start, close; the CSRF token is of this sign-in', async () => {
    // Arrange
    const home = await h.app(req('GET', '/o', as(CONTROLLER)));
    const csrf = csrfOf(home)!;
    const url = `/o/c/${h.campaign.id}/close`;
    const fields: [string, string][] = [
      ['force', 'yes'],
      ['rationale', 'closing in AWS'],
    ];
    const reviewer = await h.app(req('GET', `/c/${h.campaign.id}`, as(CONTROLLER)));
    // Act
    const foreign = await h.app(req('GET', `/o/c/${h.foreign.id}`, as(CONTROLLER)));
    const otherSignIn = await h.app(
      req('POST', url, { ...as(CONTROLLER, 'another-sign-in'), body: form([['csrf', csrf], ...fields]) }),
    );
    const reviewerToken = await h.app(
      req('POST', url, { ...as(CONTROLLER), body: form([['csrf', csrfOf(reviewer)!], ...fields]) }),
    );
    const closed = await h.app(
      req('POST', url, { ...as(CONTROLLER), body: form([['csrf', csrf], ...fields]) }),
    );
    const logout = await h.app(req('POST', '/o/logout', { ...as(CONTROLLER), body: form([['csrf', csrf]]) }));
    // Assert
    expect(home.status).toBe(200);
    expect(home.body).toContain(`/o/c/${h.campaign.id}`);
    expect(home.body).not.toContain(h.foreign.id);
    expect(home.body).toContain('id="new-campaign"');
    expect(foreign.status).toBe(404);
    expect([otherSignIn.status, reviewerToken.status]).toEqual([403, 403]);
    expect(closed.status).toBe(303);
    expect((await h.store.get(h.campaign.id))!.closed).toMatchObject({ by: CONTROLLER, forced: true });
    expect(h.audit.at(-2)).toMatchObject({ action: 'close', outcome: 'ok', owner: CONTROLLER });
    expect(logout.headers.location).toBe('/auth/logout');
  });

  it('starts a campaign with an owners.yaml pasted into the form (no catalog is deployed), refusing a bad one by line', async () => {
    // Arrange
    const home = await h.app(req('GET', '/o', as(CONTROLLER)));
    const post = (ownersYaml: string) =>
      h.app(
        req('POST', '/o/new', {
          ...as(CONTROLLER),
          body: form([
            ['csrf', csrfOf(home)!],
            ['name', 'Pasted catalog'],
            ['due', '2026-12-31'],
            ['reviewer', CONTROLLER],
            ['ownersYaml', ownersYaml],
          ]),
        }),
      );
    const good = "entitlements:\n  - match: 'AP *'\n    owner: ap.owner@example.com\n";
    // Act
    const bad = await post(good.replace('ap.owner@example.com', 'not-an-email'));
    const started = await post(good);
    // Assert
    expect(bad.status).toBe(400);
    expect(bad.body).toMatch(/owners\.yaml:3 \(entitlements\[0\]\.owner\): must be an email address/);
    expect(started.status).toBe(303);
    const id = decodeURIComponent(/\/o\/c\/([^?]+)/.exec(started.headers.location!)![1]!);
    const created = (await h.store.get(id))!;
    expect(itemOf(created, 'U-BOB', 'R-AP-PAY').reviewer).toBe('ap.owner@example.com');
    expect(itemOf(created, 'U-ALICE', 'R-DISPLAY').reviewer).toBe(CONTROLLER);
  });
});

/** A fresh owner session at the harness's current time (sessions last 8 hours). */
async function relogin(h: Harness, owner: string): Promise<string> {
  const res = await h.app(
    req('GET', `/o/${signOwnerLink(h.key, { owner, campaign: h.campaign.id, exp: EXP })}`),
  );
  return res.cookies[0]!.split(';')[0]!;
}
