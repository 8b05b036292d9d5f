/**
 * `JSON.stringify(value)` as a sequence of pieces, so a large value (a scan result with a hundred
 * thousand findings) is uploaded without ever being one string. Concatenated, the pieces are
 * exactly `JSON.stringify(value)`.
 */

/** Containers this deep are still walked; below it a value is stringified whole (one finding, say). */
const WALK_DEPTH = 3;

/**
 * @example
 * [...jsonChunks({ a: [1, 2] })].join('') === JSON.stringify({ a: [1, 2] }) // true
 */
export function* jsonChunks(value: unknown): Generator<string> {
  const top = toJsonValue(value, '');
  if (top === undefined)
    throw new TypeError('the value has no JSON form (undefined, a function or a symbol)');
  yield* walk(top, 0);
}

function* walk(value: unknown, depth: number): Generator<string> {
  if (depth >= WALK_DEPTH || value === null || typeof value !== 'object' || !isWalkable(value)) {
    yield JSON.stringify(value);
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item = toJsonValue(value[i], String(i));
      // Arrays write what has no JSON form as null, as JSON.stringify does.
      if (item === undefined) yield 'null';
      else yield* walk(item, depth + 1);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const item = toJsonValue((value as Record<string, unknown>)[key], key);
    // Objects leave such properties out, as JSON.stringify does.
    if (item === undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* walk(item, depth + 1);
  }
  yield '}';
}

/** Applies `toJSON` (Dates) and maps what JSON cannot hold to `undefined`, as JSON.stringify does. */
function toJsonValue(value: unknown, key: string): unknown {
  let v = value;
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') v = toJSON.call(v, key);
  }
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
  return v;
}

/** Plain objects and arrays are walked; anything else (boxed primitives, Maps) is left to JSON.stringify. */
function isWalkable(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
