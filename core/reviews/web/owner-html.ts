/**
 * Server-rendered pages of the campaign owner's screens (issue 17): the owner's campaigns, the
 * "Start a campaign" form, and one campaign's progress with reminders and close. Same rules as
 * the reviewer pages: no script, one stylesheet of our own, every field labelled, values escaped.
 */
import type { Campaign, CampaignNotice } from '../model';
import { esc, page } from './html';

export interface Message {
  kind: 'ok' | 'error';
  text: string;
  details?: string[];
}

function message(m: Message | undefined): string {
  if (!m) return '';
  const details = m.details?.length ? `<ul>${m.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : '';
  return `<div class="${m.kind}" role="${m.kind === 'error' ? 'alert' : 'status'}" id="message">${esc(m.text)}${details}</div>`;
}

function signOut(csrf: string): string {
  return `<form method="post" action="/o/logout"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit" class="secondary">Sign out</button></form>`;
}

export function ownerHomePage(v: {
  owner: string;
  csrf: string;
  campaigns: readonly {
    id: string;
    name: string;
    status: string;
    dueAt: string;
    decided: number;
    items: number;
  }[];
  canCreate: boolean;
}): string {
  const rows = v.campaigns
    .map(
      (c) =>
        `<tr><td><a href="/o/c/${encodeURIComponent(c.id)}">${esc(c.name)}</a><br><span class="meta">${esc(c.id)}</span></td><td>${esc(c.status)}</td><td>${esc(c.dueAt.slice(0, 10))}</td><td>${c.decided} of ${c.items}</td></tr>`,
    )
    .join('\n');
  return page(
    'Your campaigns',
    `<h1>Your campaigns</h1>
<p class="meta">Campaign owner: <strong>${esc(v.owner)}</strong></p>
${signOut(v.csrf)}
${v.canCreate ? '<p><a href="/o/new" id="new-campaign">Start a campaign</a></p>' : ''}
${
  rows
    ? `<table><caption class="meta">Campaigns you started</caption><thead><tr><th scope="col">Campaign</th><th scope="col">Status</th><th scope="col">Due</th><th scope="col">Decided</th></tr></thead><tbody>\n${rows}\n</tbody></table>`
    : '<p>You have started no campaign yet.</p>'
}`,
  );
}

/** The form's fields as typed (kept on a refused submission). */
export interface CreateForm {
  name?: string;
  due?: string;
  sources?: string[];
  entitlements?: string;
  privilegedOnly?: boolean;
  financialOnly?: boolean;
  openFindingsOnly?: boolean;
  reviewer?: string;
  sourceReviewers?: string;
  entitlementReviewers?: string;
  fallback?: string;
  managers?: boolean;
  useOwners?: boolean;
  /** An entitlement-owner catalog pasted into the form (owners.yaml text). */
  ownersYaml?: string;
}

export function createCampaignPage(v: {
  owner: string;
  csrf: string;
  base?: {
    runId: string;
    sequence: number;
    sources: readonly { id: string; system: string; status: string; complete: boolean; financial: boolean }[];
  };
  catalog?: { file: string; sha256: string };
  form: CreateForm;
  message?: Message;
}): string {
  const f = v.form;
  const checked = (on: boolean | undefined) => (on ? ' checked' : '');
  const sources = (v.base?.sources ?? [])
    .map((s, i) => {
      const id = `source-${i}`;
      const notes = [
        s.system,
        s.status === 'failed' ? 'failed: cannot be reviewed' : s.complete ? 'complete' : 'incomplete',
        ...(s.financial ? ['financially significant'] : []),
      ].join(', ');
      return `<div><input type="checkbox" name="source" value="${esc(s.id)}" id="${id}"${checked(f.sources?.includes(s.id))}${s.status === 'failed' ? ' disabled' : ''}> <label for="${id}" class="inline">${esc(s.id)} <span class="meta">(${esc(notes)})</span></label></div>`;
    })
    .join('\n');
  const body = v.base
    ? `<form method="post" action="/o/new">
<fieldset>
<legend>Campaign</legend>
<div><label for="name">Name</label><input type="text" id="name" name="name" value="${esc(f.name ?? '')}" maxlength="200" required></div>
<div><label for="due">Due date</label><input type="date" id="due" name="due" value="${esc(f.due ?? '')}" required></div>
</fieldset>
<fieldset>
<legend>Scope (grants of run ${esc(v.base.runId)}, pack #${v.base.sequence})</legend>
<div role="group" aria-labelledby="sources-label"><p id="sources-label" class="label">Sources (none ticked: every collected source)</p>
${sources}
</div>
<div><label for="entitlements">Entitlements (one glob per line, e.g. <code>AP *</code>; empty: all)</label><textarea id="entitlements" name="entitlements" rows="3" maxlength="4000">${esc(f.entitlements ?? '')}</textarea></div>
<div><input type="checkbox" id="privilegedOnly" name="privilegedOnly" value="yes"${checked(f.privilegedOnly)}> <label for="privilegedOnly" class="inline">Privileged entitlements only</label></div>
<div><input type="checkbox" id="financialOnly" name="financialOnly" value="yes"${checked(f.financialOnly)}> <label for="financialOnly" class="inline">Financially significant sources only</label></div>
<div><input type="checkbox" id="openFindingsOnly" name="openFindingsOnly" value="yes"${checked(f.openFindingsOnly)}> <label for="openFindingsOnly" class="inline">Only grants an open finding touches</label></div>
</fieldset>
<fieldset>
<legend>Reviewers (an entitlement owner first, then the holder's manager when ticked, then the source's reviewer, then the default)</legend>
${
  v.catalog
    ? `<div><input type="checkbox" id="useOwners" name="useOwners" value="yes"${checked(f.useOwners)}> <label for="useOwners" class="inline">Use the entitlement-owner catalog ${esc(v.catalog.file)} <span class="meta">(sha256 ${esc(v.catalog.sha256.slice(0, 12))}…)</span></label></div>`
    : ''
}
<div><label for="ownersYaml">Entitlement-owner catalog pasted (owners.yaml; ${v.catalog ? 'used unless the catalog above is ticked' : 'empty: none'})</label><textarea id="ownersYaml" name="ownersYaml" rows="3" maxlength="60000">${esc(f.ownersYaml ?? '')}</textarea></div>
<div><label for="entitlementReviewers">Entitlement reviewers (one <code>GLOB=EMAIL</code> per line, the first match wins)</label><textarea id="entitlementReviewers" name="entitlementReviewers" rows="3" maxlength="8000">${esc(f.entitlementReviewers ?? '')}</textarea></div>
<div><input type="checkbox" id="managers" name="managers" value="yes"${checked(f.managers)}> <label for="managers" class="inline">The holder's HR manager reviews before the source's reviewer</label></div>
<div><label for="sourceReviewers">Source reviewers (one <code>SOURCE=EMAIL</code> per line)</label><textarea id="sourceReviewers" name="sourceReviewers" rows="3" maxlength="8000">${esc(f.sourceReviewers ?? '')}</textarea></div>
<div><label for="reviewer">Default reviewer (email)</label><input type="email" id="reviewer" name="reviewer" value="${esc(f.reviewer ?? '')}" maxlength="320"></div>
<div><label for="fallback">Fallback reviewer (reviews grants their reviewer holds; email)</label><input type="email" id="fallback" name="fallback" value="${esc(f.fallback ?? '')}" maxlength="320"></div>
</fieldset>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit" id="create">Start the campaign</button>
</form>`
    : '<p>No sealed evidence pack to draw a campaign from: run a scan first.</p>';
  return page(
    'Start a campaign',
    `<p><a href="/o">Your campaigns</a></p>
<h1>Start a campaign</h1>
<p class="meta">Campaign owner: <strong>${esc(v.owner)}</strong>. The campaign reviews the grants of the newest sealed pack; you become its owner.</p>
${message(v.message)}
${body}`,
  );
}

export interface ReviewerProgress {
  reviewer: string;
  items: number;
  decided: number;
  undecided: number;
  /** Undecided and past the due date (0 before it, and once closed). */
  overdue: number;
  lastNotice?: CampaignNotice;
  link?: string;
}

export function progressPage(v: {
  campaign: Campaign;
  owner: string;
  csrf: string;
  reviewers: readonly ReviewerProgress[];
  summary: {
    items: number;
    decided: number;
    undecided: number;
    kept: number;
    revoked: number;
    delegated: number;
    overdue: boolean;
  };
  /** Notices due now and not yet sent; undefined when reminders cannot be sent from here. */
  dueNow?: number;
  nextReminderAt?: string;
  canCreate: boolean;
  message?: Message;
  closeForm?: { force?: boolean; rationale?: string };
}): string {
  const c = v.campaign;
  const base = `/o/c/${encodeURIComponent(c.id)}`;
  const s = v.summary;
  const rows = v.reviewers
    .map(
      (r) =>
        `<tr data-reviewer="${esc(r.reviewer)}"><th scope="row">${esc(r.reviewer)}</th><td>${r.items}</td><td>${r.decided}</td><td>${r.undecided}</td><td${r.overdue ? ' class="high"' : ''}>${r.overdue}</td><td>${r.lastNotice ? `${esc(r.lastNotice.kind)} to ${esc(r.lastNotice.to)}, ${esc(r.lastNotice.sentAt.slice(0, 10))}` : 'none'}</td></tr>`,
    )
    .join('\n');
  const links = v.reviewers.filter((r) => r.link);
  const linkList = links.length
    ? `<details><summary>Reviewer sign-in links (send each reviewer their own; keep them private)</summary><ul>${links
        .map((r) => `<li>${esc(r.reviewer)}: <code>${esc(r.link)}</code></li>`)
        .join('')}</ul></details>`
    : '';
  const notices = (c.notices ?? [])
    .map(
      (n) =>
        `<li>${esc(n.sentAt.slice(0, 16).replace('T', ' '))}: ${esc(n.kind)} about ${esc(n.reviewer)} to ${esc(n.to)} (${n.undecided} undecided, ${esc(n.via)})</li>`,
    )
    .join('');
  const open = c.status === 'open';
  const remind =
    open && v.dueNow !== undefined
      ? `<form method="post" action="${base}/remind">
<p>${v.dueNow === 0 ? `No reminder is due now${v.nextReminderAt ? `; the next one is due ${esc(v.nextReminderAt.slice(0, 10))}` : ''}.` : `${v.dueNow} reminder(s) or escalation(s) are due now.`} Reminders go 3 days before the due date and on it; escalations to the reviewer's manager after it; each once.</p>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit" id="remind">Send the reminders due now</button>
</form>`
      : open
        ? '<p class="meta">Reminders are sent by the scheduler (`review remind`).</p>'
        : '';
  const cf = v.closeForm ?? {};
  const close = open
    ? `<form method="post" action="${base}/close">
<fieldset>
<legend>Close the campaign</legend>
<p class="hint">Closing makes every decision final; the next scan seals the campaign into the evidence pack. With undecided items it is refused unless you force it and say why.</p>
<div><input type="checkbox" id="force" name="force" value="yes"${cf.force ? ' checked' : ''}> <label for="force" class="inline">Close with undecided items (force)</label></div>
<div><label for="rationale">Rationale (required to force; at least 10 characters)</label><textarea id="rationale" name="rationale" rows="2" maxlength="2000">${esc(cf.rationale ?? '')}</textarea></div>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit" id="close">Close the campaign</button>
</fieldset>
</form>`
    : `<p id="closed">Closed ${esc(c.closed?.at ?? '')} by ${esc(c.closed?.by ?? '')}${c.closed?.forced ? `, forced with ${c.closed.undecided} undecided: ${esc(c.closed.rationale ?? '')}` : ''}. The next scan seals it into the evidence pack.</p>`;
  const scope = [
    c.scope.sources.length ? `sources ${c.scope.sources.join(', ')}` : 'every source',
    c.scope.entitlements.length ? `entitlements ${c.scope.entitlements.join(', ')}` : 'every entitlement',
    ...(c.scope.privilegedOnly ? ['privileged only'] : []),
    ...(c.scope.financialOnly ? ['financially significant sources only'] : []),
    ...(c.scope.openFindingsOnly ? ['touched by an open finding only'] : []),
  ].join('; ');
  return page(
    `${c.name}: progress`,
    `<p><a href="/o">Your campaigns</a>${v.canCreate ? ' · <a href="/o/new">Start a campaign</a>' : ''}</p>
<h1>${esc(c.name)}</h1>
<p class="meta">${esc(c.id)} · <span id="status">${esc(c.status)}${s.overdue ? ', overdue' : ''}</span> · due ${esc(c.dueAt.slice(0, 10))} · started ${esc(c.createdAt.slice(0, 10))} by ${esc(c.createdBy)} · base run ${esc(c.baseRunId)}</p>
<p class="meta">Scope: ${esc(scope)}</p>
${signOut(v.csrf)}
${message(v.message)}
<p id="summary"><strong>${s.decided} of ${s.items} decided</strong> (${s.kept} keep, ${s.revoked} revoke), ${s.undecided} undecided${s.delegated ? `, ${s.delegated} delegated` : ''}</p>
<table>
<caption class="meta">Progress per reviewer</caption>
<thead><tr><th scope="col">Reviewer</th><th scope="col">Items</th><th scope="col">Decided</th><th scope="col">Undecided</th><th scope="col">Overdue</th><th scope="col">Last notice</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${linkList}
<h2>Reminders</h2>
${notices ? `<ul id="notices">${notices}</ul>` : '<p>None sent yet.</p>'}
${remind}
<h2>Close</h2>
${close}`,
  );
}
