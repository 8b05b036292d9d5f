import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderReportHtml } from '../../../../core/evidence/report-html';
import type { Finding } from '../../../../core/findings/model';

function makeFinding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: 'f1',
    rule: 'SOD-CONFLICT',
    severity: 'critical',
    title: 'Maintain vendors and release payments',
    subject: { identity: 'person:ana@example.com', principals: ['erp:erp:U1'] },
    detail: { riskId: 'P2P-01' },
    evidence: [
      {
        kind: 'grant',
        principal: 'erp:erp:U1',
        entitlement: 'erp:erp:R1',
        path: [],
        function: 'AP-PAYMENT',
        text: 'holds AP Payment',
      },
    ],
    sources: ['erp'],
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-2',
    status: 'open',
    history: [],
    ...overrides,
  };
}

const base = {
  organization: 'Halvorsen <Industrial>',
  runId: 'run-2',
  startedAt: '2026-10-01T06:00:00.000Z',
  finishedAt: '2026-10-01T06:05:00.000Z',
  asOf: '2026-10-01T00:00:00.000Z',
  toolVersion: '0.1.0',
  sequence: 2,
  previous: { runId: 'run-1', manifestSha256: 'a'.repeat(64) },
  sources: [
    {
      id: 'erp',
      system: 'erp',
      tenant: 'erp',
      status: 'complete' as const,
      counts: { principals: 300, entitlements: 40, grants: 900 },
    },
    {
      id: 'aws',
      system: 'aws',
      tenant: '1',
      status: 'failed' as const,
      error: 'AccessDenied',
      counts: { principals: 0, entitlements: 0, grants: 0 },
    },
  ],
};

describe('renderReportHtml', () => {
  it('escapes every value: its only script is its own, allowed by hash', () => {
    // Arrange: hostile names everywhere input reaches the page (titles, names, sources, warnings, campaigns).
    const hostile = makeFinding({
      title: '<script>alert(1)</script>',
      display: '<img src=x onerror="alert(2)">',
      sources: ['javascript:alert(3)'],
      subject: { identity: 'person:"><svg onload=alert(4)>', principals: ['erp:erp:<b>U1</b>'] },
      evidence: [{ kind: 'note', text: '"><img src=x onerror=1>' }],
      status: 'risk-accepted',
      exception: {
        approver: 'javascript:alert(5)',
        rationale: '</td><script>alert(6)</script>',
        expiresAt: '2027-01-01T00:00:00.000Z',
        grantedAt: '2026-09-01T00:00:00.000Z',
      },
    });

    // Act
    const html = renderReportHtml({
      ...base,
      findings: [hostile],
      sourceWarnings: { erp: ['<script>alert(7)</script>'] },
      campaigns: [
        {
          campaignId: 'c1',
          name: '<img src=x onerror=alert(8)>',
          status: 'open',
          dueAt: '2026-12-01T00:00:00.000Z',
          summary: { items: 2, decided: 1, undecided: 1, kept: 1, revoked: 0, late: 0 },
        },
      ],
    });

    // Assert
    expect(html.match(/<script/gi)).toHaveLength(1);
    expect(html).not.toMatch(/<img|<svg onload|<b>U1/i);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;script&gt;alert(7)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(8)&gt;');
    expect(html).toContain('Halvorsen &lt;Industrial&gt;');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const sha = (t: string) => createHash('sha256').update(t, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${sha(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${sha(style)}'`);
    expect(csp).not.toContain('unsafe-inline');
    // Self-contained: nothing that would load from anywhere.
    expect(html).not.toMatch(/<[a-z]+[^>]*\s(src|href)="(?!#)|<link|@import|url\(/i);
  });

  it('opens with a dashboard: totals, charts, source health, exceptions, remediation, campaigns, trend', () => {
    // Arrange
    const findings = [
      makeFinding({
        history: [{ at: '2026-08-01T00:00:00.000Z', event: 'opened' }],
        dueAt: '2026-08-08T00:00:00.000Z',
      }),
      makeFinding({
        id: 'f2',
        rule: 'NHI-DORMANT',
        severity: 'high',
        subject: { identity: 'principal:aws:1:r', principals: ['aws:1:arn:aws:iam::1:role/r'] },
        sources: ['aws'],
      }),
      makeFinding({
        id: 'f3',
        status: 'resolved',
        resolution: { runId: 'run-2', how: 'not seen in complete collection of erp', at: base.finishedAt },
      }),
    ];

    // Act
    const html = renderReportHtml({
      ...base,
      findings,
      sourceWarnings: { erp: ['3 rows without a role were skipped'] },
      trend: [
        { runId: 'run-0', sequence: 0, asOf: '2026-08-01T00:00:00.000Z' },
        { runId: 'run-1', sequence: 1, asOf: '2026-09-01T00:00:00.000Z', open: 5 },
      ],
      campaigns: [
        {
          campaignId: 'q3',
          name: 'Q3 finance',
          status: 'open',
          dueAt: '2026-09-15T00:00:00.000Z',
          summary: {
            items: 10,
            decided: 4,
            undecided: 6,
            kept: 3,
            revoked: 1,
            late: 0,
            overdue: true,
            revocations: { revoked: 0, stillPresent: 1, unverified: 0 },
          },
        },
      ],
    });

    // Assert
    expect(html).toMatch(/<div class="tile critical"><b>1<\/b>critical open<\/div>/);
    expect(html).toMatch(/<div class="tile overdue"><b>1<\/b>overdue<\/div>/);
    for (const id of ['by-severity', 'by-system', 'by-source', 'by-rule', 'aging', 'overdue', 'trend'])
      expect(html).toContain(`id="chart-${id}"`);
    expect(html).toMatch(/<title>aws: 1<\/title>/);
    expect(html).toContain('3 rows without a role were skipped');
    expect(html).toContain('failed</span>: AccessDenied');
    expect(html).toContain('not seen in complete collection of erp');
    expect(html).toContain('4 of 10 decided');
    expect(html).toContain('1 still present');
    expect(html).toMatch(/<polyline class="trend" points="[^"]+"/);
    expect(html).toContain('1 earlier pack(s) do not record their open count');
    expect(html).toContain('<nav id="contents"');
    expect(html).toContain('@media print');
    expect(html).toMatch(/data-severity="critical" data-rule="SOD-CONFLICT" data-systems="erp"/);
  });

  it('adds an access-review section: population, close, channels, delegations, reminders and escalations', () => {
    // Act
    const html = renderReportHtml({
      ...base,
      findings: [],
      campaigns: [
        {
          campaignId: 'rev-q4',
          name: 'Q4 privileged',
          status: 'closed',
          dueAt: '2026-12-31T00:00:00.000Z',
          createdBy: 'controller@example.com',
          baseRunId: 'run-1',
          populationSha256: 'b'.repeat(64),
          closed: {
            at: '2027-01-03T10:00:00.000Z',
            by: 'cfo@example.com',
            forced: true,
            rationale: 'two items move to Q1',
            undecided: 2,
          },
          notices: [
            {
              kind: 'reminder',
              reviewer: 'a@example.com',
              to: 'a@example.com',
              sentAt: '2026-12-28T09:00:00Z',
            },
            { kind: 'due', reviewer: 'a@example.com', to: 'a@example.com', sentAt: '2026-12-31T09:00:00Z' },
            {
              kind: 'escalation',
              reviewer: 'a@example.com',
              to: 'm@example.com',
              sentAt: '2027-01-01T09:00:00Z',
            },
          ],
          summary: {
            items: 6,
            decided: 4,
            undecided: 2,
            kept: 3,
            revoked: 1,
            late: 0,
            byChannel: { web: 3, xlsx: 1 },
            delegated: 1,
          },
        },
      ],
    });
    // Assert
    const section = html.slice(html.indexOf('<h2 id="review-campaigns">'));
    expect(html).toContain('<li><a href="#review-campaigns">Access reviews (1)</a></li>');
    expect(section).toContain('run run-1');
    expect(section).toContain('b'.repeat(64));
    expect(section).toContain(
      'by cfo@example.com: <strong>forced</strong> with 2 undecided — two items move to Q1',
    );
    expect(section).toContain(
      '<td>web 3, xlsx 1</td><td class="n">1</td><td class="n">1</td><td class="n">1</td><td class="n">1</td>',
    );
    expect(renderReportHtml({ ...base, findings: [] })).not.toContain('id="review-campaigns"');
  });

  it('shows sources with status and counts, findings by rule and severity, and each finding with evidence', () => {
    // Arrange
    const findings = [
      makeFinding(),
      makeFinding({ id: 'f2', rule: 'NHI-DORMANT', severity: 'high', title: 'svc-batch dormant' }),
      makeFinding({
        id: 'f3',
        status: 'resolved',
        resolution: { runId: 'run-2', how: 'no longer seen', at: base.finishedAt },
      }),
    ];

    // Act
    const html = renderReportHtml({ ...base, findings });

    // Assert
    expect(html).toMatch(/<td>aws<\/td><td>aws<\/td><td>1<\/td><td>failed: AccessDenied<\/td>/);
    expect(html).toMatch(/<td class="n">300<\/td>/);
    expect(html).toMatch(/<tr><td>NHI-DORMANT<\/td><td class="n">0<\/td><td class="n">1<\/td>/);
    expect(html).toContain('Open findings (2)');
    expect(html).toContain('Resolved in this run (1)');
    expect(html).toContain('holds AP Payment');
    expect(html).toContain('[AP-PAYMENT]');
  });

  it('is the same for the same input', () => {
    // Arrange / Act / Assert
    expect(renderReportHtml({ ...base, findings: [makeFinding()] })).toBe(
      renderReportHtml({ ...base, findings: [makeFinding()] }),
    );
  });
});

describe('renderReportHtml on a large tenant', () => {
  it('lists at most maxFindingsPerSection findings per section, most severe first, and counts the rest', () => {
    // Arrange: guards against a report too large for a person to open (tens of thousands of findings).
    const findings = Array.from({ length: 30 }, (_, i) =>
      makeFinding({ id: `f${String(i).padStart(2, '0')}`, severity: i === 29 ? 'critical' : 'low' }),
    );

    // Act
    const html = renderReportHtml({ ...base, sources: [], findings, maxFindingsPerSection: 10 });

    // Assert
    expect(html.match(/Finding id/g)).toHaveLength(10);
    expect(html).toContain('f29');
    expect(html).toContain('20 more, less severe, are listed in findings.jsonl.');
  });
});
