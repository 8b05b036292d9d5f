import { describe, expect, it } from 'vitest';
import { appendAll, minMax } from '../../../core/arrays';

describe('arrays of unbounded size', () => {
  it('appendAll appends a million items (push(...x) throws RangeError there)', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    const target = [-1];
    expect(appendAll(target, big)).toBe(target);
    expect(target.length).toBe(1_000_001);
    expect(target.at(-1)).toBe(999_999);
  });

  it('minMax over a million numbers, and undefined for none', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i - 500_000);
    expect(minMax(big)).toEqual({ min: -500_000, max: 499_999 });
    expect(minMax([5, -3, 12, 0])).toEqual({ min: -3, max: 12 });
    expect(minMax([])).toBeUndefined();
  });
});
