/**
 * Starting a campaign in AWS (issue 17): the owner's form behind the same CloudFront URL, HTTP API
 * and JWT authorizer as the reviewer app, on its own function (`review-start`) because it is the
 * only part that reads the evidence bucket. Routes:
 *
 * - `GET /owner/new`: the form (scope and reviewer options of `accessproof review start`).
 * - `POST /owner/campaigns`: CSRF-checked; builds the campaign with the same core as the CLI
 *   (core/reviews/start.ts) over the chain head's sealed inventory, read by object version.
 *
 * Owner authorization: the verified email (the authorizer's claim, as for reviewers) must be one of
 * the configured campaign owners; anyone else gets 403. Every POST is audited in the table.
 */
import * as z from 'zod';
import { InputError } from '../../core/errors';
import type { Campaign } from '../../core/reviews/model';
import { parseOwnersCatalog, withCatalog } from '../../core/reviews/owners';
import type { ReviewStore } from '../../core/reviews/repository';
import {
  type CampaignRequest,
  type CampaignStartPorts,
  createCampaignFromPack,
} from '../../core/reviews/start';
import type { AuditEntry } from '../../core/reviews/web/app';
import { esc, messagePage, page } from '../../core/reviews/web/html';
import { type AppRequest, type AppResponse, html, redirect } from '../../core/reviews/web/http';
import { csrfToken, csrfValid, type SessionGrant } from '../../core/reviews/web/tokens';
import {
  type HttpApiResult,
  toAppRequest,
  toHttpApiResult,
  type VerifiedIdentityOptions,
} from './reviews-http';

export interface CampaignStartHandlerPorts extends VerifiedIdentityOptions {
  /** Emails allowed to start campaigns (lower case). */
  owners: readonly string[];
  /** The reviews table's app key (CSRF tokens are HMACs of the sign-in). */
  key: Uint8Array;
  now: () => Date;
  audit: (entry: AuditEntry) => Promise<void>;
  /** The pack reader, store and findings the campaign is built from (fresh per request). */
  start: () => Omit<CampaignStartPorts, 'fields' | 'store'> & { store: ReviewStore };
}

const FORM_FIELDS: Record<string, string> = {
  name: 'name',
  dueAt: 'due',
  createdBy: 'owner',
  'scope.sources': 'sources',
  'scope.entitlements': 'entitlements',
  'scope.financialOnly': 'financialOnly',
  'scope.openFindingsOnly': 'openFindingsOnly',
  scope: 'sources',
  'reviewers.default': 'reviewer',
  'reviewers.bySource': 'sourceReviewers',
  'reviewers.byEntitlement': 'entitlementReviewers',
  'reviewers.fallback': 'fallback',
  reviewers: 'reviewer',
};

const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n|,/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

const formSchema = z.object({
  name: z.string().trim().min(1, 'give the campaign a name').max(200),
  due: z.string().trim().min(1, 'give a due date (YYYY-MM-DD)'),
  sources: z.string().optional(),
  entitlements: z.string().optional(),
  privilegedOnly: z.literal('on').optional(),
  financialOnly: z.literal('on').optional(),
  openFindingsOnly: z.literal('on').optional(),
  reviewer: z.string().trim().optional(),
  fallback: z.string().trim().optional(),
  managers: z.literal('on').optional(),
  sourceReviewers: z.string().optional(),
  entitlementReviewers: z.string().optional(),
  ownersYaml: z.string().optional(),
});

/**
 * The form's fields as the CLI's `review start` options (`SOURCE=EMAIL` and `GLOB=EMAIL` lines;
 * an owners.yaml pasted as text is checked as the CLI checks the file).
 */
export function campaignRequestOf(form: URLSearchParams, owner: string): CampaignRequest {
  const raw = Object.fromEntries([...form.entries()].filter(([, v]) => v.length > 0));
  const parsed = formSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(issue?.message ?? 'invalid form', { field: String(issue?.path[0] ?? 'form') });
  }
  const f = parsed.data;
  const pair = (text: string, field: string, at: number): [string, string] => {
    const left = text.slice(0, Math.max(at, 0)).trim();
    const right = text.slice(at + 1).trim();
    if (at <= 0 || !left || !right) throw new InputError(`"${text}" is not NAME=EMAIL`, { field });
    return [left, right];
  };
  const bySource = Object.fromEntries(
    lines(f.sourceReviewers).map((l) => pair(l, 'sourceReviewers', l.indexOf('='))),
  );
  const byEntitlement = (f.entitlementReviewers ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [pattern, reviewer] = pair(l, 'entitlementReviewers', l.lastIndexOf('='));
      return { pattern, reviewer };
    });
  const catalog = f.ownersYaml?.trim() ? parseOwnersCatalog(f.ownersYaml, 'owners.yaml') : undefined;
  return {
    name: f.name,
    createdBy: owner,
    dueAt: f.due,
    scope: {
      sources: lines(f.sources),
      entitlements: (f.entitlements ?? '')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean),
      privilegedOnly: f.privilegedOnly === 'on',
      ...(f.financialOnly ? { financialOnly: true } : {}),
      ...(f.openFindingsOnly ? { openFindingsOnly: true } : {}),
    },
    reviewers: withCatalog(
      {
        ...(f.reviewer ? { default: f.reviewer } : {}),
        bySource,
        byEntitlement,
        ...(f.fallback ? { fallback: f.fallback } : {}),
        ...(f.managers ? { managers: true } : {}),
      },
      catalog,
    ),
  };
}

/** Core refusals name option fields (`dueAt`); the owner sees the form's field names. */
function withFormFields<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const field = err instanceof InputError ? err.location.field : undefined;
    if (!(err instanceof InputError) || field === undefined) throw err;
    const key = Object.keys(FORM_FIELDS).find(
      (k) => field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`),
    );
    if (!key) throw err;
    const raw = err.message.startsWith(`${field}: `) ? err.message.slice(field.length + 2) : err.message;
    throw new InputError(raw, { ...err.location, field: FORM_FIELDS[key]! });
  }
}

function startedPage(c: Campaign): string {
  const per = new Map<string, number>();
  for (const i of c.items) per.set(i.reviewer, (per.get(i.reviewer) ?? 0) + 1);
  const rows = [...per]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([r, n]) => `<tr><td>${esc(r)}</td><td>${n}</td></tr>`)
    .join('');
  return page(
    c.name,
    `<h1>${esc(c.name)}</h1>
<p>Campaign <code>${esc(c.id)}</code>, ${esc(c.status)}, due ${esc(c.dueAt)}, started by ${esc(c.createdBy)}.</p>
<p>Population: ${c.items.length} grant(s) from the sealed pack of run <code>${esc(c.baseRunId)}</code> (manifest sha256 <code>${esc(c.baseManifestSha256 ?? '')}</code>), population sha256 <code>${esc(c.populationSha256 ?? '')}</code>.</p>
<table><thead><tr><th scope="col">Reviewer</th><th scope="col">Items</th></tr></thead><tbody>${rows}</tbody></table>
<p>Reviewers open the app and sign in; reminders go out on schedule.</p>`,
  );
}

function formPage(csrf: string, owner: string): string {
  const text = (name: string, label: string, hint = '') =>
    `<p><label for="${name}">${esc(label)}</label>${hint ? `<br><small id="${name}-hint">${esc(hint)}</small>` : ''}<br><input id="${name}" name="${name}"${hint ? ` aria-describedby="${name}-hint"` : ''}></p>`;
  const area = (name: string, label: string, hint: string) =>
    `<p><label for="${name}">${esc(label)}</label><br><small id="${name}-hint">${esc(hint)}</small><br><textarea id="${name}" name="${name}" rows="4" cols="60" aria-describedby="${name}-hint"></textarea></p>`;
  const check = (name: string, label: string) =>
    `<p><input type="checkbox" id="${name}" name="${name}"> <label for="${name}">${esc(label)}</label></p>`;
  return page(
    'Start a review campaign',
    `<h1>Start a review campaign</h1>
<p>Signed in as ${esc(owner)}. The campaign reviews the inventory of the newest sealed evidence pack.</p>
<form method="post" action="/owner/campaigns">
<input type="hidden" name="csrf" value="${esc(csrf)}">
${text('name', 'Name')}
${text('due', 'Due date', 'YYYY-MM-DD')}
${text('sources', 'Sources', 'Source ids, comma-separated; empty: all')}
${area('entitlements', 'Entitlements', 'One glob per line; empty: all')}
${check('privilegedOnly', 'Privileged grants only')}
${check('financialOnly', 'Financially significant sources only')}
${check('openFindingsOnly', 'Only grants an open finding touches')}
${text('reviewer', 'Default reviewer (email)')}
${text('fallback', 'Fallback reviewer (email)', 'Reviews grants their assigned reviewer holds')}
${check('managers', "The holder's HR manager reviews before the source owner")}
${area('sourceReviewers', 'Source owners', 'One SOURCE=EMAIL per line')}
${area('entitlementReviewers', 'Entitlement owners', 'One GLOB=EMAIL per line')}
${area('ownersYaml', 'Owners catalog (owners.yaml)', 'Paste the catalog; empty: none')}
<p><button type="submit">Start</button></p>
</form>`,
  );
}

/**
 * @example
 * export const handler = campaignStartHandler({ owners, key, now, audit, start, trustedProviders });
 */
export function campaignStartHandler(
  ports: CampaignStartHandlerPorts,
): (event: unknown) => Promise<HttpApiResult> {
  const owners = new Set(ports.owners.map((o) => o.trim().toLowerCase()));
  const respond = async (req: AppRequest): Promise<AppResponse> => {
    const v = req.verified;
    if (!v) return html(401, messagePage('Sign in', 'Sign in through the reviewer app first.'));
    const grant: SessionGrant = {
      campaign: '-',
      reviewer: v.reviewer,
      sid: v.sid,
      exp: new Date(ports.now().getTime() + 3_600_000).toISOString(),
    };
    const audit = (entry: Omit<AuditEntry, 'at' | 'reviewer' | 'sid' | 'remote'>) =>
      ports.audit({
        at: ports.now().toISOString(),
        ...entry,
        reviewer: v.reviewer,
        sid: v.sid,
        ...(req.remote ? { remote: req.remote } : {}),
      });
    const isOwner = owners.has(v.reviewer);
    if (req.method === 'GET' && req.path === '/owner/new') {
      if (!isOwner) return html(403, messagePage('Forbidden', 'Only a campaign owner can start a campaign.'));
      return html(200, formPage(csrfToken(ports.key, grant), v.reviewer));
    }
    const shown = /^\/owner\/campaigns\/([^/]+)$/.exec(req.path);
    if (req.method === 'GET' && shown) {
      if (!isOwner) return html(403, messagePage('Forbidden', 'Only a campaign owner can see this.'));
      const campaign = await ports.start().store.get(decodeURIComponent(shown[1]!));
      if (!campaign) return html(404, messagePage('Not found', 'There is no such campaign.'));
      return html(200, startedPage(campaign));
    }
    if (req.method !== 'POST' || req.path !== '/owner/campaigns') {
      return html(404, messagePage('Not found', 'There is nothing here for you.'));
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const form = new URLSearchParams(type === 'application/x-www-form-urlencoded' ? req.body : '');
    if (!isOwner) {
      await audit({
        action: 'campaign-start',
        outcome: 'refused',
        status: 403,
        detail: 'not a campaign owner',
      });
      return html(403, messagePage('Forbidden', 'Only a campaign owner can start a campaign.'));
    }
    if (!csrfValid(ports.key, grant, form.get('csrf') ?? undefined)) {
      await audit({ action: 'campaign-start', outcome: 'refused', status: 403, detail: 'CSRF token' });
      return html(403, messagePage('Forbidden', 'The form expired. Open it again.'));
    }
    form.delete('csrf');
    try {
      const request = campaignRequestOf(form, v.reviewer);
      const { campaign, pack } = await createCampaignFromPack(
        { ...ports.start(), fields: withFormFields },
        request,
        ports.now(),
      );
      await audit({
        action: 'campaign-start',
        outcome: 'ok',
        status: 303,
        campaign: campaign.id,
        detail: `base run ${pack.runId} (manifest sha256 ${pack.manifestSha256}), ${campaign.items.length} item(s), population sha256 ${campaign.populationSha256}`,
      });
      return redirect(`/owner/campaigns/${encodeURIComponent(campaign.id)}`);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await audit({ action: 'campaign-start', outcome: 'refused', status: 400, detail: err.message });
      return html(400, messagePage('Not started', err.message));
    }
  };
  return async (event) => {
    const mapped = toAppRequest(event, ports);
    return toHttpApiResult('refused' in mapped ? mapped.refused : await respond(mapped.request));
  };
}
