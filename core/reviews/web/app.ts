/**
 * The reviewer web app (issue 17) as one function from a plain request to a plain response. The
 * local server (`accessproof serve`) adapts node:http to it; a Lambda adapter will adapt proxy
 * events. Ports bring the store, the key, the clock, randomness and the audit log: no I/O here.
 *
 * Access: a signed link (`/l/<token>`) is exchanged for a session cookie for one reviewer of one
 * campaign. Every route checks the session's campaign and, for items, that the item is assigned
 * to the session's reviewer — an item of someone else is answered 404, like one that does not
 * exist. Every state-changing request needs the session's CSRF token and is audited.
 */
import { InputError } from '../../errors';
import type { CampaignBasePort } from '../create';
import { decide, delegate } from '../decide';
import type { Campaign, ReviewItem } from '../model';
import type { OwnersCatalog } from '../owners';
import type { NoticeDelivery } from '../reminders';
import type { ReviewStore } from '../repository';
import { APP_CSS, campaignsPage, itemPage, type ListView, listPage, messagePage } from './html';
import { type AppRequest, type AppResponse, html, redirect, SECURITY_HEADERS } from './http';
import { multipartBoundary, parseMultipart } from './multipart';
import { createOwnerRoutes } from './owner';
import { type AuditEntry, forbidden, type Refusal, type SessionKind, sessionMachinery } from './session';
import {
  csrfToken,
  csrfValid,
  openLink,
  openSession,
  type ReviewerGrant,
  type SessionGrant,
  signSession,
} from './tokens';

export const SESSION_COOKIE = 'ap_review';
export const DEFAULT_SESSION_TTL_MS = 8 * 60 * 60 * 1000;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** An uploaded workbook: a reviewer's items fit in far less (≈ 100 bytes a row, compressed). */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

/**
 * The largest body a request to `path` may carry; adapters refuse larger ones before the app
 * sees them (`/c/<campaign>/upload` takes a workbook, every other route a small form).
 *
 * @example
 * maxBodyBytesFor('/c/rev-1/upload'); // 2097152
 */
export function maxBodyBytesFor(path: string): number {
  return /^\/c\/[^/]+\/upload$/.test(path) ? MAX_UPLOAD_BYTES : DEFAULT_MAX_BODY_BYTES;
}

/** Items one request may decide: a page of a large campaign, not the whole population. */
export const MAX_ITEMS_PER_REQUEST = 2000;

/**
 * Every reviewer route (`:token`, `:campaign`, `:item` are placeholders): the authorization tests
 * walk this list. The owner's routes are `OWNER_ROUTES` (./owner.ts).
 */
export const REVIEWER_ROUTES: readonly { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/l/:token' },
  { method: 'GET', path: '/' },
  { method: 'POST', path: '/logout' },
  { method: 'GET', path: '/c/:campaign' },
  { method: 'GET', path: '/c/:campaign/items/:item' },
  { method: 'POST', path: '/c/:campaign/decide' },
  { method: 'GET', path: '/c/:campaign/download' },
  { method: 'POST', path: '/c/:campaign/upload' },
];

export type { AuditEntry } from './session';

/** A reviewer's sign-in: their link, cookie (`ap_review`, path `/`) and CSRF MAC purposes. */
const REVIEWER_KIND: SessionKind<ReviewerGrant, SessionGrant> = {
  cookieName: SESSION_COOKIE,
  cookiePath: '/',
  signInAction: 'session-opened',
  linkName: 'link',
  openLink,
  signSession,
  openSession,
  csrfValid,
  session: (g, sid, exp) => ({ ...g, exp, sid }),
  whoGrant: (g) => ({ campaign: g.campaign, reviewer: g.reviewer }),
  who: (s) => ({ campaign: s.campaign, reviewer: s.reviewer, sid: s.sid }),
};

export interface ReviewAppPorts {
  store: ReviewStore;
  /** HMAC key of links and sessions (≥ 32 bytes). */
  key: Uint8Array;
  now: () => Date;
  /** A fresh random id (≥ 128 bits), for session ids. */
  newId: () => string;
  audit: (entry: AuditEntry) => Promise<void>;
  sessionTtlMs?: number;
  maxBodyBytes?: number;
  /** Mark the cookie `Secure` (served over HTTPS); off for http://127.0.0.1. */
  secureCookie?: boolean;
  /**
   * `link` (default, local): a signed link is exchanged for a session cookie. `verified` (AWS): the
   * adapter puts the reviewer verified by the front door (JWT authorizer) on every request as
   * `req.verified`; links grant nothing, the session is that reviewer on the campaign of the URL.
   */
  signIn?: 'link' | 'verified';
  /**
   * Owner screens (`/o/…`): where a campaign started from the web is drawn from (locally the newest
   * sealed pack and the findings store). Absent: the form says campaigns start from the CLI.
   */
  campaignBase?: CampaignBasePort;
  /** The entitlement-owner catalog (`owners.yaml`) the owner's form may apply. */
  ownersCatalog?: OwnersCatalog;
  /** Delivery of the reminders an owner sends from the progress page; absent: the scheduler only. */
  notices?: NoticeDelivery;
  /** A reviewer's sign-in link: shown to the campaign owner and put into reminders. */
  reviewerLink?: (campaign: Campaign, reviewer: string) => string | undefined;
  /** `verified` mode: the verified emails that may use the owner screens (`/o/…`); none: nobody. */
  owners?: readonly string[];
}

export type ReviewApp = (req: AppRequest) => Promise<AppResponse>;

const notFound = () => html(404, messagePage('Not found', 'There is nothing here for you.'));
const signedOut = () =>
  html(401, messagePage('Sign in with your link', 'Open the review link you were sent. It signs you in.'));

/**
 * @example
 * const app = createReviewApp({ store, key, now: () => new Date(), newId: randomUUID, audit });
 * const res = await app({ method: 'GET', path: '/c/rev-1', query: new URLSearchParams(), headers, body: '' });
 */
export function createReviewApp(ports: ReviewAppPorts): ReviewApp {
  const ttl = ports.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  const maxBody = ports.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const m = sessionMachinery(REVIEWER_KIND, {
    key: ports.key,
    now: ports.now,
    newId: ports.newId,
    ttlMs: ttl,
    maxBodyBytes: maxBody,
    ...(ports.secureCookie ? { secureCookie: true } : {}),
    audit: ports.audit,
  });
  const { audit } = m;
  const who = REVIEWER_KIND.who;

  const verifiedMode = ports.signIn === 'verified';

  const sessionOf = (req: AppRequest, campaignId?: string): SessionGrant | undefined => {
    if (!verifiedMode) return m.fromCookie(req);
    const v = req.verified;
    if (!v || campaignId === undefined) return undefined;
    const exp = new Date(ports.now().getTime() + ttl).toISOString();
    return { campaign: campaignId, reviewer: v.reviewer, sid: v.sid, exp };
  };
  /** Who may change state on a campaign: a session of that campaign, with its CSRF token. */
  const access = (req: AppRequest, campaignId: string | undefined) => ({
    session: () => sessionOf(req, campaignId),
    noSession: (): Refusal => ({ res: signedOut(), detail: 'no session' }),
    outOfScope: (s: SessionGrant): Refusal | undefined =>
      campaignId !== undefined && s.campaign !== campaignId
        ? { res: forbidden('Your link is for another campaign.'), detail: `session for ${s.campaign}` }
        : undefined,
  });

  const owner = createOwnerRoutes({
    store: ports.store,
    key: ports.key,
    now: ports.now,
    newId: ports.newId,
    audit: ports.audit,
    ttlMs: ttl,
    maxBodyBytes: maxBody,
    ...(ports.secureCookie ? { secureCookie: true } : {}),
    ...(ports.campaignBase ? { campaignBase: ports.campaignBase } : {}),
    ...(ports.ownersCatalog ? { ownersCatalog: ports.ownersCatalog } : {}),
    ...(ports.notices ? { notices: ports.notices } : {}),
    ...(ports.reviewerLink ? { reviewerLink: ports.reviewerLink } : {}),
    ...(verifiedMode ? { signIn: 'verified' as const, owners: ports.owners ?? [] } : {}),
  });

  return async (raw) => {
    const req = textForm(raw);
    const method = req.method.toUpperCase();
    const parts = req.path.split('/').slice(1).map(safeDecode);
    if (parts.some((p) => p === undefined)) return notFound();
    // Campaign owners: their own cookie (or, verified, the configured owners), routes and checks.
    if (parts[0] === 'o') return owner(req, method, parts.slice(1) as string[]);
    const [first, campaignId, sub, itemId, ...rest] = parts as string[];

    if (method === 'GET' && req.path === '/assets/app.css') {
      return {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'content-type': 'text/css; charset=utf-8' },
        cookies: [],
        body: APP_CSS,
      };
    }
    if (method === 'GET' && req.path === '/favicon.ico') {
      // Browsers ask for it unprompted; no icon, and no 404 in every reviewer's console.
      return { status: 204, headers: { ...SECURITY_HEADERS }, cookies: [], body: '' };
    }
    if (method === 'GET' && first === 'l' && campaignId && sub === undefined) {
      // In AWS the IdP signs reviewers in: a link (or a leaked one) grants nothing there.
      return verifiedMode ? notFound() : openLinkRoute(req, campaignId);
    }
    if (method === 'GET' && req.path === '/') {
      if (verifiedMode) return campaignsRoute(req);
      const s = sessionOf(req);
      return s ? redirect(`/c/${encodeURIComponent(s.campaign)}`) : signedOut();
    }
    if (method === 'POST' && req.path === '/logout') {
      const form = verifiedMode ? new URLSearchParams(req.body.length <= maxBody ? req.body : '') : undefined;
      const checked = await m.checkForm(req, 'sign-out', access(req, form?.get('campaign') ?? undefined));
      if ('refused' in checked) return checked.refused;
      await audit(req, { action: 'sign-out', outcome: 'ok', status: 303, ...who(checked.s) });
      // The adapter's /auth/logout clears the IdP's token cookie and signs out of the user pool.
      if (verifiedMode) return redirect('/auth/logout');
      return html(200, messagePage('Signed out', 'You are signed out. Your link signs you in again.'), [
        m.cookie('', 0),
      ]);
    }
    if (first !== 'c' || !campaignId || rest.length > 0) return notFound();

    if (method === 'GET' && sub === undefined) {
      const s = sessionOf(req, campaignId);
      if (!s) return signedOut();
      if (s.campaign !== campaignId) return forbidden('Your link is for another campaign.');
      const campaign = await ports.store.get(campaignId);
      if (!campaign) return notFound();
      return html(200, listPage(listView(campaign, s, req.query)));
    }
    if (method === 'GET' && sub === 'items' && itemId) {
      const s = sessionOf(req, campaignId);
      if (!s) return signedOut();
      if (s.campaign !== campaignId) return forbidden('Your link is for another campaign.');
      const campaign = await ports.store.get(campaignId);
      const item = campaign?.items.find((i) => i.id === itemId && i.reviewer === s.reviewer);
      if (!campaign || !item) return notFound();
      return html(200, itemPage(campaign, item));
    }
    if (method === 'POST' && sub === 'decide' && itemId === undefined) {
      return decideRoute(req, campaignId);
    }
    if (method === 'GET' && sub === 'download' && itemId === undefined) {
      const s = sessionOf(req, campaignId);
      if (!s) return signedOut();
      if (s.campaign !== campaignId) return forbidden('Your link is for another campaign.');
      const campaign = await ports.store.get(campaignId);
      if (!campaign) return notFound();
      const { reviewWorkbook } = await import('../xlsx');
      const bytes = await reviewWorkbook(campaign, s.reviewer, ports.now());
      const name = `${campaign.id}-${s.reviewer.replace(/[^A-Za-z0-9._-]+/g, '_')}.xlsx`;
      return {
        status: 200,
        headers: {
          ...SECURITY_HEADERS,
          'content-type': XLSX_TYPE,
          'content-disposition': `attachment; filename="${name}"`,
        },
        cookies: [],
        body: Buffer.from(bytes).toString('base64'),
        isBase64Encoded: true,
      };
    }
    if (method === 'POST' && sub === 'upload' && itemId === undefined) {
      return uploadRoute(req, campaignId);
    }
    return ['GET', 'POST'].includes(method) ? notFound() : html(405, messagePage('Not allowed', method));
  };

  /** Verified mode: the open campaigns that hold items of the signed-in reviewer. */
  async function campaignsRoute(req: AppRequest): Promise<AppResponse> {
    const reviewer = req.verified?.reviewer;
    if (!reviewer) return signedOut();
    const mine = (await ports.store.list())
      .filter((c) => c.status === 'open')
      .map((c) => ({ c, n: c.items.filter((i) => i.reviewer === reviewer).length }))
      .filter((x) => x.n > 0);
    if (mine.length === 1) return redirect(`/c/${encodeURIComponent(mine[0]!.c.id)}`);
    return html(
      200,
      campaignsPage(
        reviewer,
        mine.map((x) => ({ id: x.c.id, name: x.c.name, dueAt: x.c.dueAt, items: x.n })),
      ),
    );
  }

  function openLinkRoute(req: AppRequest, token: string): Promise<AppResponse> {
    return m.signIn(req, token, {
      invalid: html(
        401,
        messagePage(
          'Link not valid',
          'This link is not valid or has expired. Ask the campaign owner for a new one.',
        ),
      ),
      exists: async (g) => (await ports.store.get(g.campaign)) !== undefined,
      missing: notFound(),
      landing: (g) => `/c/${encodeURIComponent(g.campaign)}`,
    });
  }

  /** An XLSX workbook back from a reviewer: multipart, CSRF in a field, every row checked. */
  async function uploadRoute(req: AppRequest, campaignId: string): Promise<AppResponse> {
    const action = 'upload';
    const refuse = async (status: number, detail: string, page: AppResponse, s?: SessionGrant) =>
      (await m.refuse(req, action, status, detail, page, s ? who(s) : {})).refused;
    const bytes = Buffer.from(req.body, req.isBase64Encoded ? 'base64' : 'utf8');
    if (bytes.length > MAX_UPLOAD_BYTES) {
      return refuse(
        413,
        'body too large',
        html(413, messagePage('Too large', `At most ${MAX_UPLOAD_BYTES} bytes.`)),
      );
    }
    const boundary = multipartBoundary(req.headers['content-type']);
    if (!boundary) {
      return refuse(415, 'not multipart/form-data', html(415, messagePage('Unsupported', 'Send the form.')));
    }
    // The CSRF token is a field of the multipart body: parsed only once the session is in scope.
    const body: { parts?: ReturnType<typeof parseMultipart> } = {};
    const checked = await m.authorize(req, action, {
      ...access(req, campaignId),
      csrf: () => {
        body.parts = parseMultipart(bytes, boundary);
        return body.parts?.find((p) => p.name === 'csrf')?.data.toString('utf8');
      },
    });
    if ('refused' in checked) return checked.refused;
    const s = checked.s;
    const parts = body.parts;
    if (!parts) return notFound();
    const campaign = await ports.store.get(campaignId);
    if (!campaign) return notFound();
    const file = parts.find((p) => p.name === 'file' && p.data.length > 0);
    const again = async (text: string, details: string[] = []) => {
      await refuse(400, [text, ...details].join('; ').slice(0, 2000), html(400, ''), s);
      return html(
        400,
        listPage({ ...listView(campaign, s, req.query), message: { kind: 'error', text, details } }),
      );
    };
    if (!file) return again('Choose the workbook to upload.');
    const { applyWorkbook, readReviewWorkbook, WorkbookRefusedError } = await import('../xlsx');
    let count = 0;
    let sha = '';
    try {
      const at = ports.now();
      const read = await readReviewWorkbook(campaign, new Uint8Array(file.data), s.reviewer);
      sha = read.fileSha256;
      count = read.answers.length;
      // Checked against the campaign as read; applied to it as stored now (decide re-checks each item).
      await ports.store.update(campaignId, (c) => applyWorkbook(c, read, s.reviewer, at));
    } catch (err) {
      if (err instanceof WorkbookRefusedError) {
        return again(
          'The workbook was refused; nothing was recorded.',
          err.problems.slice(0, 50).map((p) => (p.row > 0 ? `Row ${p.row}: ${p.message}` : p.message)),
        );
      }
      if (!(err instanceof InputError)) throw err;
      return again(err.message);
    }
    await audit(req, {
      action,
      outcome: 'ok',
      status: 303,
      ...who(s),
      detail: `xlsx sha256 ${sha}: ${count} decision(s)`,
    });
    return redirect(`/c/${encodeURIComponent(campaignId)}?done=uploaded&n=${count}`);
  }

  async function decideRoute(req: AppRequest, campaignId: string): Promise<AppResponse> {
    const form = new URLSearchParams(req.body.length <= maxBody ? req.body : '');
    const action = form.get('action') ?? '';
    const auditAction = action === 'delegate' ? 'delegate' : 'decide';
    const checked = await m.checkForm(req, auditAction, access(req, campaignId));
    if ('refused' in checked) return checked.refused;
    const s = checked.s;
    const ids = [...new Set(form.getAll('item'))];
    const campaign = await ports.store.get(campaignId);
    if (!campaign) return notFound();
    const mine = new Set(campaign.items.filter((i) => i.reviewer === s.reviewer).map((i) => i.id));
    const foreign = ids.filter((id) => !mine.has(id));
    if (foreign.length > 0 || ids.length > MAX_ITEMS_PER_REQUEST) {
      // Another reviewer's item is answered like one that does not exist.
      await audit(req, {
        action: auditAction,
        outcome: 'refused',
        status: 404,
        ...who(s),
        items: ids.slice(0, 50),
        detail: foreign.length ? `not the reviewer's: ${foreign.slice(0, 20).join(', ')}` : 'too many items',
      });
      return notFound();
    }
    const note = nonEmpty(form.get('note'));
    const again = (text: string) =>
      html(
        400,
        listPage({
          ...listView(campaign, s, req.query),
          message: { kind: 'error', text },
          selected: new Set(ids),
          form: {
            action,
            ...(note !== undefined ? { note } : {}),
            to: form.get('to') ?? '',
            reason: form.get('reason') ?? '',
          },
        }),
      );
    const fail = async (text: string) => {
      await audit(req, {
        action: auditAction,
        outcome: 'refused',
        status: 400,
        ...who(s),
        items: ids,
        detail: text,
      });
      return again(text);
    };
    if (ids.length === 0) return fail('Select at least one item.');
    if (!['keep', 'revoke', 'delegate'].includes(action)) return fail('Choose keep, revoke or delegate.');
    const at = ports.now();
    try {
      await ports.store.update(campaignId, (c) =>
        action === 'delegate'
          ? delegate(
              c,
              ids,
              { by: s.reviewer, to: form.get('to') ?? '', reason: form.get('reason') ?? '', channel: 'web' },
              at,
            )
          : decide(
              c,
              ids,
              {
                outcome: action as 'keep' | 'revoke',
                by: s.reviewer,
                ...(note !== undefined ? { note } : {}),
                channel: 'web',
              },
              at,
            ),
      );
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const field = err.location.field;
      return fail(
        field && err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message,
      );
    }
    await audit(req, {
      action: auditAction,
      outcome: 'ok',
      status: 303,
      ...who(s),
      items: ids,
      detail: action === 'delegate' ? `to ${form.get('to')?.trim().toLowerCase()}` : action,
    });
    const done = action === 'delegate' ? 'delegated' : action === 'keep' ? 'kept' : 'revoked';
    return redirect(`/c/${encodeURIComponent(campaignId)}?done=${done}&n=${ids.length}`);
  }

  function listView(campaign: Campaign, s: SessionGrant, query: URLSearchParams): ListView {
    const mine = campaign.items.filter((i) => i.reviewer === s.reviewer);
    const filters = {
      q: (query.get('q') ?? '').slice(0, 200),
      status: pick(query.get('status'), ['all', 'undecided', 'decided'], 'all'),
      privileged: pick(query.get('privileged'), ['any', 'yes', 'no'], 'any'),
      sort: pick(query.get('sort'), ['person', 'entitlement', 'system', 'risk'], 'person'),
    };
    const q = filters.q.trim().toLowerCase();
    const shown = mine
      .filter((i) => filters.status === 'all' || (filters.status === 'decided') === Boolean(i.decision))
      .filter((i) => filters.privileged === 'any' || (filters.privileged === 'yes') === i.privileged)
      .filter((i) => !q || searchText(i).includes(q))
      .sort(sorter(filters.sort));
    const done = query.get('done');
    const n = Number(query.get('n') ?? '0');
    const view: ListView = {
      campaign,
      reviewer: s.reviewer,
      items: shown,
      total: mine.length,
      decided: mine.filter((i) => i.decision).length,
      csrf: csrfToken(ports.key, s),
      filters,
      selected: new Set(),
    };
    if (done && ['kept', 'revoked', 'delegated'].includes(done) && Number.isInteger(n) && n > 0) {
      view.message = { kind: 'ok', text: `${n} item(s) ${done}.` };
    }
    if (done === 'uploaded' && Number.isInteger(n) && n >= 0) {
      view.message = { kind: 'ok', text: `Workbook recorded: ${n} decision(s).` };
    }
    return view;
  }
}

/** A form an adapter passed as base64 (API Gateway encodes many bodies) is read as text. */
function textForm(req: AppRequest): AppRequest {
  if (!req.isBase64Encoded) return req;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return req;
  return { ...req, body: Buffer.from(req.body, 'base64').toString('utf8'), isBase64Encoded: false };
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

function nonEmpty(v: string | null): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

function pick(v: string | null, allowed: string[], fallback: string): string {
  return v !== null && allowed.includes(v) ? v : fallback;
}

function searchText(i: ReviewItem): string {
  return [
    i.identityName,
    i.principalName,
    i.entitlementName,
    i.sourceId,
    i.system,
    i.context?.department,
    i.context?.manager,
    ...i.pathNames,
    ...(i.context?.findings ?? []).map((f) => `${f.rule} ${f.title}`),
  ]
    .join(' ')
    .toLowerCase();
}

function sorter(sort: string): (a: ReviewItem, b: ReviewItem) => number {
  const cmp = (x: string, y: string) => {
    const a = x.toLowerCase();
    const b = y.toLowerCase();
    return a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0;
  };
  const person = (a: ReviewItem, b: ReviewItem) => cmp(a.identityName, b.identityName) || cmp(a.id, b.id);
  const ent = (a: ReviewItem, b: ReviewItem) => cmp(a.entitlementName, b.entitlementName) || person(a, b);
  if (sort === 'entitlement') return ent;
  if (sort === 'system') return (a, b) => cmp(a.sourceId, b.sourceId) || ent(a, b);
  if (sort === 'risk')
    return (a, b) => (b.context?.findings?.length ?? 0) - (a.context?.findings?.length ?? 0) || person(a, b);
  return (a, b) => person(a, b) || cmp(a.entitlementName, b.entitlementName);
}
