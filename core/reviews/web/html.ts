/**
 * Server-rendered pages of the reviewer app. No script and no asset from elsewhere: one stylesheet
 * served by the app itself (`/assets/app.css`), native forms (keyboard usable, each field
 * labelled), relative units so the page reflows at 200 % zoom. Every value is escaped.
 */
import type { Campaign, ReviewItem } from '../model';

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export const APP_CSS = `
:root { font-family: system-ui, sans-serif; line-height: 1.45; color: #1b1b1b; background: #fff; }
body { margin: 0 auto; padding: 1rem; max-width: 90rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; }
.meta, .hint { color: #444; font-size: .95rem; }
form.filters, fieldset { display: flex; flex-wrap: wrap; gap: .75rem 1.25rem; align-items: end; border: 1px solid #bbb; padding: .75rem; margin: 1rem 0; }
label { display: block; font-weight: 600; font-size: .9rem; }
input, select, textarea, button { font: inherit; }
input[type=text], input[type=email], input[type=search], select, textarea { display: block; min-width: 12rem; padding: .3rem; border: 1px solid #555; }
textarea { min-width: 24rem; max-width: 100%; }
button { padding: .4rem .9rem; border: 1px solid #1b4d8c; background: #1b4d8c; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1b4d8c; }
:focus-visible { outline: 3px solid #c25e00; outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: .4rem; text-align: left; vertical-align: top; }
th { background: #f1f1f1; }
.flag { display: inline-block; padding: 0 .35rem; border: 1px solid currentColor; font-size: .8rem; margin: .1rem .2rem .1rem 0; }
.leaver, .critical, .high { color: #a30000; }
.privileged { color: #6a2c91; }
.ok { border-left: 4px solid #1d7a2e; padding-left: .5rem; }
.error { border-left: 4px solid #a30000; padding-left: .5rem; }
.radio { display: flex; gap: 1rem; }
.radio label { font-weight: 400; display: inline; }
label.inline { display: inline; font-weight: 400; }
code, td, th, dd, li { overflow-wrap: anywhere; }
p.label { font-weight: 600; font-size: .9rem; margin: 0; }
@media (max-width: 60rem) { table, thead, tbody, tr, th, td { display: block; } thead { position: absolute; left: -9999px; } td { border: 0; } tr { border-bottom: 2px solid #999; padding: .5rem 0; } }
`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="/assets/app.css">
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${esc(title)}</h1>\n<p>${esc(text)}</p>`);
}

/** `Direct`, or the group / role chain the grant comes through. */
export function grantedVia(item: ReviewItem): string {
  return item.pathNames.length ? `via ${item.pathNames.join(' → ')}` : 'direct';
}

function who(item: ReviewItem): string {
  const c = item.context;
  const flags: string[] = [];
  if (c?.leaver) flags.push('<span class="flag leaver">leaver</span>');
  else if (c?.hrStatus) flags.push(`<span class="flag">HR: ${esc(c.hrStatus)}</span>`);
  if (item.principalStatus !== 'active')
    flags.push(`<span class="flag">account ${esc(item.principalStatus)}</span>`);
  if (item.principalKind === 'nonhuman') flags.push('<span class="flag">non-human</span>');
  const lines = [
    `<strong>${esc(item.identityName)}</strong> ${flags.join('')}`,
    `<span class="meta">${esc(item.principalName)} (${esc(item.principalType)})</span>`,
  ];
  if (c?.department) lines.push(`<span class="meta">Department: ${esc(c.department)}</span>`);
  if (c?.manager) lines.push(`<span class="meta">Manager: ${esc(c.manager)}</span>`);
  return lines.join('<br>');
}

function what(item: ReviewItem): string {
  const flags = item.privileged ? ' <span class="flag privileged">privileged</span>' : '';
  const fns = item.context?.functions?.length
    ? `<br><span class="meta">Gives: ${esc(item.context.functions.join('; '))}</span>`
    : '';
  return `<strong>${esc(item.entitlementName)}</strong>${flags}<br><span class="meta">${esc(item.system)} · ${esc(item.sourceId)} · ${esc(item.entitlementType)}</span>${fns}`;
}

function findings(item: ReviewItem): string {
  const list = item.context?.findings ?? [];
  if (!list.length) return 'none';
  return list
    .map(
      (f) =>
        `<span class="flag ${esc(f.severity)}">${esc(f.rule)}</span> ${esc(f.title)}${f.functions?.length ? ` <span class="meta">(${esc(f.functions.join(', '))})</span>` : ''}`,
    )
    .join('<br>');
}

function previous(item: ReviewItem): string {
  const p = item.context?.previous;
  return p
    ? `${esc(p.outcome)} by ${esc(p.by)}, ${esc(p.at.slice(0, 10))}${p.note ? `: ${esc(p.note)}` : ''}`
    : 'none';
}

function current(item: ReviewItem): string {
  const d = item.decision;
  const hops = (item.delegations ?? []).map((h) => `delegated by ${esc(h.from)}: ${esc(h.reason)}`);
  const text = d ? `<strong>${esc(d.outcome)}</strong>${d.note ? `: ${esc(d.note)}` : ''}` : 'undecided';
  return [text, ...hops.map((h) => `<span class="meta">${h}</span>`)].join('<br>');
}

export interface ListView {
  campaign: Campaign;
  reviewer: string;
  items: ReviewItem[];
  /** Items of the reviewer, before filters. */
  total: number;
  decided: number;
  csrf: string;
  filters: { q: string; status: string; privileged: string; sort: string };
  selected: ReadonlySet<string>;
  message?: { kind: 'ok' | 'error'; text: string; details?: string[] };
  form?: { action?: string; note?: string; to?: string; reason?: string };
}

function option(value: string, label: string, chosen: string): string {
  return `<option value="${esc(value)}"${value === chosen ? ' selected' : ''}>${esc(label)}</option>`;
}

export function listPage(v: ListView): string {
  const c = v.campaign;
  const base = `/c/${encodeURIComponent(c.id)}`;
  const details = v.message?.details?.length
    ? `<ul>${v.message.details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>`
    : '';
  const msg = v.message
    ? `<div class="${v.message.kind}" role="${v.message.kind === 'error' ? 'alert' : 'status'}" id="message">${esc(v.message.text)}${details}</div>`
    : '';
  const closed = c.status !== 'open';
  const rows = v.items
    .map((item) => {
      const id = `item-${item.id}`;
      const box = closed
        ? ''
        : `<input type="checkbox" name="item" value="${esc(item.id)}" id="${id}"${v.selected.has(item.id) ? ' checked' : ''}><label for="${id}" class="meta">Select</label>`;
      return `<tr data-item="${esc(item.id)}">
<td>${box}</td>
<td>${who(item)}</td>
<td>${what(item)}</td>
<td>${esc(item.context?.lastUsedAt?.slice(0, 10) ?? 'unknown')}</td>
<td>${esc(grantedVia(item))}</td>
<td>${findings(item)}</td>
<td>${previous(item)}</td>
<td class="decision">${current(item)}<br><a href="${base}/items/${encodeURIComponent(item.id)}">Details<span class="meta"> of ${esc(item.identityName)} → ${esc(item.entitlementName)}</span></a></td>
</tr>`;
    })
    .join('\n');
  const f = v.filters;
  const form = v.form ?? {};
  const decideForm = closed
    ? '<p>This campaign is closed: its decisions are final.</p>'
    : `<fieldset>
<legend>Decide the selected items</legend>
<div class="radio" role="radiogroup" aria-label="Decision">
<input type="radio" name="action" value="keep" id="action-keep"${form.action === 'keep' ? ' checked' : ''}><label for="action-keep">Keep</label>
<input type="radio" name="action" value="revoke" id="action-revoke"${form.action === 'revoke' ? ' checked' : ''}><label for="action-revoke">Revoke</label>
<input type="radio" name="action" value="delegate" id="action-delegate"${form.action === 'delegate' ? ' checked' : ''}><label for="action-delegate">Delegate</label>
</div>
<div><label for="note">Note (required to revoke, to keep privileged access or access with an open finding)</label><textarea id="note" name="note" rows="2" maxlength="2000">${esc(form.note ?? '')}</textarea></div>
<div><label for="to">Delegate to (email)</label><input type="email" id="to" name="to" value="${esc(form.to ?? '')}" maxlength="320"></div>
<div><label for="reason">Reason for delegating</label><input type="text" id="reason" name="reason" value="${esc(form.reason ?? '')}" maxlength="2000"></div>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit">Record</button>
</fieldset>`;
  return page(
    `${c.name}: your review`,
    `<h1>${esc(c.name)}</h1>
<p class="meta">Reviewer: <strong>${esc(v.reviewer)}</strong> · due ${esc(c.dueAt.slice(0, 10))} · ${esc(c.status)} · <span id="progress">${v.decided} of ${v.total} decided</span></p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${esc(v.csrf)}"><input type="hidden" name="campaign" value="${esc(c.id)}"><button type="submit" class="secondary">Sign out</button></form>
${msg}
<form class="filters" method="get" action="${base}" role="search">
<div><label for="q">Search</label><input type="search" id="q" name="q" value="${esc(f.q)}" maxlength="200"></div>
<div><label for="status">Status</label><select id="status" name="status">${option('all', 'All', f.status)}${option('undecided', 'Undecided', f.status)}${option('decided', 'Decided', f.status)}</select></div>
<div><label for="privileged">Privileged</label><select id="privileged" name="privileged">${option('any', 'Any', f.privileged)}${option('yes', 'Privileged only', f.privileged)}${option('no', 'Not privileged', f.privileged)}</select></div>
<div><label for="sort">Sort / group by</label><select id="sort" name="sort">${option('person', 'Person', f.sort)}${option('entitlement', 'Entitlement', f.sort)}${option('system', 'System', f.sort)}${option('risk', 'Open findings first', f.sort)}</select></div>
<button type="submit">Apply</button>
</form>
<details class="offline"${v.message?.details?.length ? ' open' : ''}>
<summary>Work offline (Excel)</summary>
<p><a href="${base}/download" id="download">Download your items as XLSX</a>. Fill in the Decision (keep or revoke) and Note columns only, then upload the file here. A changed row, another reviewer's item or a workbook made before your items changed is refused, naming the row; nothing is recorded then.</p>
${
  closed
    ? ''
    : `<form method="post" action="${base}/upload" enctype="multipart/form-data">
<label for="file">Workbook to upload (.xlsx, at most 2 MiB)</label>
<input type="file" id="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required>
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<button type="submit" id="upload">Upload</button>
</form>`
}
</details>
<form method="post" action="${base}/decide">
<p class="meta" id="shown">${v.items.length} of ${v.total} item(s) shown</p>
<table>
<caption class="meta">Your items</caption>
<thead><tr><th scope="col">Select</th><th scope="col">Who</th><th scope="col">Access</th><th scope="col">Last used</th><th scope="col">How granted</th><th scope="col">Open findings</th><th scope="col">Previous decision</th><th scope="col">Decision</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
${decideForm}
</form>`,
  );
}

export function itemPage(campaign: Campaign, item: ReviewItem): string {
  const base = `/c/${encodeURIComponent(campaign.id)}`;
  const superseded = (item.superseded ?? [])
    .map(
      (d) => `<li>${esc(d.outcome)} by ${esc(d.by)} at ${esc(d.at)}${d.note ? `: ${esc(d.note)}` : ''}</li>`,
    )
    .join('');
  return page(
    `${item.identityName} → ${item.entitlementName}`,
    `<p><a href="${base}">Back to your items</a></p>
<h1>${esc(item.identityName)} → ${esc(item.entitlementName)}</h1>
<dl>
<dt>Who</dt><dd>${who(item)}</dd>
<dt>Access</dt><dd>${what(item)}</dd>
<dt>Last used</dt><dd>${esc(item.context?.lastUsedAt ?? 'unknown')}${item.context?.lastUsedSignal ? ` (${esc(item.context.lastUsedSignal)})` : ''}</dd>
<dt>How granted</dt><dd>${esc(grantedVia(item))}${item.grantedAt ? `, since ${esc(item.grantedAt)}` : ''}</dd>
<dt>Open findings</dt><dd>${findings(item)}</dd>
<dt>Previous decision</dt><dd>${previous(item)}</dd>
<dt>Decision</dt><dd>${current(item)}</dd>
<dt>Item id</dt><dd><code>${esc(item.id)}</code></dd>
</dl>
${superseded ? `<h2>Earlier answers</h2><ul>${superseded}</ul>` : ''}`,
  );
}

/** Verified sign-in (AWS): the open campaigns holding the reviewer's items. */
export function campaignsPage(
  reviewer: string,
  campaigns: readonly { id: string; name: string; dueAt: string; items: number }[],
): string {
  const rows = campaigns
    .map(
      (c) =>
        `<li><a href="/c/${encodeURIComponent(c.id)}">${esc(c.name)}</a> <span class="meta">${c.items} item(s), due ${esc(c.dueAt.slice(0, 10))}</span></li>`,
    )
    .join('');
  return page(
    'Your reviews',
    `<h1>Your reviews</h1>
<p class="meta">Signed in as <strong>${esc(reviewer)}</strong></p>
${rows ? `<ul>${rows}</ul>` : '<p>No open campaign has items for you.</p>'}`,
  );
}
