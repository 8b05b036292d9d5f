/**
 * The campaign owner's screens (issue 17), under `/o`: sign-in by the owner's signed link
 * (`/o/<token>`), the owner's campaigns, "Start a campaign" (the same `createCampaign` as `review
 * start`), one campaign's progress per reviewer, sending the reminders due, and close (refused
 * while items are undecided unless forced with a rationale).
 *
 * Access: the owner's cookie (`ap_owner`, its own MAC purpose, so a reviewer's cookie or link is
 * never an owner's) names the owner and, for a link made for one campaign, that campaign: such a
 * session reaches that campaign only and cannot start campaigns. A link without a campaign reaches
 * the campaigns whose `createdBy` is the owner's email, and may start new ones. A campaign the
 * session may not manage is answered 404, like one that does not exist. Every POST needs the
 * session's CSRF token and is audited, accepted or refused.
 *
 * In AWS (`signIn: 'verified'`) the same routes run in the review-start Lambda: the owner is the
 * email the JWT authorizer verified, if it is one of the configured campaign owners (anyone else
 * is refused 403), with a session of that sign-in and no campaign; owner links grant nothing.
 */
import { InputError } from '../../errors';
import type { CampaignBasePort, CampaignRequest } from '../create';
import { createCampaign, parsePairs, reviewerOptions } from '../create';
import { closeCampaign } from '../decide';
import type { Campaign } from '../model';
import type { OwnersCatalog } from '../owners';
import { parseOwnersCatalog, withCatalog } from '../owners';
import { summarizeCampaign } from '../records';
import { dueNotices, type NoticeDelivery, REMINDER_DAYS_BEFORE_DUE, sendDueNotices } from '../reminders';
import type { ReviewStore } from '../repository';
import { messagePage } from './html';
import { type AppRequest, type AppResponse, html, redirect } from './http';
import {
  type CreateForm,
  createCampaignPage,
  type Message,
  ownerHomePage,
  progressPage,
  type ReviewerProgress,
} from './owner-html';
import { type AuditEntry, forbidden, type Refusal, type SessionKind, sessionMachinery } from './session';
import {
  type OwnerGrant,
  type OwnerSession,
  openOwnerLink,
  openOwnerSession,
  ownerCsrfToken,
  ownerCsrfValid,
  signOwnerSession,
} from './tokens';

export const OWNER_COOKIE = 'ap_owner';

/** Every owner route (`:token`, `:campaign` are placeholders): the authorization tests walk this list. */
export const OWNER_ROUTES: readonly { method: 'GET' | 'POST'; path: string }[] = [
  { method: 'GET', path: '/o/:token' },
  { method: 'GET', path: '/o' },
  { method: 'GET', path: '/o/new' },
  { method: 'POST', path: '/o/new' },
  { method: 'GET', path: '/o/c/:campaign' },
  { method: 'POST', path: '/o/c/:campaign/remind' },
  { method: 'POST', path: '/o/c/:campaign/close' },
  { method: 'POST', path: '/o/logout' },
];

export interface OwnerPorts {
  store: ReviewStore;
  key: Uint8Array;
  now: () => Date;
  newId: () => string;
  audit: (entry: AuditEntry) => Promise<void>;
  ttlMs: number;
  maxBodyBytes: number;
  secureCookie?: boolean;
  /** Where a web-started campaign is drawn from; absent: campaigns start from the CLI only. */
  campaignBase?: CampaignBasePort;
  /** The entitlement-owner catalog the form may apply. */
  ownersCatalog?: OwnersCatalog;
  /** Delivery of the reminders the owner sends; absent: the scheduler sends them. */
  notices?: NoticeDelivery;
  /** A reviewer's sign-in link (shown to the owner, put into reminders). */
  reviewerLink?: (campaign: Campaign, reviewer: string) => string | undefined;
  /**
   * `link` (default, local): the owner link is exchanged for the `ap_owner` cookie. `verified`
   * (AWS): the owner is `req.verified` when its email is one of `owners`; links grant nothing.
   */
  signIn?: 'link' | 'verified';
  /** `verified` mode: the emails allowed to own campaigns (compared lower case); none: nobody. */
  owners?: readonly string[];
}

/** The owner's sign-in: its own link, cookie (`ap_owner`, path `/o`) and CSRF MAC purposes. */
const OWNER_KIND: SessionKind<OwnerGrant, OwnerSession> = {
  cookieName: OWNER_COOKIE,
  cookiePath: '/o',
  signInAction: 'owner-session-opened',
  linkName: 'owner link',
  openLink: openOwnerLink,
  signSession: signOwnerSession,
  openSession: openOwnerSession,
  csrfValid: ownerCsrfValid,
  session: (g, sid, exp) => ({ ...g, role: 'owner', exp, sid }),
  whoGrant: (g) => ({ owner: g.owner, ...(g.campaign !== undefined ? { campaign: g.campaign } : {}) }),
  who: (s) => ({ owner: s.owner, sid: s.sid }),
};

const notFound = () => html(404, messagePage('Not found', 'There is nothing here for you.'));
const RESERVED = new Set(['', 'new', 'c', 'logout']);

/**
 * The `/o` routes; `rest` is the path after `/o`, decoded.
 *
 * @example
 * const owner = createOwnerRoutes(ports); const res = await owner(req, 'GET', ['c', 'rev-1']);
 */
export function createOwnerRoutes(
  ports: OwnerPorts,
): (req: AppRequest, method: string, rest: string[]) => Promise<AppResponse> {
  const m = sessionMachinery(OWNER_KIND, {
    key: ports.key,
    now: ports.now,
    newId: ports.newId,
    ttlMs: ports.ttlMs,
    maxBodyBytes: ports.maxBodyBytes,
    ...(ports.secureCookie ? { secureCookie: true } : {}),
    audit: ports.audit,
  });
  const { audit } = m;
  const who = OWNER_KIND.who;
  const verifiedMode = ports.signIn === 'verified';
  const owners = new Set((ports.owners ?? []).map((o) => o.trim().toLowerCase()));
  const sessionOf = (req: AppRequest): OwnerSession | undefined => {
    if (!verifiedMode) return m.fromCookie(req);
    const v = req.verified;
    if (!v || !owners.has(v.reviewer)) return undefined;
    const exp = new Date(ports.now().getTime() + ports.ttlMs).toISOString();
    return { role: 'owner', owner: v.reviewer, sid: v.sid, exp };
  };
  /** No owner session: sign in (no identity) or, signed in as someone else in AWS, forbidden. */
  const signedOut = (req: AppRequest): AppResponse =>
    verifiedMode
      ? req.verified
        ? forbidden('Only a campaign owner can use these pages.')
        : html(401, messagePage('Sign in', 'Sign in through the reviewer app first.'))
      : html(
          401,
          messagePage('Sign in with your owner link', 'Open the owner link you were given. It signs you in.'),
        );
  /** AWS: who was refused is the verified identity, not an owner; locally nobody is known. */
  const noSession = (req: AppRequest): Refusal => {
    const res = signedOut(req);
    return verifiedMode && req.verified
      ? {
          res,
          detail: 'not a campaign owner',
          who: { reviewer: req.verified.reviewer, sid: req.verified.sid },
        }
      : { res, detail: 'no owner session' };
  };
  /** A session without a campaign may start campaigns (when this deployment can). */
  const canCreate = (s: OwnerSession) => s.campaign === undefined && ports.campaignBase !== undefined;
  const manages = (s: OwnerSession, c: Campaign) =>
    s.campaign !== undefined ? c.id === s.campaign : c.createdBy.trim().toLowerCase() === s.owner;
  const managed = async (s: OwnerSession, id: string) => {
    const c = await ports.store.get(id);
    return c && manages(s, c) ? c : undefined;
  };

  /** Size, type, session and CSRF of a POST; a refusal is audited. */
  const checkPost = (req: AppRequest, action: string, campaign?: string) =>
    m.checkForm(req, action, {
      session: () => sessionOf(req),
      noSession: () => noSession(req),
      ...(campaign !== undefined ? { at: { campaign } } : {}),
    });

  return async (req, method, rest) => {
    const [first, id, sub, ...more] = rest;
    if (method === 'GET' && rest.length === 1 && first !== undefined && !RESERVED.has(first)) {
      // In AWS the IdP signs owners in: an owner link (or a leaked one) grants nothing there.
      return verifiedMode ? notFound() : signInRoute(req, first);
    }
    if (method === 'GET' && (rest.length === 0 || (rest.length === 1 && first === ''))) return homeRoute(req);
    if (rest.length === 1 && first === 'new') {
      if (method === 'GET') return createFormRoute(req);
      if (method === 'POST') return createRoute(req);
    }
    if (method === 'POST' && rest.length === 1 && first === 'logout') return logoutRoute(req);
    if (first === 'c' && id && more.length === 0) {
      if (method === 'GET' && sub === undefined) return progressRoute(req, id);
      if (method === 'POST' && sub === 'remind') return remindRoute(req, id);
      if (method === 'POST' && sub === 'close') return closeRoute(req, id);
    }
    return ['GET', 'POST'].includes(method) ? notFound() : html(405, messagePage('Not allowed', method));
  };

  function signInRoute(req: AppRequest, token: string): Promise<AppResponse> {
    return m.signIn(req, token, {
      invalid: html(
        401,
        messagePage(
          'Link not valid',
          'This owner link is not valid or has expired. Ask for a new one (`review owner-link`).',
        ),
      ),
      // A link for one campaign: that campaign must still exist.
      exists: async (g) => g.campaign === undefined || (await ports.store.get(g.campaign)) !== undefined,
      missing: notFound(),
      landing: (g) => (g.campaign !== undefined ? `/o/c/${encodeURIComponent(g.campaign)}` : '/o'),
    });
  }

  async function homeRoute(req: AppRequest): Promise<AppResponse> {
    const s = sessionOf(req);
    if (!s) return signedOut(req);
    if (s.campaign !== undefined) return redirect(`/o/c/${encodeURIComponent(s.campaign)}`);
    const mine = (await ports.store.list()).filter((c) => manages(s, c));
    return html(
      200,
      ownerHomePage({
        owner: s.owner,
        csrf: ownerCsrfToken(ports.key, s),
        canCreate: canCreate(s),
        campaigns: mine.map((c) => {
          const sum = summarizeCampaign(c);
          return {
            id: c.id,
            name: c.name,
            status: c.status,
            dueAt: c.dueAt,
            decided: sum.decided,
            items: sum.items,
          };
        }),
      }),
    );
  }

  async function createPage(
    s: OwnerSession,
    form: CreateForm,
    status: number,
    message?: Message,
  ): Promise<AppResponse> {
    let base: Parameters<typeof createCampaignPage>[0]['base'];
    try {
      const pack = await ports.campaignBase!.latestPack();
      const financial = new Set(pack.financialSources ?? []);
      base = {
        runId: pack.runId,
        sequence: pack.sequence,
        sources: [...pack.inventory.sources.values()]
          .map((i) => ({
            id: i.sourceId,
            system: i.system,
            status: i.status,
            complete: i.complete,
            financial: financial.has(i.sourceId),
          }))
          .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      };
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
    }
    return html(
      status,
      createCampaignPage({
        owner: s.owner,
        csrf: ownerCsrfToken(ports.key, s),
        ...(base ? { base } : {}),
        ...(ports.ownersCatalog
          ? { catalog: { file: ports.ownersCatalog.file, sha256: ports.ownersCatalog.sha256 } }
          : {}),
        form,
        ...(message ? { message } : {}),
      }),
    );
  }

  async function createFormRoute(req: AppRequest): Promise<AppResponse> {
    const s = sessionOf(req);
    if (!s) return signedOut(req);
    if (!canCreate(s)) return notFound();
    return createPage(s, {}, 200);
  }

  async function createRoute(req: AppRequest): Promise<AppResponse> {
    const action = 'campaign-create';
    const checked = await checkPost(req, action);
    if ('refused' in checked) return checked.refused;
    const { s, form } = checked;
    if (!canCreate(s)) {
      await audit(req, {
        action,
        outcome: 'refused',
        status: 404,
        ...who(s),
        ...(s.campaign ? { campaign: s.campaign } : {}),
        detail: 'session may not start campaigns',
      });
      return notFound();
    }
    const typed = createFormOf(form);
    const at = ports.now();
    let created: Campaign;
    try {
      const request = campaignRequestOf(typed, s.owner, ports.ownersCatalog);
      created = (await createCampaign(ports.campaignBase!, ports.store, request, at)).campaign;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const text = formError(err);
      await audit(req, { action, outcome: 'refused', status: 400, ...who(s), detail: text.slice(0, 500) });
      return createPage(s, typed, 400, { kind: 'error', text });
    }
    await audit(req, {
      action,
      outcome: 'ok',
      status: 303,
      ...who(s),
      campaign: created.id,
      detail: `${created.items.length} item(s), ${new Set(created.items.map((i) => i.reviewer)).size} reviewer(s)`,
    });
    return redirect(`/o/c/${encodeURIComponent(created.id)}?done=created`);
  }

  async function progress(
    s: OwnerSession,
    c: Campaign,
    status: number,
    extra: { message?: Message; closeForm?: { force?: boolean; rationale?: string } } = {},
  ): Promise<AppResponse> {
    const now = ports.now();
    const due = Date.parse(c.dueAt);
    const late = c.status === 'open' && now.getTime() > due;
    const per = new Map<string, ReviewerProgress>();
    for (const item of c.items) {
      const r = per.get(item.reviewer) ?? {
        reviewer: item.reviewer,
        items: 0,
        decided: 0,
        undecided: 0,
        overdue: 0,
      };
      r.items++;
      if (item.decision) r.decided++;
      else {
        r.undecided++;
        if (late) r.overdue++;
      }
      per.set(item.reviewer, r);
    }
    for (const n of c.notices ?? []) {
      const r = per.get(n.reviewer);
      if (r) r.lastNotice = n;
    }
    const reviewers = [...per.values()].sort((a, b) => (a.reviewer < b.reviewer ? -1 : 1));
    if (c.status === 'open' && ports.reviewerLink) {
      for (const r of reviewers) {
        const link = ports.reviewerLink(c, r.reviewer);
        if (link) r.link = link;
      }
    }
    const sum = summarizeCampaign(c, now);
    const reminderAt = due - REMINDER_DAYS_BEFORE_DUE * 86_400_000;
    return html(
      status,
      progressPage({
        campaign: c,
        owner: s.owner,
        csrf: ownerCsrfToken(ports.key, s),
        reviewers,
        summary: {
          items: sum.items,
          decided: sum.decided,
          undecided: sum.undecided,
          kept: sum.kept,
          revoked: sum.revoked,
          delegated: sum.delegated ?? 0,
          overdue: sum.overdue === true,
        },
        ...(ports.notices ? { dueNow: dueNotices(c, now).length } : {}),
        ...(now.getTime() < reminderAt ? { nextReminderAt: new Date(reminderAt).toISOString() } : {}),
        canCreate: canCreate(s),
        ...extra,
      }),
    );
  }

  async function progressRoute(req: AppRequest, id: string): Promise<AppResponse> {
    const s = sessionOf(req);
    if (!s) return signedOut(req);
    const c = await managed(s, id);
    if (!c) return notFound();
    const done = req.query.get('done');
    const n = Number(req.query.get('n') ?? '0');
    const failed = Number(req.query.get('failed') ?? '0');
    let message: Message | undefined;
    if (done === 'created')
      message = {
        kind: 'ok',
        text: `Campaign started: ${c.items.length} item(s) to review. Send each reviewer their link.`,
      };
    if (done === 'closed')
      message = { kind: 'ok', text: 'Campaign closed. The next scan seals it into the evidence pack.' };
    if (done === 'reminded' && Number.isInteger(n) && n >= 0) {
      message =
        Number.isInteger(failed) && failed > 0
          ? {
              kind: 'error',
              text: `${n} notice(s) sent; ${failed} could not be delivered (tried again next time).`,
            }
          : { kind: 'ok', text: `${n} notice(s) sent.` };
    }
    return progress(s, c, 200, message ? { message } : {});
  }

  async function remindRoute(req: AppRequest, id: string): Promise<AppResponse> {
    const action = 'remind';
    const checked = await checkPost(req, action, id);
    if ('refused' in checked) return checked.refused;
    const { s } = checked;
    const c = await managed(s, id);
    if (!c || !ports.notices) {
      await audit(req, {
        action,
        outcome: 'refused',
        status: 404,
        ...who(s),
        campaign: id,
        detail: c ? 'no notice delivery here' : 'not a campaign of this session',
      });
      return notFound();
    }
    const now = ports.now();
    const linkFor = ports.reviewerLink;
    const [result] = await sendDueNotices(ports.store, ports.notices, now, {
      campaignId: c.id,
      ...(linkFor ? { linkFor } : {}),
    });
    const sent = result?.sent.length ?? 0;
    const failed = result?.failed.length ?? 0;
    await audit(req, {
      action,
      outcome: 'ok',
      status: 303,
      ...who(s),
      campaign: c.id,
      detail:
        `${sent} sent${failed ? `, ${failed} failed` : ''}${sent ? `: ${result!.sent.map((m) => `${m.event.kind} to ${m.to}`).join(', ')}` : ''}`.slice(
          0,
          2000,
        ),
    });
    return redirect(
      `/o/c/${encodeURIComponent(c.id)}?done=reminded&n=${sent}${failed ? `&failed=${failed}` : ''}`,
    );
  }

  async function closeRoute(req: AppRequest, id: string): Promise<AppResponse> {
    const action = 'close';
    const checked = await checkPost(req, action, id);
    if ('refused' in checked) return checked.refused;
    const { s, form } = checked;
    const c = await managed(s, id);
    if (!c) {
      await audit(req, {
        action,
        outcome: 'refused',
        status: 404,
        ...who(s),
        campaign: id,
        detail: 'not a campaign of this session',
      });
      return notFound();
    }
    const force = form.get('force') === 'yes';
    const rationale = (form.get('rationale') ?? '').trim();
    let closed: Campaign;
    try {
      closed = await ports.store.update(c.id, (current) =>
        closeCampaign(
          current,
          { by: s.owner, ...(force ? { force: true } : {}), ...(force && rationale ? { rationale } : {}) },
          ports.now(),
        ),
      );
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      const text = formError(err);
      await audit(req, {
        action,
        outcome: 'refused',
        status: 400,
        ...who(s),
        campaign: c.id,
        detail: text.slice(0, 500),
      });
      const fresh = (await ports.store.get(c.id)) ?? c;
      return progress(s, fresh, 400, {
        message: { kind: 'error', text },
        closeForm: { force, rationale },
      });
    }
    await audit(req, {
      action,
      outcome: 'ok',
      status: 303,
      ...who(s),
      campaign: c.id,
      detail: closed.closed?.forced
        ? `forced with ${closed.closed.undecided} undecided: ${closed.closed.rationale}`
        : 'all decided',
    });
    return redirect(`/o/c/${encodeURIComponent(c.id)}?done=closed`);
  }

  async function logoutRoute(req: AppRequest): Promise<AppResponse> {
    const checked = await checkPost(req, 'owner-sign-out');
    if ('refused' in checked) return checked.refused;
    await audit(req, {
      action: 'owner-sign-out',
      outcome: 'ok',
      status: 200,
      ...who(checked.s),
      ...(checked.s.campaign ? { campaign: checked.s.campaign } : {}),
    });
    // AWS: the reviewer app's /auth/logout clears the IdP's token cookie and signs out of the pool.
    if (verifiedMode) return redirect('/auth/logout');
    return html(200, messagePage('Signed out', 'You are signed out. Your owner link signs you in again.'), [
      m.cookie('', 0),
    ]);
  }
}

/** The form as typed, bounded (each list at most 200 lines). */
export function createFormOf(form: URLSearchParams): CreateForm {
  const text = (name: string) => (form.get(name) ?? '').slice(0, 8000);
  const yes = (name: string) => form.get(name) === 'yes';
  return {
    name: text('name'),
    due: text('due'),
    sources: form.getAll('source').slice(0, 200),
    entitlements: text('entitlements'),
    privilegedOnly: yes('privilegedOnly'),
    financialOnly: yes('financialOnly'),
    openFindingsOnly: yes('openFindingsOnly'),
    reviewer: text('reviewer'),
    sourceReviewers: text('sourceReviewers'),
    entitlementReviewers: text('entitlementReviewers'),
    fallback: text('fallback'),
    managers: yes('managers'),
    useOwners: yes('useOwners'),
    ownersYaml: (form.get('ownersYaml') ?? '').slice(0, 60_000),
  };
}

const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, 200);
const optional = (text: string | undefined) => {
  const t = text?.trim();
  return t ? t : undefined;
};

/**
 * The campaign request of the owner's form: the same options `review start` builds from flags.
 * The entitlement-owner catalog is the deployment's (`useOwners`) or one pasted into the form,
 * checked as `review start --owners` checks the file.
 *
 * @example
 * campaignRequestOf({ name: 'Q4', due: '2026-12-31', reviewer: 'controller@example.com' }, 'owner@example.com', undefined);
 */
export function campaignRequestOf(
  f: CreateForm,
  owner: string,
  catalog: OwnersCatalog | undefined,
): CampaignRequest {
  const reviewer = optional(f.reviewer);
  const fallback = optional(f.fallback);
  const reviewers = reviewerOptions({
    ...(reviewer !== undefined ? { reviewer } : {}),
    bySource: parsePairs(lines(f.sourceReviewers), 'sourceReviewers', 'SOURCE=EMAIL', 'first'),
    byEntitlement: parsePairs(lines(f.entitlementReviewers), 'entitlementReviewers', 'GLOB=EMAIL', 'last'),
    ...(fallback !== undefined ? { fallback } : {}),
    ...(f.managers ? { managers: true } : {}),
  });
  const pasted = f.ownersYaml?.trim() ? parseOwnersCatalog(f.ownersYaml, 'owners.yaml') : undefined;
  const applied = f.useOwners && catalog ? catalog : pasted;
  return {
    name: f.name ?? '',
    createdBy: owner,
    dueAt: (f.due ?? '').trim(),
    scope: {
      sources: f.sources ?? [],
      entitlements: lines(f.entitlements),
      privilegedOnly: f.privilegedOnly === true,
      ...(f.financialOnly ? { financialOnly: true } : {}),
      ...(f.openFindingsOnly ? { openFindingsOnly: true } : {}),
    },
    reviewers: withCatalog(reviewers, applied),
  };
}

/** Core and CLI fields named as the form's labels, so the owner knows which field to fix. */
const LABEL_OF: [RegExp, string][] = [
  [/^name$/, 'Name'],
  [/^dueAt$/, 'Due date'],
  [/^scope\.sources/, 'Sources'],
  [/^scope\.entitlements/, 'Entitlements'],
  [/^scope\.financialOnly/, 'Financially significant sources only'],
  [/^scope\.openFindingsOnly/, 'Only grants an open finding touches'],
  [/^scope$/, 'Scope'],
  [/^reviewers\.default/, 'Default reviewer'],
  [/^(reviewers\.bySource|sourceReviewers)/, 'Source reviewers'],
  [/^(reviewers\.byEntitlement|entitlementReviewers)/, 'Entitlement reviewers'],
  [/^reviewers\.fallback/, 'Fallback reviewer'],
  [/^reviewers$/, 'Reviewers'],
  [/^--rationale$/, 'Rationale'],
  [/^(CAMPAIGN|--by)$/, ''],
];

function formError(err: InputError): string {
  const field = err.location.field;
  const raw =
    field && err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
  const label = field === undefined ? undefined : LABEL_OF.find(([re]) => re.test(field))?.[1];
  return label ? `${label}: ${raw}` : raw;
}
