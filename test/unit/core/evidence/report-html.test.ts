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
  it('escapes every value and carries no script', () => {
    // Arrange
    const hostile = makeFinding({
      title: '<script>alert(1)</script>',
      evidence: [{ kind: 'note', text: '"><img src=x onerror=1>' }],
    });

    // Act
    const html = renderReportHtml({ ...base, findings: [hostile] });

    // Assert
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Halvorsen &lt;Industrial&gt;');
    expect(html).toContain("default-src 'none'");
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
