/**
 * Array helpers for data of unbounded size. `target.push(...items)` passes every item as a
 * function argument: past roughly 100k items it throws `RangeError: Maximum call stack size
 * exceeded` (issue 11: 200k SoD conflicts crashed every scan). Same for `Math.max(...items)`.
 */

/** Append every item of `items` to `target`, one by one. Returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** The smallest and largest number of `values`, or `undefined` when there are none. */
export function minMax(values: Iterable<number>): { min: number; max: number } | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max } : undefined;
}

/** Every item of each list in turn, without copying them into one array. */
export function* concatenated<T>(lists: readonly Iterable<T>[]): Generator<T> {
  for (const list of lists) yield* list;
}
