/**
 * The scan no longer builds one sorted array of every draft (issue 11: 200k SoD conflicts): it
 * streams the rules', the SoD engine's and the reviews' drafts into `reconcile` as they come. This
 * checks that `reconcile` gives exactly what it gave for the old input — all drafts in one array
 * sorted by `compareDrafts` — whatever the order, with duplicates, over stored findings of every
 * status.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatenated } from '../../../../core/arrays';
import { type ReconcileInput, reconcile } from '../../../../core/findings/lifecycle';
import type { Finding, FindingDraft } from '../../../../core/findings/model';
import { compareDrafts } from '../../../../core/rules';
import { makeDraft, SLA } from './draft-factory';

const RULES = ['NHI-DORMANT', 'SOD-CONFLICT', 'USER-PRIVILEGED'] as const;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

const draftArb = fc
  .record({
    rule: fc.constantFrom(...RULES),
    who: fc.integer({ min: 0, max: 7 }),
    severity: fc.constantFrom(...SEVERITIES),
    source: fc.constantFrom('aws-prod', 'netsuite'),
    evidence: fc.integer({ min: 0, max: 2 }),
    keyed: fc.boolean(),
  })
  .map(({ rule, who, severity, source, evidence, keyed }): FindingDraft => {
    const principal = `erp:netsuite:u${who}`;
    const draft = makeDraft({
      rule,
      severity,
      title: `${rule} u${who}`,
      subject: {
        identity: `person:u${who}@corp.example`,
        principals: [principal],
        anchors: [`email:u${who}@corp.example`, `principal:${principal}`],
      },
      sources: [source],
      evidence: [{ kind: 'note', text: `evidence ${evidence}` }],
      ...(keyed ? { key: `${principal}|${rule}` } : { key: undefined }),
    });
    if (!keyed) delete draft.key;
    return draft;
  });

function run(previous: readonly Finding[], drafts: Iterable<FindingDraft>, runId: string, day: number) {
  const input: ReconcileInput = {
    previous,
    drafts,
    runId,
    asOf: new Date(Date.UTC(2026, 9, day)),
    completeSources: new Set(['aws-prod', 'netsuite']),
    failedOrIncompleteSources: new Set(),
    slaDays: SLA,
  };
  return reconcile(input);
}

describe('reconcile: the order and container of the drafts do not matter', () => {
  it('streamed in any order, in parts, gives what one sorted array gave', () => {
    fc.assert(
      fc.property(
        fc.array(draftArb, { maxLength: 25 }),
        fc.array(draftArb, { maxLength: 25 }),
        fc.integer({ min: 0, max: 3 }),
        (first, second, cut) => {
          // A first run leaves stored findings; some of them are not seen in the second (resolved).
          const stored = run([], [...first].sort(compareDrafts), 'run-1', 1).findings;
          const sorted = [...second].sort(compareDrafts);
          const expected = run(stored, sorted, 'run-2', 2);
          // The same drafts reversed, in up to three parts, through a generator.
          const reversed = [...second].reverse();
          const parts = [reversed.slice(0, cut), reversed.slice(cut, cut * 3), reversed.slice(cut * 3)];
          const streamed = run(stored, concatenated(parts), 'run-2', 2);
          expect(streamed).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reconcile: the change lists', () => {
  it('are sorted by id, hold the very findings of `findings`, and `changed` is every finding written', () => {
    // `changed` and the change lists are placed in one pass over the sorted findings (issue 18);
    // this is what the sorts they replaced gave.
    const ids = (list: readonly Finding[]) => list.map((f) => f.id);
    const sortedIds = (list: readonly Finding[]) => [...new Set(ids(list))].sort();
    fc.assert(
      fc.property(
        fc.array(draftArb, { maxLength: 25 }),
        fc.array(draftArb, { maxLength: 25 }),
        fc.array(draftArb, { maxLength: 25 }),
        (first, second, third) => {
          const one = run([], first, 'run-1', 1);
          const two = run(one.findings, second, 'run-2', 2);
          const three = run(two.findings, third, 'run-3', 40);
          for (const [result, previous] of [
            [one, []],
            [two, one.findings],
            [three, two.findings],
          ] as const) {
            const all = new Set(result.findings);
            expect(ids(result.changed)).toEqual(sortedIds(result.changed));
            for (const f of result.changed) expect(all.has(f)).toBe(true);
            const lists = Object.values(result.changes);
            for (const list of lists) {
              expect(ids(list)).toEqual(sortedIds(list));
              for (const f of list) expect(all.has(f)).toBe(true);
            }
            // Disjoint lists; every finding whose stored form changed is in `changed`.
            expect(lists.flat().length).toBe(new Set(lists.flat()).size);
            const before = new Map(previous.map((f) => [f.id, f]));
            const written = result.findings.filter((f) => before.get(f.id) !== f);
            expect(ids(result.changed)).toEqual(ids(written));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
