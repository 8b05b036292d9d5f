/**
 * Starting a campaign in AWS (issue 17): the owner's form behind the same CloudFront URL, HTTP API
 * and JWT authorizer as the reviewer app, on its own function (`review-start`) because it is the
 * only part that reads the evidence bucket. Routes:
 *
 * - `GET /owner/new`: the form (scope and reviewer options of `accessproof review start`).
 * - `POST /owner/campaigns`: CSRF-checked; builds the campaign with the same core as the CLI
 *   (core/reviews/create.ts) over the chain head's sealed inventory, read by object version.
 * - `GET /owner/campaigns/<id>`: population, progress; `POST …/close` closes it (forced needs a
 *   rationale), as `review close`.
 *
 * Owner authorization: the verified email (the authorizer's claim, as for reviewers) must be one of
 * the configured campaign owners; anyone else gets 403. Every POST is audited in the table.
 */
import { InputError } from '../../core/errors';
import { type CampaignBasePort, type CampaignRequest, createCampaign } from '../../core/reviews/create';
import { closeCampaign } from '../../core/reviews/decide';
import type { Campaign } from '../../core/reviews/model';
import { parseOwnersCatalog } from '../../core/reviews/owners';
import type { ReviewStore } from '../../core/reviews/repository';
import type { AuditEntry } from '../../core/reviews/web/app';
import { esc, messagePage, page } from '../../core/reviews/web/html';
import { type AppRequest, type AppResponse, html, redirect } from '../../core/reviews/web/http';
import { campaignRequestOf, createFormOf } from '../../core/reviews/web/owner';
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
  start: () => { base: CampaignBasePort; store: ReviewStore };
}

/**
 * The owner's form as the local owner screens read it (core/reviews/web/owner.ts), so both build
 * the same request; `sources` is one comma-separated field here, and an owners.yaml may be pasted
 * (checked as the CLI checks the file).
 */
export function campaignRequestFromForm(form: URLSearchParams, owner: string): CampaignRequest {
  const typed = new URLSearchParams(form);
  typed.delete('source');
  for (const id of (form.get('sources') ?? '').split(',')) if (id.trim()) typed.append('source', id.trim());
  const yaml = form.get('ownersYaml') ?? '';
  const catalog = yaml.trim() ? parseOwnersCatalog(yaml, 'owners.yaml') : undefined;
  return campaignRequestOf({ ...createFormOf(typed), useOwners: catalog !== undefined }, owner, catalog);
}

function startedPage(c: Campaign, csrf: string): string {
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
<p>${c.items.filter((i) => i.decision).length} of ${c.items.length} decided.${c.closed ? ` Closed ${esc(c.closed.at)} by ${esc(c.closed.by)}${c.closed.forced ? `, forced: ${esc(c.closed.rationale ?? '')}` : ''}.` : ''}</p>
${
  c.status === 'open'
    ? `<form method="post" action="/owner/campaigns/${esc(encodeURIComponent(c.id))}/close">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<p><input type="checkbox" id="force" name="force" value="yes"> <label for="force">Close with undecided items</label></p>
<p><label for="rationale">Rationale (needed to force)</label><br><textarea id="rationale" name="rationale" rows="3" cols="60"></textarea></p>
<p><button type="submit">Close the campaign</button></p>
</form>`
    : ''
}`,
  );
}

function formPage(csrf: string, owner: string): string {
  const text = (name: string, label: string, hint = '') =>
    `<p><label for="${name}">${esc(label)}</label>${hint ? `<br><small id="${name}-hint">${esc(hint)}</small>` : ''}<br><input id="${name}" name="${name}"${hint ? ` aria-describedby="${name}-hint"` : ''}></p>`;
  const area = (name: string, label: string, hint: string) =>
    `<p><label for="${name}">${esc(label)}</label><br><small id="${name}-hint">${esc(hint)}</small><br><textarea id="${name}" name="${name}" rows="4" cols="60" aria-describedby="${name}-hint"></textarea></p>`;
  const check = (name: string, label: string) =>
    `<p><input type="checkbox" id="${name}" name="${name}" value="yes"> <label for="${name}">${esc(label)}</label></p>`;
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
      return html(200, startedPage(campaign, csrfToken(ports.key, grant)));
    }
    const closing = /^\/owner\/campaigns\/([^/]+)\/close$/.exec(req.path);
    if (req.method === 'POST' && closing)
      return close(req, decodeURIComponent(closing[1]!), grant, isOwner, audit);
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
      const request = campaignRequestFromForm(form, v.reviewer);
      const { base, store } = ports.start();
      const { campaign, pack } = await createCampaign(base, store, request, ports.now());
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
  /** Close (refused while undecided unless forced with a rationale, as `review close`). */
  const close = async (
    req: AppRequest,
    id: string,
    grant: SessionGrant,
    isOwner: boolean,
    audit: (entry: Omit<AuditEntry, 'at' | 'reviewer' | 'sid' | 'remote'>) => Promise<void>,
  ): Promise<AppResponse> => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const form = new URLSearchParams(type === 'application/x-www-form-urlencoded' ? req.body : '');
    if (!isOwner || !csrfValid(ports.key, grant, form.get('csrf') ?? undefined)) {
      await audit({
        action: 'campaign-close',
        outcome: 'refused',
        status: 403,
        campaign: id,
        detail: isOwner ? 'CSRF token' : 'not a campaign owner',
      });
      return html(403, messagePage('Forbidden', 'Only a campaign owner can close a campaign.'));
    }
    const force = form.get('force') === 'yes';
    const rationale = form.get('rationale')?.trim();
    try {
      const closed = await ports
        .start()
        .store.update(id, (c) =>
          closeCampaign(
            c,
            { by: grant.reviewer, ...(force ? { force: true } : {}), ...(rationale ? { rationale } : {}) },
            ports.now(),
          ),
        );
      await audit({
        action: 'campaign-close',
        outcome: 'ok',
        status: 303,
        campaign: id,
        detail: closed.closed?.forced ? `forced: ${closed.closed.rationale}` : 'all decided',
      });
      return redirect(`/owner/campaigns/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      await audit({
        action: 'campaign-close',
        outcome: 'refused',
        status: 400,
        campaign: id,
        detail: err.message,
      });
      return html(400, messagePage('Not closed', err.message));
    }
  };
  return async (event) => {
    const mapped = toAppRequest(event, ports);
    return toHttpApiResult('refused' in mapped ? mapped.refused : await respond(mapped.request));
  };
}
