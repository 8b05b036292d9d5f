/**
 * `sortIds` places finding ids by their first hex digits instead of comparing them all (issue 11:
 * 220k findings): it must give exactly what `sort()` gives, for real ids and for anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sortIds } from '../../../../core/findings/lifecycle';
import { findingId } from '../../../../core/findings/model';

const hexId = fc.stringMatching(/^[0-9a-f]{24}$/);
// Few distinct prefixes, so buckets hold many ids (and some more than the insertion-sort bound).
const crowded = fc
  .tuple(fc.constantFrom('0000', '00a0', 'ffff', '9fa0', 'a000'), fc.stringMatching(/^[0-9a-f]{0,3}$/))
  .map(([p, rest]) => p + rest);
/** Index of the first place the lists differ, -1 when equal (a diff of 20k strings takes minutes). */
function firstDifference(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}
const odd = fc.oneof(fc.string(), fc.constantFrom('', 'abc', 'ABCD0000', 'g000', '0', 'ffff\u0000', '00é0'));

describe('sortIds', () => {
  it('sorts as sort() does: hex ids, crowded buckets, repeats, and non-hex ids (plain sort)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 8, arbitrary: hexId }, { weight: 2, arbitrary: crowded }), {
          minLength: 4096,
          maxLength: 5000,
        }),
        fc.array(odd, { maxLength: 2 }),
        fc.nat(),
        (ids, others, at) => {
          const list = [...ids];
          // Repeats of an id, and (sometimes) an id that is not hex anywhere in the list.
          list.push(ids[at % ids.length]!);
          for (const o of others) list.splice(at % list.length, 0, o);
          const expected = [...list].sort();
          const got = sortIds([...list]);
          expect(firstDifference(got, expected)).toBe(-1);
        },
      ),
      // No shrinking: a failing list of 4,096 ids would take minutes to shrink.
      { numRuns: 40, endOnFailure: true },
    );
  });

  it('sorts 20,000 real finding ids as sort() does', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) =>
      findingId({ rule: 'SOD-CONFLICT', subject: { identity: `person:${i}`, principals: [] }, key: `k${i}` }),
    );
    expect(firstDifference(sortIds([...ids]), [...ids].sort())).toBe(-1);
  });

  it('sorts in place and returns the same array', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => (5000 - i).toString(16).padStart(24, '0'));
    const same = sortIds(ids);
    expect(same).toBe(ids);
    expect(ids[0]).toBe('000000000000000000000001');
  });
});
