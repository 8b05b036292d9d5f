/**
 * `report.html`: the pack's facts for a person. Self-contained (inline CSS, no scripts, no
 * external fetches — the CSP forbids them), every value escaped, deterministic for the same input.
 */
import type { Finding, Severity } from '../findings/model';
import { SEVERITIES } from '../findings/model';
import type { ChainLink, SourceEntry } from './manifest';

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
}

/**
 * @example
 * await pack.add('report.html', new TextEncoder().encode(renderReportHtml({ …run, findings })), 0);
 */
export function renderReportHtml(input: ReportInput): string {
  const maxEvidence = input.maxEvidencePerFinding ?? 25;
  const maxFindings = input.maxFindingsPerSection ?? 1_000;
  const section = (list: readonly Finding[]) =>
    list.length === 0
      ? '<p>None.</p>'
      : list
          .slice(0, maxFindings)
          .map((f) => findingBlock(f, maxEvidence))
          .join('\n') +
        (list.length > maxFindings
          ? `\n<p class="note">${list.length - maxFindings} more, less severe, are listed in findings.jsonl.</p>`
          : '');
  const findings = [...input.findings].sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      a.rule.localeCompare(b.rule) ||
      a.id.localeCompare(b.id),
  );
  const active = findings.filter((f) => f.status === 'open' || f.status === 'reopened');
  const accepted = findings.filter((f) => f.status === 'risk-accepted');
  const resolvedNow = findings.filter((f) => f.status === 'resolved' && f.resolution?.runId === input.runId);
  const resolvedBefore = findings.filter(
    (f) => f.status === 'resolved' && f.resolution?.runId !== input.runId,
  );
  const title = `AccessProof evidence — ${input.organization} — ${input.runId}`;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(input.organization)}: access evidence</h1>
<table class="facts">
${row('Run', input.runId)}${row('As of', input.asOf)}${row('Started', input.startedAt)}${row('Finished', input.finishedAt)}${row('Tool version', input.toolVersion)}${input.sequence !== undefined ? row('Chain position', String(input.sequence)) : ''}${input.previous ? row('Previous pack', `${input.previous.runId} (manifest sha256 ${input.previous.manifestSha256})`) : input.previous === null ? row('Previous pack', 'none: first pack of the chain') : ''}</table>
<p class="note">The signed manifest.json beside this file is the authoritative record; this page restates it for reading. See docs/auditor.md to verify the pack.</p>

<h2>Sources</h2>
${sourcesTable(input.sources)}

<h2>Findings by rule and severity</h2>
${matrix(findings)}

<h2>Open findings (${active.length})</h2>
${section(active)}

<h2>Risk accepted (${accepted.length})</h2>
${section(accepted)}

<h2>Resolved in this run (${resolvedNow.length})</h2>
${section(resolvedNow)}
<p>Resolved in earlier runs: ${resolvedBefore.length} (listed in findings.jsonl).</p>
</body>
</html>
`;
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

function matrix(findings: readonly Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const counts = new Map<string, Map<Severity, number>>();
  for (const f of findings) {
    if (f.status === 'resolved') continue;
    const bySeverity = counts.get(f.rule) ?? new Map<Severity, number>();
    bySeverity.set(f.severity, (bySeverity.get(f.severity) ?? 0) + 1);
    counts.set(f.rule, bySeverity);
  }
  const rules = [...counts.keys()].sort();
  const head = SEVERITIES.map((s) => `<th>${esc(s)}</th>`).join('');
  const body = rules
    .map((rule) => {
      const c = counts.get(rule)!;
      const total = [...c.values()].reduce((a, b) => a + b, 0);
      return `<tr><td>${esc(rule)}</td>${SEVERITIES.map((s) => `<td class="n">${c.get(s) ?? 0}</td>`).join('')}<td class="n">${total}</td></tr>`;
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

function findingBlock(f: Finding, maxEvidence: number): string {
  const shown = f.evidence.slice(0, maxEvidence);
  const more = f.evidence.length - shown.length;
  const facts = [
    row('Finding id', f.id),
    row('Status', f.status),
    row('Identity', f.subject.identity),
    row('Principals', f.subject.principals.join(', ')),
    row('First seen', f.firstSeenRun),
    row('Last seen', f.lastSeenRun),
    f.owner ? row('Owner', f.owner) : '',
    f.dueAt ? row('Due', f.dueAt) : '',
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
  return `<section class="finding ${esc(f.severity)}" id="f-${esc(f.id)}">
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

/** Escape text for HTML element content and double-quoted attributes. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#1b1f24}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}h3{font-size:1.05em;margin:.3em 0}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:.25em .6em;text-align:left;vertical-align:top}
table.facts th{background:#f6f8fa;font-weight:600;white-space:nowrap}td.n{text-align:right}td.hash,code{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
tr.failed td{background:#ffebe9}tr.incomplete td{background:#fff8c5}
.finding{border-left:4px solid #8c959f;padding:.3em .8em;margin:1em 0}.finding.critical{border-color:#a40e26}.finding.high{border-color:#cf222e}.finding.medium{border-color:#bf8700}.finding.low{border-color:#0969da}
.sev{text-transform:uppercase;font-size:.8em;font-weight:700}.kind{font-size:.8em;color:#57606a}.note{color:#57606a}
@media print{details{display:block}}
`;
