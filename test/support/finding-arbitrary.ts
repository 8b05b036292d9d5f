/**
 * Random findings for property tests of what is made from findings (OCSF events, pack files):
 * every optional field present or absent (or present as `undefined`), principals with and without
 * tenants or colons, evidence of every kind.
 */
import fc from 'fast-check';
import type { EvidenceItem, Finding, FindingStatus } from '../../core/findings/model';

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const uidArb = fc.constantFrom(
  'erp:netsuite:U1',
  'aws:123456789012:arn:aws:iam::123456789012:role/a:b',
  'nocolon',
  'hr::x',
  'entra:t1:',
);
const evidenceArb = fc.record(
  {
    kind: fc.constantFrom('grant', 'activity', 'credential', 'attribute', 'note'),
    text: fc.string({ unit: 'binary' }),
    principal: opt(uidArb),
    entitlement: opt(uidArb),
    path: opt(fc.array(fc.string(), { maxLength: 2 })),
    function: opt(fc.constantFrom('', 'PAY-RUN')),
    signal: opt(fc.string()),
    at: opt(fc.constant('2026-05-01T00:00:00.000Z')),
  },
  { requiredKeys: ['kind', 'text'] },
);
export const findingArb = fc
  .record({
    status: fc.constantFrom<FindingStatus>('open', 'reopened', 'risk-accepted', 'resolved'),
    severity: fc.constantFrom('critical', 'high', 'medium', 'low' as const),
    rule: fc.constantFrom('SOD-CONFLICT', 'NHI-DORMANT', 'USER-PRIVILEGED' as const),
    principals: fc.array(uidArb, { maxLength: 3 }),
    evidence: fc.array(evidenceArb, { maxLength: 4 }),
    sources: fc.array(fc.constantFrom('netsuite', 'aws-prod'), { maxLength: 2 }),
    display: opt(fc.constantFrom('', 'Lena Murphy')),
    owner: opt(fc.constant('cfo@corp.example')),
    overdue: opt(fc.boolean()),
    opened: fc.constantFrom<string | undefined>('2026-09-01T00:00:00.000Z', 'not a date', undefined),
    firstRun: fc.constantFrom('run-1', 'run-2'),
    lastRun: fc.constantFrom('run-1', 'run-2'),
  })
  .map(
    (r): Finding => ({
      id: 'abc123',
      rule: r.rule,
      severity: r.severity,
      title: 'A finding',
      subject: { identity: 'person:x', principals: r.principals },
      detail: { n: 1 },
      evidence: r.evidence as EvidenceItem[],
      sources: r.sources,
      firstSeenRun: r.firstRun,
      lastSeenRun: r.lastRun,
      status: r.status,
      history: r.opened ? [{ at: r.opened, runId: 'run-1', event: 'opened' }] : [],
      ...(r.display !== undefined ? { display: r.display } : {}),
      ...(r.owner !== undefined ? { owner: r.owner } : {}),
      ...(r.overdue !== undefined ? { overdue: r.overdue } : {}),
      ...(r.status === 'resolved'
        ? {
            resolution: {
              runId: 'run-2',
              how: 'gone',
              at: '2026-10-01T00:00:00.000Z',
              reason: 'remediated' as const,
            },
          }
        : {}),
    }),
  );
