/**
 * The reviewer app's handlers against a real (in-memory SQLite) review store: sign-in by link,
 * what a reviewer sees, deciding in bulk, delegating, and the security checks — every endpoint
 * tried with another reviewer's ids, CSRF, body size, content type, session expiry, audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Campaign } from '../../../../../core/reviews/model';
import {
  type AuditEntry,
  createReviewApp,
  maxBodyBytesFor,
  REVIEWER_ROUTES,
  type ReviewApp,
  SESSION_COOKIE,
} from '../../../../../core/reviews/web/app';
import type { AppRequest, AppResponse } from '../../../../../core/reviews/web/http';
import { signLink, signSession } from '../../../../../core/reviews/web/tokens';
import { SqliteReviewStore } from '../../../../../stores/sqlite-reviews/sqlite-review-store';
import { CONTROLLER, itemOf, startedCampaign } from '../review-fixture';

const AWS_OWNER = 'aws.owner@example.com';
const NOW = new Date('2026-10-05T09:00:00.000Z');

interface Harness {
  app: ReviewApp;
  store: SqliteReviewStore;
  audit: AuditEntry[];
  campaign: Campaign;
  clock: { now: Date };
  key: Uint8Array;
}

async function harness(): Promise<Harness> {
  const store = SqliteReviewStore.open({ file: ':memory:' });
  // ERP grants to the controller, AWS grants to the AWS owner: two reviewers of one campaign.
  const campaign = startedCampaign({
    reviewers: { default: CONTROLLER, bySource: { 'aws-test': AWS_OWNER } },
  });
  await store.create(campaign);
  const audit: AuditEntry[] = [];
  const clock = { now: NOW };
  const key = randomBytes(32);
  let n = 0;
  const app = createReviewApp({
    store,
    key,
    now: () => clock.now,
    newId: () => `session-id-${String(++n).padStart(8, '0')}`,
    audit: async (e) => {
      audit.push(e);
    },
  });
  return { app, store, audit, campaign, clock, key };
}

function req(
  method: string,
  url: string,
  init: { cookie?: string; body?: string; type?: string } = {},
): AppRequest {
  const u = new URL(url, 'http://127.0.0.1');
  const headers: AppRequest['headers'] = {};
  if (init.cookie) headers.cookie = init.cookie;
  if (method === 'POST') headers['content-type'] = init.type ?? 'application/x-www-form-urlencoded';
  return { method, path: u.pathname, query: u.searchParams, headers, body: init.body ?? '' };
}

/** Signs in by link and returns the cookie header and the page's CSRF token. */
async function signIn(h: Harness, reviewer: string): Promise<{ cookie: string; csrf: string }> {
  const link = signLink(h.key, { campaign: h.campaign.id, reviewer, exp: '2027-01-07T00:00:00.000Z' });
  const res = await h.app(req('GET', `/l/${link}`));
  expect(res.status).toBe(303);
  const cookie = res.cookies[0]!.split(';')[0]!;
  const list = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie }));
  const csrf = /name="csrf" value="([^"]+)"/.exec(list.body)?.[1];
  expect(csrf).toBeDefined();
  return { cookie, csrf: csrf! };
}

function form(fields: [string, string][]): string {
  return new URLSearchParams(fields).toString();
}

const shownItems = (res: AppResponse) =>
  [...res.body.matchAll(/<tr data-item="([0-9a-f]+)"/g)].map((m) => m[1]);

describe('reviewer app', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness();
  });
  afterEach(async () => {
    await h.store.close();
  });

  it('exchanges a signed link for a strict session cookie, and refuses forged or expired links', async () => {
    // Arrange
    const good = signLink(h.key, {
      campaign: h.campaign.id,
      reviewer: CONTROLLER,
      exp: '2027-01-07T00:00:00.000Z',
    });
    const expired = signLink(h.key, {
      campaign: h.campaign.id,
      reviewer: CONTROLLER,
      exp: '2026-10-01T00:00:00.000Z',
    });
    const other = signLink(randomBytes(32), {
      campaign: h.campaign.id,
      reviewer: CONTROLLER,
      exp: '2027-01-07T00:00:00.000Z',
    });
    const [payload] = good.split('.');
    const tampered = `${Buffer.from(
      Buffer.from(payload!, 'base64url').toString().replace(CONTROLLER, AWS_OWNER),
    ).toString('base64url')}.${good.split('.')[1]}`;
    // Act
    const ok = await h.app(req('GET', `/l/${good}`));
    const refused = await Promise.all(
      [expired, other, tampered, 'x.y'].map((t) => h.app(req('GET', `/l/${t}`))),
    );
    // A session cookie is not a link, and a link is not a session cookie.
    const asCookie = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie: `${SESSION_COOKIE}=${good}` }));
    // Assert
    expect(ok.headers.location).toBe(`/c/${h.campaign.id}`);
    expect(ok.cookies[0]).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800$`),
    );
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(refused.every((r) => r.cookies.length === 0)).toBe(true);
    expect(asCookie.status).toBe(401);
    expect(h.audit.map((e) => `${e.action}:${e.outcome}`)).toEqual([
      'session-opened:ok',
      ...Array(4).fill('session-opened:refused'),
    ]);
  });

  it('shows a reviewer only their items, with context, and filters and sorts them', async () => {
    // Arrange
    const { cookie } = await signIn(h, CONTROLLER);
    const mine = h.campaign.items.filter((i) => i.reviewer === CONTROLLER).map((i) => i.id);
    // Act
    const all = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie }));
    const privileged = await h.app(
      req('GET', `/c/${h.campaign.id}?privileged=yes&sort=entitlement`, { cookie }),
    );
    const search = await h.app(req('GET', `/c/${h.campaign.id}?q=ortiz`, { cookie }));
    // Assert
    expect(all.status).toBe(200);
    expect(shownItems(all).sort()).toEqual([...mine].sort());
    expect(all.body).not.toContain('AdministratorAccess'); // the AWS owner's item
    expect(shownItems(privileged)).toEqual([
      itemOf(h.campaign, 'U-ALICE', 'R-AP-PAY').id,
      itemOf(h.campaign, 'U-BOB', 'R-AP-PAY').id,
    ]);
    expect(shownItems(search)).toEqual(
      h.campaign.items
        .filter((i) => i.reviewer === CONTROLLER && i.principal.endsWith('U-BOB'))
        .map((i) => i.id),
    );
    expect(all.headers['content-security-policy']).toContain("default-src 'none'");
    expect(all.body).not.toMatch(/<script|style=|https?:\/\//);
    for (const id of ['q', 'status', 'privileged', 'sort', 'note', 'to', 'reason'])
      expect(all.body, id).toContain(`<label for="${id}">`);
  });

  it('keeps and revokes in bulk with one note, refuses a revoke without a note, and delegates', async () => {
    // Arrange
    const { cookie, csrf } = await signIn(h, CONTROLLER);
    const alicePay = itemOf(h.campaign, 'U-ALICE', 'R-AP-PAY').id;
    const bobPay = itemOf(h.campaign, 'U-BOB', 'R-AP-PAY').id;
    const svc = itemOf(h.campaign, 'SVC-BATCH', 'R-DISPLAY').id;
    const post = (fields: [string, string][]) =>
      h.app(req('POST', `/c/${h.campaign.id}/decide`, { cookie, body: form([['csrf', csrf], ...fields]) }));
    // Act
    const kept = await post([
      ['item', alicePay],
      ['item', bobPay],
      ['action', 'keep'],
      ['note', 'AP team, Q4 close'],
    ]);
    const noNote = await post([
      ['item', svc],
      ['action', 'revoke'],
    ]);
    const revoked = await post([
      ['item', svc],
      ['action', 'revoke'],
      ['note', 'batch job retired'],
    ]);
    const delegated = await post([
      ['item', bobPay],
      ['action', 'delegate'],
      ['to', 'ap.lead@example.com'],
      ['reason', 'owns AP'],
    ]);
    // Assert
    expect([kept.status, noNote.status, revoked.status, delegated.status]).toEqual([303, 400, 303, 303]);
    expect(noNote.body).toMatch(/a revocation needs a note saying why/);
    expect(noNote.body).toContain(`value="${svc}" id="item-${svc}" checked`);
    const c = (await h.store.get(h.campaign.id))!;
    const item = (id: string) => c.items.find((i) => i.id === id)!;
    expect(item(alicePay).decision).toMatchObject({
      outcome: 'keep',
      by: CONTROLLER,
      channel: 'web',
      note: 'AP team, Q4 close',
    });
    expect(item(svc).decision).toMatchObject({
      outcome: 'revoke',
      channel: 'web',
      note: 'batch job retired',
    });
    expect(item(bobPay).reviewer).toBe('ap.lead@example.com');
    expect(item(bobPay).decision).toBeUndefined();
    expect(item(bobPay).delegations).toEqual([
      {
        from: CONTROLLER,
        to: 'ap.lead@example.com',
        at: NOW.toISOString(),
        reason: 'owns AP',
        channel: 'web',
      },
    ]);
    const page = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie }));
    expect(shownItems(page)).not.toContain(bobPay);
    expect(
      h.audit.filter((e) => e.action !== 'session-opened').map((e) => `${e.action}:${e.outcome}:${e.status}`),
    ).toEqual(['decide:ok:303', 'decide:refused:400', 'decide:ok:303', 'delegate:ok:303']);
  });

  it("answers every endpoint 403/404 for another reviewer's items and another campaign, changing nothing", async () => {
    // Arrange: the AWS owner tries the controller's items.
    const { cookie, csrf } = await signIn(h, AWS_OWNER);
    const foreign = h.campaign.items.filter((i) => i.reviewer === CONTROLLER).map((i) => i.id);
    const mine = h.campaign.items.find((i) => i.reviewer === AWS_OWNER)!.id;
    const before = JSON.stringify(await h.store.get(h.campaign.id));
    const otherCampaign = await h.store.create({ ...h.campaign, id: 'rev-other' }).then(() => 'rev-other');
    // Act
    const results: [string, number][] = [];
    for (const id of foreign) {
      results.push([
        `GET item ${id}`,
        (await h.app(req('GET', `/c/${h.campaign.id}/items/${id}`, { cookie }))).status,
      ]);
      for (const action of ['keep', 'revoke', 'delegate']) {
        const body = form([
          ['csrf', csrf],
          ['item', id],
          ['action', action],
          ['note', 'x'],
          ['to', 'z@example.com'],
          ['reason', 'r'],
        ]);
        results.push([
          `POST ${action} ${id}`,
          (await h.app(req('POST', `/c/${h.campaign.id}/decide`, { cookie, body }))).status,
        ]);
      }
      // Mixed with one of the reviewer's own items: all or nothing.
      const mixed = form([
        ['csrf', csrf],
        ['item', mine],
        ['item', id],
        ['action', 'keep'],
        ['note', 'x'],
      ]);
      results.push([
        `POST mixed ${id}`,
        (await h.app(req('POST', `/c/${h.campaign.id}/decide`, { cookie, body: mixed }))).status,
      ]);
    }
    results.push(['GET other campaign', (await h.app(req('GET', `/c/${otherCampaign}`, { cookie }))).status]);
    results.push([
      'GET other campaign item',
      (await h.app(req('GET', `/c/${otherCampaign}/items/${mine}`, { cookie }))).status,
    ]);
    results.push([
      'POST other campaign',
      (
        await h.app(
          req('POST', `/c/${otherCampaign}/decide`, {
            cookie,
            body: form([
              ['csrf', csrf],
              ['item', mine],
              ['action', 'keep'],
            ]),
          }),
        )
      ).status,
    ]);
    // Assert
    for (const [what, status] of results) expect([403, 404], what).toContain(status);
    expect(JSON.stringify(await h.store.get(h.campaign.id))).toBe(before);
    expect((await h.store.get(otherCampaign))!.items.every((i) => !i.decision)).toBe(true);
    expect(h.audit.filter((e) => e.action !== 'session-opened').every((e) => e.outcome === 'refused')).toBe(
      true,
    );
    // The own item is reachable: the refusals above are about ownership, not a broken route.
    expect((await h.app(req('GET', `/c/${h.campaign.id}/items/${mine}`, { cookie }))).status).toBe(200);
  });

  it("walks every reviewer route with another reviewer's item ids and another campaign: nothing of theirs is shown or changed", async () => {
    // Arrange: the AWS owner's session; the controller's items and a second campaign are the targets.
    const { cookie, csrf } = await signIn(h, AWS_OWNER);
    const foreign = h.campaign.items.filter((i) => i.reviewer === CONTROLLER);
    await h.store.create({ ...h.campaign, id: 'rev-other' });
    const before = JSON.stringify(await h.store.list());
    const bodyFor = (path: string, id: string) =>
      path.endsWith('/upload')
        ? `--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${csrf}\r\n--b--\r\n`
        : form([
            ['csrf', csrf],
            ['item', id],
            ['action', 'revoke'],
            ['note', 'x'],
            ['campaign', 'rev-other'],
          ]);
    // Act
    const seen: [string, AppResponse][] = [];
    for (const route of REVIEWER_ROUTES) {
      if (route.path === '/l/:token' || route.path === '/' || route.path === '/logout') continue;
      for (const campaign of [h.campaign.id, 'rev-other']) {
        for (const item of foreign) {
          const path = route.path.replace(':campaign', campaign).replace(':item', item.id);
          const res = await h.app(
            req(route.method, path, {
              cookie,
              body: route.method === 'POST' ? bodyFor(path, item.id) : '',
              ...(path.endsWith('/upload') ? { type: 'multipart/form-data; boundary=b' } : {}),
            }),
          );
          seen.push([`${route.method} ${path}`, res]);
        }
      }
    }
    // Assert: the reviewer's own list and workbook (200) hold none of the foreign items; the rest refuse.
    const walked = new Set(
      seen.map(([what]) => what.replace(/\/c\/[^/]+/, '/c/:campaign').replace(/[0-9a-f]{12}$/, ':item')),
    );
    for (const route of REVIEWER_ROUTES.filter((r) => !['/l/:token', '/', '/logout'].includes(r.path)))
      expect(walked, route.path).toContain(`${route.method} ${route.path}`);
    for (const [what, res] of seen) {
      if (res.status === 200) {
        expect(what).toMatch(new RegExp(`^GET /c/${h.campaign.id}(/download)?$`));
        const text = res.isBase64Encoded ? (await workbookIds(res.body)).join(' ') : res.body;
        for (const item of foreign) expect(text, what).not.toContain(item.id);
      } else expect([400, 401, 403, 404], what).toContain(res.status);
    }
    expect(JSON.stringify(await h.store.list())).toBe(before);
  });

  it('refuses state changes without the CSRF token, without a session, of the wrong type or too large', async () => {
    // Arrange
    const { cookie, csrf } = await signIn(h, CONTROLLER);
    const id = itemOf(h.campaign, 'U-ALICE', 'R-DISPLAY').id;
    const url = `/c/${h.campaign.id}/decide`;
    const ok = form([
      ['csrf', csrf],
      ['item', id],
      ['action', 'keep'],
    ]);
    const otherSession = signSession(h.key, {
      campaign: h.campaign.id,
      reviewer: CONTROLLER,
      exp: '2027-01-01T00:00:00.000Z',
      sid: 'another-session-0001',
    });
    // Act
    const statuses = [
      (
        await h.app(
          req('POST', url, {
            cookie,
            body: form([
              ['item', id],
              ['action', 'keep'],
            ]),
          }),
        )
      ).status,
      (
        await h.app(
          req('POST', url, {
            cookie,
            body: form([
              ['csrf', 'forged'],
              ['item', id],
              ['action', 'keep'],
            ]),
          }),
        )
      ).status,
      (await h.app(req('POST', url, { cookie: `${SESSION_COOKIE}=${otherSession}`, body: ok }))).status,
      (await h.app(req('POST', url, { body: ok }))).status,
      (await h.app(req('POST', url, { cookie, body: ok, type: 'text/plain' }))).status,
      (await h.app(req('POST', url, { cookie, body: `${ok}&pad=${'a'.repeat(70_000)}` }))).status,
      (await h.app(req('POST', '/logout', { cookie, body: form([['csrf', 'forged']]) }))).status,
    ];
    // Assert
    expect(statuses).toEqual([403, 403, 403, 401, 415, 413, 403]);
    expect((await h.store.get(h.campaign.id))!.items.every((i) => !i.decision)).toBe(true);
    expect(h.audit.filter((e) => e.outcome === 'refused').length).toBe(7);
    expect(h.audit.every((e) => !JSON.stringify(e).includes(csrf))).toBe(true);
  });

  it('ends the session at its expiry and at sign-out', async () => {
    // Arrange
    const { cookie, csrf } = await signIn(h, CONTROLLER);
    // Act
    const out = await h.app(req('POST', '/logout', { cookie, body: form([['csrf', csrf]]) }));
    h.clock.now = new Date(NOW.getTime() + 8 * 3600_000 + 1000);
    const later = await h.app(req('GET', `/c/${h.campaign.id}`, { cookie }));
    // Assert
    expect(out.cookies[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    expect(later.status).toBe(401);
  });

  it('escapes hostile names', async () => {
    // Arrange
    const hostile = {
      ...h.campaign,
      id: 'rev-hostile',
      items: h.campaign.items.map((i) => ({ ...i, identityName: '<script>alert(1)</script>' })),
    };
    await h.store.create(hostile);
    const link = signLink(h.key, {
      campaign: hostile.id,
      reviewer: CONTROLLER,
      exp: '2027-01-07T00:00:00.000Z',
    });
    const cookie = (await h.app(req('GET', `/l/${link}`))).cookies[0]!.split(';')[0]!;
    // Act
    const page = await h.app(req('GET', `/c/${hostile.id}`, { cookie }));
    // Assert
    expect(page.body).not.toContain('<script>');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('reads a form an adapter passed as base64 (as API Gateway does), and sizes bodies per route', async () => {
    // Arrange
    const { cookie, csrf } = await signIn(h, CONTROLLER);
    const svc = itemOf(h.campaign, 'SVC-BATCH', 'R-DISPLAY').id;
    const body = form([
      ['csrf', csrf],
      ['item', svc],
      ['action', 'keep'],
    ]);
    // Act
    const res = await h.app({
      ...req('POST', `/c/${h.campaign.id}/decide`, { cookie }),
      body: Buffer.from(body).toString('base64'),
      isBase64Encoded: true,
    });
    // Assert
    expect(res.status).toBe(303);
    expect((await h.store.get(h.campaign.id))!.items.find((i) => i.id === svc)!.decision?.outcome).toBe(
      'keep',
    );
    expect(maxBodyBytesFor(`/c/${h.campaign.id}/decide`)).toBe(64 * 1024);
    expect(maxBodyBytesFor(`/c/${h.campaign.id}/upload`)).toBe(2 * 1024 * 1024);
    expect(maxBodyBytesFor(`/c/${h.campaign.id}/upload/x`)).toBe(64 * 1024);
  });

  it("downloads the reviewer's items as XLSX and records an upload; refuses a foreign workbook, a bad CSRF token", async () => {
    // Arrange
    const { cookie, csrf } = await signIn(h, CONTROLLER);
    const aws = await signIn(h, AWS_OWNER);
    const svc = itemOf(h.campaign, 'SVC-BATCH', 'R-DISPLAY').id;
    const download = await h.app(req('GET', `/c/${h.campaign.id}/download`, { cookie }));
    const awsBook = await h.app(req('GET', `/c/${h.campaign.id}/download`, { cookie: aws.cookie }));
    const book = Buffer.from(download.body, 'base64');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(book as unknown as ArrayBuffer);
    const ws = wb.getWorksheet('Review')!;
    let row = 0;
    for (let r = 2; r <= ws.rowCount; r++) if (ws.getRow(r).getCell(1).value === svc) row = r;
    ws.getRow(row).getCell(17).value = 'keep';
    const filled = Buffer.from(await wb.xlsx.writeBuffer());
    const upload = (c: string, token: string, file: Buffer) => {
      const boundary = '----apTestBoundary7MA4YWxk';
      const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n${token}\r\n`),
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="mine.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        ),
        file,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]);
      return h.app({
        ...req('POST', `/c/${h.campaign.id}/upload`, {
          cookie: c,
          type: `multipart/form-data; boundary=${boundary}`,
        }),
        body: body.toString('base64'),
        isBase64Encoded: true,
      });
    };
    // Act
    const noCsrf = await upload(cookie, 'wrong', filled);
    const foreign = await upload(cookie, csrf, Buffer.from(awsBook.body, 'base64'));
    const theirs = await upload(aws.cookie, aws.csrf, filled);
    const ok = await upload(cookie, csrf, filled);
    // Assert
    expect(download.status).toBe(200);
    expect(download.isBase64Encoded).toBe(true);
    expect(download.headers['content-disposition']).toMatch(/^attachment; filename="rev-[^"]+\.xlsx"$/);
    expect(noCsrf.status).toBe(403);
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('made for aws.owner@example.com, not for controller@example.com');
    expect(theirs.status).toBe(400);
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`/c/${h.campaign.id}?done=uploaded&n=1`);
    const decision = (await h.store.get(h.campaign.id))!.items.find((i) => i.id === svc)!.decision;
    expect(decision).toMatchObject({ outcome: 'keep', by: CONTROLLER, channel: 'xlsx' });
    expect(decision?.fileSha256).toBe(createHash('sha256').update(filled).digest('hex'));
    expect(h.audit.filter((e) => e.action === 'upload').map((e) => `${e.outcome}:${e.status}`)).toEqual([
      'refused:403',
      'refused:400',
      'refused:400',
      'ok:303',
    ]);
  });
});

/** The item ids in a downloaded workbook's Review sheet. */
async function workbookIds(base64: string): Promise<string[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(base64, 'base64') as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Review')!;
  const ids: string[] = [];
  for (let r = 2; r <= ws.rowCount; r++) ids.push(String(ws.getRow(r).getCell(1).value));
  return ids;
}
