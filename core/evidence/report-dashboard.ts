/**
 * The dashboard that opens `report.html`: severity totals, findings by system, source and rule,
 * aging and overdue, the trend of open findings over the chain, source health with every warning,
 * exceptions in force, remediation in this run and review campaigns. Charts are inline SVG drawn
 * from counts; every label from input is escaped.
 */

import { findingDisplay } from '../findings/display';
import type { Finding, Severity } from '../findings/model';
import { SEVERITIES } from '../findings/model';
import { esc } from './html-escape';
import type { ReportCampaign, ReportInput, TrendPoint } from './report-html';

const DAY_MS = 86_400_000;

interface Bar {
  label: string;
  value: number;
  /** CSS class of the bar: a severity, `overdue`, `ok`, `unknown`. */
  cls?: string;
}

/** The systems a finding's principals belong to (`<system>:<tenant>:<native id>`), sorted. */
export function systemsOf(f: Finding): string[] {
  if (f.subject.principals.length === 1) {
    // Most findings: one principal, no set or sort needed.
    const uid = f.subject.principals[0]!;
    const i = uid.indexOf(':');
    return i > 0 ? [uid.slice(0, i)] : [];
  }
  const out = new Set<string>();
  for (const uid of f.subject.principals) {
    const i = uid.indexOf(':');
    if (i > 0) out.add(uid.slice(0, i));
  }
  return [...out].sort();
}

/**
 * Adds each system of `f`'s principals to `into` once (what `systemsOf(f)` lists, unsorted): no
 * array per finding, and the one-principal case (most findings) reuses the string of the last
 * system seen instead of cutting a new one (200k findings cut 200k, issue 18).
 */
export function addSystems(f: Finding, into: (system: string) => void, last: { system: string }): void {
  const principals = f.subject.principals;
  if (principals.length !== 1) {
    for (const k of systemsOf(f)) into(k);
    return;
  }
  const uid = principals[0]!;
  const prev = last.system;
  if (prev && uid.startsWith(prev) && uid.charCodeAt(prev.length) === 58 /* : */) {
    into(prev);
    return;
  }
  const i = uid.indexOf(':');
  if (i <= 0) return;
  last.system = uid.slice(0, i);
  into(last.system);
}

/**
 * Dates of one run's findings, each distinct text parsed once: a run's due and opened dates are a
 * handful of instants shared by thousands of findings (`Date.parse` per finding, three times over,
 * was a third of the report at 115k findings, issue 18).
 */
export class RunDates {
  readonly asOfMs: number;
  private readonly parsed = new Map<string, number>();

  constructor(readonly asOf: Date) {
    this.asOfMs = asOf.getTime();
  }

  /** `Date.parse(text)`. */
  parse(text: string): number {
    let t = this.parsed.get(text);
    if (t === undefined) {
      t = Date.parse(text);
      // Bounded: a store of hand-edited findings could hold a different date on each.
      if (this.parsed.size < 10_000) this.parsed.set(text, t);
    }
    return t;
  }

  /** `isOverdue(f, asOf)` (findings/display.ts), with the due date parsed once per text. */
  overdue(f: Pick<Finding, 'status' | 'dueAt'>): boolean {
    if (f.status !== 'open' && f.status !== 'reopened') return false;
    const due = f.dueAt ? this.parse(f.dueAt) : Number.NaN;
    return Number.isFinite(due) && due < this.asOfMs;
  }
}

export function dashboard(
  input: ReportInput,
  active: readonly Finding[],
  accepted: readonly Finding[],
  resolvedNow: readonly Finding[],
  dates: RunDates,
): string {
  const asOf = dates.asOf;
  // One pass over the open findings for every count (a 200k-finding run made eight, issue 11).
  let overdue = 0;
  const severities = new Map<string, number>();
  const systems = new Map<string, number>();
  const sources = new Map<string, number>();
  const rules = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const addSystem = (k: string) => add(systems, k);
  const last = { system: '' };
  for (const f of active) {
    add(severities, f.severity);
    if (dates.overdue(f)) overdue++;
    addSystems(f, addSystem, last);
    for (const k of f.sources) add(sources, k);
    add(rules, f.rule);
  }
  const bySeverity = SEVERITIES.map((s) => ({ s, n: severities.get(s) ?? 0 }));
  const tiles = [
    ...bySeverity.map(({ s, n }) => tile(s, n, `${s} open`)),
    tile('overdue', overdue, 'overdue'),
    tile('', accepted.length, 'risk accepted'),
    tile('', resolvedNow.length, 'resolved in this run'),
  ].join('');
  const count = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([label, value]) => ({ label, value }));
  const charts = [
    barChart(
      'Open findings by severity',
      bySeverity.map(({ s, n }) => ({ label: s, value: n, cls: s })),
      'by-severity',
    ),
    barChart('Open findings by system', count(systems), 'by-system'),
    barChart('Open findings by source', count(sources), 'by-source'),
    barChart('Open findings by rule', count(rules), 'by-rule'),
    barChart('Age of open findings (since first seen)', agingBars(active, dates), 'aging'),
    barChart('Overdue open findings (days past due)', overdueBars(active, dates), 'overdue'),
    trendChart(input, active.length),
  ].join('\n');
  return `<section id="dashboard">
<h2>Dashboard</h2>
<div class="tiles">${tiles}</div>
<div class="charts">
${charts}
</div>
<h3 id="source-health">Source health</h3>
${sourceHealth(input)}
<h3 id="exceptions">Exceptions in force (${accepted.length})</h3>
${exceptionsTable(accepted, asOf)}
<h3 id="remediation">Remediation in this run (${resolvedNow.length})</h3>
${remediationTable(resolvedNow)}
<h3 id="reviews">Access review campaigns (${input.campaigns?.length ?? 0})</h3>
${campaignsTable(input.campaigns ?? [], asOf)}
</section>`;
}

function tile(cls: string, n: number, label: string): string {
  return `<div class="tile${cls ? ` ${esc(cls)}` : ''}"><b>${n}</b>${esc(label)}</div>`;
}

/** Horizontal bars, one per row, scaled to the largest value. */
function barChart(title: string, bars: readonly Bar[], id: string): string {
  if (bars.length === 0 || bars.every((b) => b.value === 0))
    return `<figure id="chart-${esc(id)}"><figcaption>${esc(title)}</figcaption><p class="note">None.</p></figure>`;
  const shown = bars.slice(0, 15);
  const labelWidth = 150;
  const width = 420;
  const rowHeight = 20;
  const max = shown.reduce((m, b) => Math.max(m, b.value), 1);
  const plot = width - labelWidth - 40;
  const rows = shown
    .map((b, i) => {
      const y = i * rowHeight;
      const w = Math.max(b.value > 0 ? 2 : 0, Math.round((b.value / max) * plot));
      const label = b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label;
      return (
        `<text x="${labelWidth - 6}" y="${y + 14}" text-anchor="end">${esc(label)}</text>` +
        `<rect class="bar${b.cls ? ` ${esc(b.cls)}` : ''}" x="${labelWidth}" y="${y + 3}" width="${w}" height="${rowHeight - 6}"><title>${esc(`${b.label}: ${b.value}`)}</title></rect>` +
        `<text x="${labelWidth + w + 4}" y="${y + 14}">${b.value}</text>`
      );
    })
    .join('');
  const more = bars.length - shown.length;
  return `<figure id="chart-${esc(id)}"><figcaption>${esc(title)}</figcaption><svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${shown.length * rowHeight}" xmlns="http://www.w3.org/2000/svg">${rows}</svg>${more > 0 ? `<p class="note">${more} more not drawn.</p>` : ''}</figure>`;
}

/** When each open finding was first seen (its `opened` history entry); unknown when not recorded. */
function agingBars(active: readonly Finding[], dates: RunDates): Bar[] {
  const buckets: [string, number, number][] = [
    ['under 7 days', 0, 7],
    ['7–29 days', 7, 30],
    ['30–59 days', 30, 60],
    ['60–89 days', 60, 90],
    ['90 days or more', 90, Number.POSITIVE_INFINITY],
  ];
  const counts = buckets.map(() => 0);
  let unknown = 0;
  for (const f of active) {
    const opened = dates.parse(
      f.history.find((h) => h.event === 'opened' || h.event === 'reopened')?.at ?? '',
    );
    if (!Number.isFinite(opened)) {
      unknown++;
      continue;
    }
    const days = (dates.asOfMs - opened) / DAY_MS;
    const i = buckets.findIndex(([, lo, hi]) => days >= lo && days < hi);
    counts[Math.max(0, i)]! += 1;
  }
  const bars: Bar[] = buckets.map(([label], i) => ({ label, value: counts[i]! }));
  if (unknown) bars.push({ label: 'unknown', value: unknown, cls: 'unknown' });
  return bars;
}

function overdueBars(active: readonly Finding[], dates: RunDates): Bar[] {
  const buckets: [string, number, number][] = [
    ['1–7 days', 0, 7],
    ['8–30 days', 7, 30],
    ['31–90 days', 30, 90],
    ['over 90 days', 90, Number.POSITIVE_INFINITY],
  ];
  const counts = buckets.map(() => 0);
  let notDue = 0;
  for (const f of active) {
    if (!dates.overdue(f)) {
      notDue++;
      continue;
    }
    const days = (dates.asOfMs - dates.parse(f.dueAt!)) / DAY_MS;
    const i = buckets.findIndex(([, lo, hi]) => days > lo && days <= hi);
    counts[Math.max(0, i)]! += 1;
  }
  return [
    { label: 'not yet due', value: notDue, cls: 'ok' },
    ...buckets.map(([label], i) => ({ label, value: counts[i]!, cls: 'overdue' })),
  ];
}

/** Open findings per pack, the chain's earlier packs (from their manifests) then this run. */
function trendChart(input: ReportInput, openNow: number): string {
  const points: TrendPoint[] = [
    ...(input.trend ?? []),
    {
      runId: input.runId,
      sequence: input.sequence ?? (input.trend?.length ?? 0) + 1,
      asOf: input.asOf,
      open: openNow,
    },
  ];
  const title = 'Open findings over the chain';
  if (points.length < 2)
    return `<figure id="chart-trend"><figcaption>${esc(title)}</figcaption><p class="note">The first pack of the chain: no earlier packs to compare.</p></figure>`;
  const width = 420;
  const height = 160;
  const pad = { left: 36, right: 10, top: 10, bottom: 34 };
  const known = points.filter((p) => p.open !== undefined);
  const max = known.reduce((m, p) => Math.max(m, p.open ?? 0), 1);
  const step = (width - pad.left - pad.right) / Math.max(1, points.length - 1);
  const x = (i: number) => pad.left + i * step;
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const path = points
    .map((p, i) => (p.open === undefined ? undefined : `${x(i).toFixed(1)},${y(p.open).toFixed(1)}`))
    .filter((p): p is string => p !== undefined)
    .join(' ');
  const dots = points
    .map((p, i) =>
      p.open === undefined
        ? `<text x="${x(i).toFixed(1)}" y="${height - pad.bottom - 4}" text-anchor="middle">?</text>`
        : `<circle class="dot" cx="${x(i).toFixed(1)}" cy="${y(p.open).toFixed(1)}" r="3"><title>${esc(`#${p.sequence} ${p.runId} (as of ${p.asOf}): ${p.open} open`)}</title></circle>`,
    )
    .join('');
  const labels = points
    .map((p, i) =>
      i === 0 || i === points.length - 1 || points.length <= 8
        ? `<text x="${x(i).toFixed(1)}" y="${height - pad.bottom + 14}" text-anchor="middle">#${p.sequence}</text><text x="${x(i).toFixed(1)}" y="${height - pad.bottom + 27}" text-anchor="middle">${esc(p.asOf.slice(0, 10))}</text>`
        : '',
    )
    .join('');
  const unknown = points.length - known.length;
  return `<figure id="chart-trend"><figcaption>${esc(title)}</figcaption><svg class="chart" role="img" aria-label="${esc(title)}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg"><text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${max}</text><text x="${pad.left - 4}" y="${height - pad.bottom}" text-anchor="end">0</text><polyline class="trend" points="${path}"/>${dots}${labels}</svg>${unknown ? `<p class="note">${unknown} earlier pack(s) do not record their open count (sealed before the manifest carried it): shown as ?.</p>` : ''}</figure>`;
}

function sourceHealth(input: ReportInput): string {
  if (input.sources.length === 0) return '<p>No sources.</p>';
  const rows = input.sources
    .map((s) => {
      const warnings = input.sourceWarnings?.[s.id] ?? [];
      const state =
        s.status === 'complete'
          ? '<span class="good">complete</span>'
          : s.status === 'incomplete'
            ? '<span class="warn">incomplete: its findings cannot be resolved by this run</span>'
            : `<span class="bad">failed</span>${s.error ? `: ${esc(s.error)}` : ''}`;
      const list = warnings.length
        ? `<ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
        : '<span class="note">no warnings</span>';
      return `<tr class="${esc(s.status)}"><td>${esc(s.id)}</td><td>${esc(s.system)}</td><td>${state}</td><td>${list}</td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>Source</th><th>System</th><th>Collection</th><th>Warnings</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function exceptionsTable(accepted: readonly Finding[], asOf: Date): string {
  if (accepted.length === 0) return '<p>None.</p>';
  const rows = accepted
    .map((f) => {
      const e = f.exception;
      if (!e) return '';
      const days = Math.floor((Date.parse(e.expiresAt) - asOf.getTime()) / DAY_MS);
      const left = Number.isFinite(days)
        ? days < 0
          ? '<span class="bad">expired</span>'
          : `${days} day(s) left`
        : '';
      return `<tr><td><a href="#f-${esc(f.id)}">${esc(f.id)}</a></td><td>${esc(findingDisplay(f))}</td><td>${esc(f.title)}</td><td>${esc(e.approver)}</td><td>${esc(e.expiresAt)} (${left})</td><td>${esc(e.rationale)}${e.compensatingControl ? `<br><span class="note">compensating control: ${esc(e.compensatingControl)}</span>` : ''}</td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>Finding</th><th>Who</th><th>Title</th><th>Approver</th><th>Expires</th><th>Rationale</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

function remediationTable(resolved: readonly Finding[]): string {
  if (resolved.length === 0) return '<p>Nothing was resolved in this run.</p>';
  const rows = resolved
    .slice(0, 200)
    .map(
      (f) =>
        `<tr><td><a href="#f-${esc(f.id)}">${esc(f.id)}</a></td><td>${esc(f.rule)}</td><td>${esc(findingDisplay(f))}</td><td>${esc(f.title)}</td><td>${esc(f.resolution?.how ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>Finding</th><th>Rule</th><th>Who</th><th>Title</th><th>Proof</th></tr></thead><tbody>
${rows}
</tbody></table>${resolved.length > 200 ? `<p class="note">${resolved.length - 200} more in remediation.jsonl.</p>` : ''}`;
}

function campaignsTable(campaigns: readonly ReportCampaign[], asOf: Date): string {
  if (campaigns.length === 0) return '<p>No access-review campaigns.</p>';
  const rows = campaigns
    .map((c) => {
      const s = c.summary;
      const overdue = s.overdue ?? (c.status === 'open' && Date.parse(c.dueAt) < asOf.getTime());
      const r = s.revocations;
      const revocations = r
        ? r.overdue !== undefined
          ? `${r.revoked} done, ${r.pending ?? 0} pending, <span class="${r.overdue ? 'bad' : ''}">${r.overdue} overdue</span> (${r.stillPresent} still present, ${r.unverified} unverified)`
          : `${r.revoked} done, <span class="${r.stillPresent ? 'bad' : ''}">${r.stillPresent} still present</span>, ${r.unverified} unverified`
        : `${s.revoked} decided; not checked against this run`;
      return `<tr><td>${esc(c.name)}<br><code>${esc(c.campaignId)}</code></td><td>${esc(c.status)}${overdue ? ' <span class="bad">overdue</span>' : ''}</td><td>${esc(c.dueAt)}</td><td><progress max="${s.items}" value="${s.decided}"></progress> ${s.decided} of ${s.items} decided</td><td class="n">${s.kept}</td><td class="n">${s.revoked}</td><td>${revocations}</td><td class="n">${s.late}</td></tr>`;
    })
    .join('\n');
  return `<table><thead><tr><th>Campaign</th><th>Status</th><th>Due</th><th>Progress</th><th>Kept</th><th>Revoked</th><th>Revocations</th><th>Late decisions</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/** The filter form over the listed findings; hidden until the script runs (print and no-script show all). */
export function filterControls(listed: readonly Finding[]): string {
  const options = (values: readonly string[]) =>
    values.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('');
  const ruleSet = new Set<string>();
  const systemSet = new Set<string>();
  const severitySet = new Set<string>();
  const addSystem = (k: string) => systemSet.add(k);
  const last = { system: '' };
  for (const f of listed) {
    ruleSet.add(f.rule);
    severitySet.add(f.severity);
    addSystems(f, addSystem, last);
  }
  const rules = [...ruleSet].sort();
  const systems = [...systemSet].sort();
  const severities = SEVERITIES.filter((s: Severity) => severitySet.has(s));
  return `<form id="filter" class="filter" role="search" hidden>
<label>Filter <input id="filter-text" type="search" placeholder="name, id, rule, principal…" autocomplete="off"></label>
<label>Severity <select id="filter-severity"><option value="">any</option>${options(severities)}</select></label>
<label>Rule <select id="filter-rule"><option value="">any</option>${options(rules)}</select></label>
<label>System <select id="filter-system"><option value="">any</option>${options(systems)}</select></label>
<output id="filter-count"></output>
</form>`;
}
