/**
 * `report.html`: the pack's facts for a person. One self-contained file: inline CSS, inline SVG
 * charts, one inline filter script allowed by its hash (the CSP forbids every other script, style,
 * font, image and fetch), every value from input escaped, deterministic for the same input. It
 * opens with a dashboard (`report-dashboard.ts`), then contents, a filter and the findings.
 */
import { createHash } from 'node:crypto';
import { findingDisplay, isOverdue } from '../findings/display';
import type { Finding } from '../findings/model';
import { SEVERITIES } from '../findings/model';
import { esc } from './html-escape';
import type { ChainLink, SourceEntry } from './manifest';
import { dashboard, filterControls, RunDates, systemsOf } from './report-dashboard';

export { esc } from './html-escape';

export interface ReportInput {
  organization: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  asOf: string;
  toolVersion: string;
  sequence?: number;
  previous?: ChainLink | null;
  sources: readonly SourceEntry[];
  /** Every finding as of this run, with status. */
  findings: readonly Finding[];
  /** Evidence items shown per finding; the rest are counted (all are in findings.jsonl). Default 25. */
  maxEvidencePerFinding?: number;
  /**
   * Findings shown per section, most severe first; the rest are counted (all are in findings.jsonl).
   * Default 1,000: a page a person can read, whatever the size of the tenant.
   */
  maxFindingsPerSection?: number;
  /** Each source's collection warnings (the snapshot header's), by source id. */
  sourceWarnings?: Readonly<Record<string, readonly string[]>>;
  /** Open findings of the chain's earlier packs (from their manifests), oldest first. */
  trend?: readonly TrendPoint[];
  /** Access-review campaigns as the pack records them (`reviews/<id>.jsonl` campaign rows). */
  campaigns?: readonly ReportCampaign[];
}

export interface TrendPoint {
  runId: string;
  sequence: number;
  asOf: string;
  /** Open (and reopened) findings; undefined when that pack's manifest does not say. */
  open?: number;
}

export interface ReportCampaign {
  campaignId: string;
  name: string;
  status: string;
  dueAt: string;
  /** Absent in packs sealed before issue 17's report section; shown when present. */
  createdBy?: string;
  baseRunId?: string;
  populationSha256?: string;
  closed?: { at: string; by: string; forced: boolean; rationale?: string; undecided: number };
  notices?: readonly { kind: string; reviewer: string; to: string; sentAt: string }[];
  summary: {
    items: number;
    decided: number;
    undecided: number;
    kept: number;
    revoked: number;
    late: number;
    byChannel?: Partial<Record<string, number>>;
    delegated?: number;
    overdue?: boolean;
    revocations?: {
      revoked: number;
      stillPresent: number;
      unverified: number;
      /** Not proven done, not yet due (decision + slaDays); absent in packs sealed before issue 10. */
      pending?: number;
      /** Not proven done and past due. */
      overdue?: number;
    };
  };
}

/**
 * @example
 * await pack.add('report.html', new TextEncoder().encode(renderReportHtml({ …run, findings })), 0);
 */
export function renderReportHtml(input: ReportInput): string {
  const maxEvidence = input.maxEvidencePerFinding ?? 25;
  const maxFindings = input.maxFindingsPerSection ?? 1_000;
  const asOf = new Date(input.asOf);
  const section = (list: readonly Finding[]) =>
    list.length === 0
      ? '<p>None.</p>'
      : list
          .slice(0, maxFindings)
          .map((f) => findingBlock(f, maxEvidence, asOf))
          .join('\n') +
        (list.length > maxFindings
          ? `\n<p class="note">${list.length - maxFindings} more, less severe, are listed in findings.jsonl.</p>`
          : '');
  const findings = bySeverityRuleId(input.findings);
  // One pass for the four lists (each in the findings' order).
  const active: Finding[] = [];
  const accepted: Finding[] = [];
  const resolvedNow: Finding[] = [];
  const resolvedBefore: Finding[] = [];
  for (const f of findings) {
    if (f.status === 'open' || f.status === 'reopened') active.push(f);
    else if (f.status === 'risk-accepted') accepted.push(f);
    else if (f.status === 'resolved') {
      if (f.resolution?.runId === input.runId) resolvedNow.push(f);
      else resolvedBefore.push(f);
    }
  }
  const title = `AccessProof evidence — ${input.organization} — ${input.runId}`;
  const listed = [...active, ...accepted, ...resolvedNow];

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(input.organization)}: access evidence</h1>
<table class="facts">
${row('Run', input.runId)}${row('As of', input.asOf)}${row('Started', input.startedAt)}${row('Finished', input.finishedAt)}${row('Tool version', input.toolVersion)}${input.sequence !== undefined ? row('Chain position', String(input.sequence)) : ''}${input.previous ? row('Previous pack', `${input.previous.runId} (manifest sha256 ${input.previous.manifestSha256})`) : input.previous === null ? row('Previous pack', 'none: first pack of the chain') : ''}</table>
<p class="note">The signed manifest.json beside this file is the authoritative record; this page restates it for reading. See docs/auditor.md to verify the pack.</p>

<nav id="contents" aria-label="Contents"><h2>Contents</h2><ol>
<li><a href="#dashboard">Dashboard</a></li>
<li><a href="#sources">Sources</a></li>
<li><a href="#matrix">Findings by rule and severity</a></li>
<li><a href="#open">Open findings (${active.length})</a></li>
<li><a href="#accepted">Risk accepted (${accepted.length})</a></li>
<li><a href="#resolved">Resolved in this run (${resolvedNow.length})</a></li>
${
  input.campaigns?.length
    ? `<li><a href="#review-campaigns">Access reviews (${input.campaigns.length})</a></li>
`
    : ''
}</ol></nav>

${dashboard(input, active, accepted, resolvedNow, new RunDates(asOf))}

<h2 id="sources">Sources</h2>
${sourcesTable(input.sources)}

<h2 id="matrix">Findings by rule and severity</h2>
${matrix(findings)}

${filterControls(listed)}

<h2 id="open">Open findings (${active.length})</h2>
${section(active)}

<h2 id="accepted">Risk accepted (${accepted.length})</h2>
${section(accepted)}

<h2 id="resolved">Resolved in this run (${resolvedNow.length})</h2>
${section(resolvedNow)}
<p>Resolved in earlier runs: ${resolvedBefore.length} (listed in findings.jsonl).</p>
${input.campaigns?.length ? reviewsSection(input.campaigns) : ''}
<script>${FILTER_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * Access-review campaigns as this pack seals them (issue 17): progress, the close, reminders and
 * escalations sent, and where revocations stand. Every number restates `reviews/<id>.jsonl`.
 */
function reviewsSection(campaigns: readonly ReportCampaign[]): string {
  const rows = campaigns
    .map((c) => {
      const s = c.summary;
      const closed = c.closed
        ? `${esc(c.closed.at)} by ${esc(c.closed.by)}${c.closed.forced ? `: <strong>forced</strong> with ${c.closed.undecided} undecided — ${esc(c.closed.rationale ?? '')}` : ', every item decided'}`
        : `open${s.overdue ? ', <strong>overdue</strong>' : ''}`;
      const channels = Object.entries(s.byChannel ?? {})
        .map(([ch, n]) => `${esc(ch)} ${n}`)
        .join(', ');
      const notices = c.notices ?? [];
      const sent = (kind: string) => notices.filter((n) => n.kind === kind).length;
      return (
        `<tr><td>${esc(c.name)}<br><code>${esc(c.campaignId)}</code>${c.createdBy ? `<br>owner ${esc(c.createdBy)}` : ''}</td>` +
        `<td>${c.baseRunId ? `run ${esc(c.baseRunId)}` : ''}${c.populationSha256 ? `<br><span class="hash">${esc(c.populationSha256)}</span>` : ''}</td>` +
        `<td>${closed}</td><td>${channels || 'none'}</td><td class="n">${s.delegated ?? 0}</td>` +
        `<td class="n">${sent('reminder')}</td><td class="n">${sent('due')}</td><td class="n">${sent('escalation')}</td></tr>`
      );
    })
    .join('\n');
  return `<h2 id="review-campaigns">Access reviews (${campaigns.length})</h2>
<p class="note">Each campaign as this pack seals it; the items, each decision (who, when, channel, note, delegation chain, workbook hash), the reminders and escalations and the close are in reviews/&lt;campaign&gt;.jsonl; the reviewer app's requests since the previous pack in reviews/requests-audit.jsonl.</p>
<table>
<thead><tr><th>Campaign</th><th>Population (base run, SHA-256)</th><th>Closed</th><th>Decisions by channel</th><th>Delegated</th><th>Reminders (due − 3 d)</th><th>Reminders (due)</th><th>Escalations</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function sourcesTable(sources: readonly SourceEntry[]): string {
  if (sources.length === 0) return '<p>No sources.</p>';
  const rows = sources
    .map(
      (s) =>
        `<tr class="${esc(s.status)}"><td>${esc(s.id)}</td><td>${esc(s.system)}</td><td>${esc(s.tenant)}</td>` +
        `<td>${esc(s.status)}${s.error ? `: ${esc(s.error)}` : ''}</td><td class="n">${s.counts.principals}</td>` +
        `<td class="n">${s.counts.entitlements}</td><td class="n">${s.counts.grants}</td><td>${esc(s.collectedAt ?? '')}</td>` +
        `<td class="hash">${esc(s.snapshotSha256 ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<table>
<thead><tr><th>Source</th><th>System</th><th>Tenant</th><th>Status</th><th>Principals</th><th>Entitlements</th><th>Grants</th><th>Collected</th><th>Snapshot SHA-256</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

/**
 * Most severe first, then by rule and id as `localeCompare` orders them. Each finding's three keys
 * are read once into plain arrays (a comparator reading them off 200k findings of many object
 * shapes took seconds, issue 11), distinct rules are ranked once with one collator (`localeCompare`
 * is specified as a default `Intl.Collator`), and ids of hex digits only (every finding id) compare
 * by code point, which for those characters is the collator's order.
 */
function bySeverityRuleId(list: readonly Finding[]): Finding[] {
  const collator = new Intl.Collator();
  const n = list.length;
  const severity = new Int32Array(n);
  const rule: string[] = new Array(n);
  const id: string[] = new Array(n);
  const hex = /^[0-9a-f]*$/;
  let plainIds = true;
  for (let i = 0; i < n; i++) {
    const f = list[i]!;
    severity[i] = SEVERITIES.indexOf(f.severity);
    rule[i] = f.rule;
    id[i] = f.id;
    if (plainIds && !hex.test(f.id)) plainIds = false;
  }
  const ranked = [...new Set(rule)].sort(collator.compare);
  const ruleRank = new Map(ranked.map((r, i) => [r, i]));
  const rank = Int32Array.from(rule, (r) => ruleRank.get(r)!);
  const compareIds = plainIds ? (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0) : collator.compare;
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => severity[a]! - severity[b]! || rank[a]! - rank[b]! || compareIds(id[a]!, id[b]!));
  return order.map((i) => list[i]!);
}

function matrix(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  // Per rule, a count per severity, then one more for any other severity a finding may carry
  // (counted in the total only, as before).
  const counts = new Map<string, number[]>();
  const other = SEVERITIES.length;
  for (const f of findings) {
    if (f.status === 'resolved') continue;
    let bySeverity = counts.get(f.rule);
    if (!bySeverity) {
      bySeverity = new Array<number>(other + 1).fill(0);
      counts.set(f.rule, bySeverity);
    }
    const i = SEVERITIES.indexOf(f.severity);
    bySeverity[i < 0 ? other : i]!++;
  }
  const rules = [...counts.keys()].sort();
  const head = SEVERITIES.map((s) => `<th>${esc(s)}</th>`).join('');
  const body = rules
    .map((rule) => {
      const c = counts.get(rule)!;
      const total = c.reduce((a, b) => a + b, 0);
      return `<tr><td>${esc(rule)}</td>${SEVERITIES.map((_, i) => `<td class="n">${c[i]}</td>`).join('')}<td class="n">${total}</td></tr>`;
    })
    .join('\n');
  return `<p>Open, reopened and risk-accepted findings.</p>
<table>
<thead><tr><th>Rule</th>${head}<th>Total</th></tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

function findingBlock(f: Finding, maxEvidence: number, asOf: Date): string {
  const shown = f.evidence.slice(0, maxEvidence);
  const more = f.evidence.length - shown.length;
  const facts = [
    row('Finding id', f.id),
    row('Status', f.status),
    row('Identity', f.subject.identity),
    row('Principals', f.subject.principals.join(', ')),
    row('First seen', f.firstSeenRun),
    row('Last seen', f.lastSeenRun),
    row('Who', findingDisplay(f)),
    row('Sources', f.sources.join(', ')),
    f.owner ? row('Owner', f.owner) : '',
    f.dueAt ? row('Due', `${f.dueAt}${isOverdue(f, asOf) ? ' (overdue)' : ''}`) : '',
    f.exception
      ? row(
          'Exception',
          `approved by ${f.exception.approver} until ${f.exception.expiresAt}: ${f.exception.rationale}` +
            (f.exception.compensatingControl
              ? ` (compensating control: ${f.exception.compensatingControl})`
              : ''),
        )
      : '',
    f.resolution
      ? row('Resolution', `${f.resolution.how} (run ${f.resolution.runId}, ${f.resolution.at})`)
      : '',
  ].join('');
  const evidence = shown
    .map((e) => {
      const where = [
        e.principal,
        e.entitlement ? `→ ${e.entitlement}` : undefined,
        e.path?.length ? `via ${e.path.join(' → ')}` : undefined,
        e.function ? `[${e.function}]` : undefined,
        e.signal ? `${e.signal}${e.at ? ` = ${e.at}` : ''}` : e.at,
      ]
        .filter(Boolean)
        .join(' ');
      return `<li><span class="kind">${esc(e.kind)}</span> ${esc(e.text)}${where ? `<br><code>${esc(where)}</code>` : ''}</li>`;
    })
    .join('\n');
  const text = [
    f.id,
    f.rule,
    f.title,
    findingDisplay(f),
    f.subject.identity,
    ...f.subject.principals,
    ...f.sources,
  ]
    .join(' ')
    .toLowerCase();
  return `<section class="finding ${esc(f.severity)}" id="f-${esc(f.id)}" data-severity="${esc(f.severity)}" data-rule="${esc(f.rule)}" data-systems="${esc(systemsOf(f).join(' '))}" data-text="${esc(text)}">
<h3><span class="sev">${esc(f.severity)}</span> ${esc(f.rule)}: ${esc(f.title)}</h3>
<table class="facts">${facts}</table>
<details${f.evidence.length <= 5 ? ' open' : ''}><summary>Evidence (${f.evidence.length})</summary>
<ul>
${evidence}
</ul>${more > 0 ? `\n<p>…and ${more} more item(s) in findings.jsonl.</p>` : ''}
</details>
</section>`;
}

function row(label: string, value: string): string {
  return `<tr><th>${esc(label)}</th><td>${esc(value)}</td></tr>\n`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1f24}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}h3{font-size:1.05em;margin:.3em 0}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}
table.facts th{background:#f6f8fa;font-weight:600;white-space:nowrap}td.n{text-align:right}td.hash,code{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
tr.failed td{background:#ffebe9}tr.incomplete td{background:#fff8c5}
.finding{border-left:4px solid #8c959f;padding:.3em .8em;margin:1em 0}.finding.critical{border-color:#a40e26}.finding.high{border-color:#cf222e}.finding.medium{border-color:#bf8700}.finding.low{border-color:#0969da}
.sev{text-transform:uppercase;font-size:.8em;font-weight:700}.kind{font-size:.8em;color:#57606a}.note{color:#57606a}
nav#contents ol{columns:2;margin:.3em 0}
.tiles{display:flex;flex-wrap:wrap;gap:.6em;margin:.6em 0}.tile{border:1px solid #d0d7de;border-radius:6px;padding:.4em .9em;min-width:7em}
.tile b{display:block;font-size:1.8em;line-height:1.2}.tile.critical b{color:#a40e26}.tile.high b{color:#cf222e}.tile.medium b{color:#9a6700}.tile.low b{color:#0969da}.tile.overdue b{color:#8250df}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(22em,1fr));gap:1em}
figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:.5em}figcaption{font-weight:600;margin-bottom:.3em}
svg.chart{width:100%;height:auto}svg.chart text{font:11px system-ui,sans-serif;fill:#1b1f24}
.bar{fill:#57606a}.bar.critical{fill:#a40e26}.bar.high{fill:#cf222e}.bar.medium{fill:#bf8700}.bar.low{fill:#0969da}.bar.overdue{fill:#8250df}.bar.ok{fill:#1a7f37}.bar.unknown{fill:#d0d7de}
.trend{fill:none;stroke:#0969da;stroke-width:2}.dot{fill:#0969da}
.warn{color:#9a6700}.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37}
progress{width:8em}
.filter{position:sticky;top:0;background:#fff;border-bottom:1px solid #d0d7de;padding:.5em 0;display:flex;flex-wrap:wrap;gap:.6em;align-items:center;z-index:1}
.filter input[type=search]{min-width:16em}
@media print{nav#contents,.filter{display:none}details{display:block}.finding,figure,tr{break-inside:avoid}body{max-width:none;margin:0;font-size:11px}a{color:inherit;text-decoration:none}.charts{grid-template-columns:1fr 1fr}}
`;

/**
 * The filter: text, severity, rule and system over the listed findings. It reads only the data
 * attributes the page wrote (escaped) and sets `hidden`/`textContent`, never markup.
 */
const FILTER_SCRIPT = `
(function () {
  var form = document.getElementById('filter');
  if (!form) return;
  var q = document.getElementById('filter-text');
  var sev = document.getElementById('filter-severity');
  var rule = document.getElementById('filter-rule');
  var sys = document.getElementById('filter-system');
  var count = document.getElementById('filter-count');
  var items = document.querySelectorAll('section.finding');
  function apply() {
    var t = q.value.trim().toLowerCase();
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var d = items[i].dataset;
      var ok = (!t || d.text.indexOf(t) >= 0) &&
        (!sev.value || d.severity === sev.value) &&
        (!rule.value || d.rule === rule.value) &&
        (!sys.value || (' ' + d.systems + ' ').indexOf(' ' + sys.value + ' ') >= 0);
      items[i].hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + ' of ' + items.length + ' shown';
  }
  form.addEventListener('input', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.hidden = false;
  apply();
})();
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Nothing may load or run but this page's own style and filter script: no network, no other
 * script (an injected one has no matching hash), no images or fonts, no forms sent anywhere.
 */
const CSP = [
  "default-src 'none'",
  `style-src ${hash(CSS)}`,
  `script-src ${hash(FILTER_SCRIPT)}`,
  "img-src 'none'",
  "font-src 'none'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
