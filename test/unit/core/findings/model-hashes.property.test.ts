/**
 * `factsSha256` and `findingId` were rewritten for speed (issue 11: 200k findings): both must give
 * exactly what the straightforward versions gave, or every stored finding would look changed (facts)
 * or new (id) after an upgrade.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type EvidenceItem,
  type FindingDraft,
  factsSha256,
  findingId,
} from '../../../../core/findings/model';

function factsSha256Before(d: FindingDraft): string {
  const facts = d.evidence
    .filter((e) => e.kind === 'grant' || e.kind === 'activity' || e.kind === 'credential')
    .map((e) =>
      [
        e.kind,
        e.principal ?? '',
        e.entitlement ?? '',
        (e.path ?? []).join('>'),
        e.function ?? '',
        e.signal ?? '',
        e.at ?? '',
      ].join('\u0001'),
    )
    .sort();
  const riskId = typeof d.detail.riskId === 'string' ? d.detail.riskId : '';
  const body = JSON.stringify([
    d.rule,
    d.severity,
    riskId,
    [...d.subject.principals].sort(),
    [...new Set(facts)],
  ]);
  return createHash('sha256').update(body).digest('hex');
}

function findingIdBefore(d: Pick<FindingDraft, 'rule' | 'subject' | 'key'>): string {
  const key = d.key ?? `${d.subject.identity}|${d.subject.principals.join(',')}`;
  return createHash('sha256').update(`${d.rule}\u0000${key}`).digest('hex').slice(0, 24);
}

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const small = fc.constantFrom('', 'a', 'b', 'erp:netsuite:U1', 'é\u0001>', '\u2028');
const evidenceArb = fc.record(
  {
    kind: fc.constantFrom('grant', 'activity', 'credential', 'attribute', 'note'),
    text: fc.string(),
    principal: opt(small),
    entitlement: opt(small),
    path: opt(fc.array(small, { maxLength: 2 })),
    function: opt(small),
    signal: opt(small),
    at: opt(small),
  },
  { requiredKeys: ['kind', 'text'] },
);
const draftArb = fc.record({
  rule: fc.constantFrom('SOD-CONFLICT', 'NHI-DORMANT'),
  severity: fc.constantFrom('critical', 'high', 'medium', 'low'),
  title: fc.string(),
  subject: fc.record({ identity: fc.string(), principals: fc.array(small, { maxLength: 3 }) }),
  detail: fc.record({ riskId: fc.oneof(fc.string(), fc.integer()) }),
  // Repeats on purpose: duplicate facts count once.
  evidence: fc.array(evidenceArb, { maxLength: 6 }).chain((es) => fc.shuffledSubarray([...es, ...es])),
  sources: fc.array(fc.string(), { maxLength: 2 }),
  key: opt(fc.string({ unit: 'binary' })),
}) as fc.Arbitrary<FindingDraft & { evidence: EvidenceItem[] }>;

describe('finding hashes are unchanged by the faster code', () => {
  it('factsSha256 and findingId equal the straightforward versions', () => {
    fc.assert(
      fc.property(draftArb, (d) => {
        expect(factsSha256(d)).toBe(factsSha256Before(d));
        expect(findingId(d)).toBe(findingIdBefore(d));
      }),
      { numRuns: 1000 },
    );
  });
});
