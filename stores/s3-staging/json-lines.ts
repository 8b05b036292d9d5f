/**
 * A JSON value as lines, so a large value (a scan result with a million findings, ~1 GB of JSON)
 * is written and read back without ever being one string: V8's longest string is 2^29 − 24
 * characters (about 512 MiB), and a 10x run's scan result is past it.
 *
 * The layout is still one JSON text (newlines are whitespace): the top object and its members are
 * opened one line each, and every item of a list on them (a finding, a changed id) is a line of its
 * own. `JSON.parse` of the whole text gives the same value; `parseJsonLines` reads it line by line.
 *
 *     {
 *     "runId":"run-1",
 *     "findings":[
 *     {"id":"F-1",…},
 *     {"id":"F-2",…}
 *     ],
 *     "changes":{
 *     "opened":[
 *     "F-1"
 *     ]
 *     }
 *     }
 */

/**
 * Objects this deep are opened line by line (the top object and its members); arrays one level
 * deeper (a list inside a member: `changes.opened`). Below that a value is one line (one finding).
 */
const OBJECT_DEPTH = 2;
const ARRAY_DEPTH = 3;

/**
 * The lines of `value` (each without its `\n`). Joined with `\n`, they parse to exactly what
 * `JSON.parse(JSON.stringify(value))` gives.
 *
 * @example
 * [...jsonLines({ a: [1, 2] })] // ['{', '"a":[', '1,', '2', ']', '}']
 */
export function* jsonLines(value: unknown): Generator<string> {
  const top = toJsonValue(value, '');
  if (top === undefined)
    throw new TypeError('the value has no JSON form (undefined, a function or a symbol)');
  yield* walk(top, 0, '', '');
}

function* walk(value: unknown, depth: number, prefix: string, suffix: string): Generator<string> {
  if (!opensLineByLine(value, depth)) {
    yield `${prefix}${JSON.stringify(value)}${suffix}`;
    return;
  }
  if (Array.isArray(value)) {
    yield `${prefix}[`;
    const n = value.length;
    for (let i = 0; i < n; i++) {
      const item = toJsonValue(value[i], String(i));
      // Arrays write what has no JSON form as null, as JSON.stringify does.
      yield* walk(item === undefined ? null : item, depth + 1, '', i < n - 1 ? ',' : '');
    }
    yield `]${suffix}`;
    return;
  }
  yield `${prefix}{`;
  const members: [string, unknown][] = [];
  for (const key of Object.keys(value as object)) {
    const item = toJsonValue((value as Record<string, unknown>)[key], key);
    // Objects leave such properties out, as JSON.stringify does.
    if (item !== undefined) members.push([key, item]);
  }
  for (let i = 0; i < members.length; i++) {
    const [key, item] = members[i]!;
    yield* walk(item, depth + 1, `${JSON.stringify(key)}:`, i < members.length - 1 ? ',' : '');
  }
  yield `}${suffix}`;
}

function opensLineByLine(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return depth < ARRAY_DEPTH;
  if (depth >= OBJECT_DEPTH) return false;
  // Boxed primitives and Maps are left to JSON.stringify.
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
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

interface Frame {
  value: Record<string, unknown> | unknown[];
  /** The key the container has in its parent object. */
  key: string | undefined;
}

/**
 * The value of a text `jsonLines` wrote, read line by line (any JSON text whose lines each hold
 * one complete value, an opening or a closing, also reads: one line of `JSON.stringify` output is
 * one value). `where` names the object in errors.
 *
 * @example
 * await parseJsonLines(splitLines(stream), 's3://bucket/runs/r/scan-result.json');
 */
export async function parseJsonLines(lines: AsyncIterable<string>, where: string): Promise<unknown> {
  const stack: Frame[] = [];
  let result: unknown;
  let done = false;
  let lineNo = 0;
  const attach = (value: unknown, key: string | undefined) => {
    const top = stack[stack.length - 1];
    if (!top) {
      result = value;
      done = true;
    } else if (Array.isArray(top.value)) top.value.push(value);
    // defineProperty: a "__proto__" key is data, as JSON.parse makes it.
    else
      Object.defineProperty(top.value, key!, { value, enumerable: true, writable: true, configurable: true });
  };
  for await (const raw of lines) {
    lineNo++;
    const fail = (why: string): never => {
      throw new Error(`${where}:${lineNo}: ${why}`);
    };
    if (done) fail('text after the end of the value');
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    // A complete value never ends in a comma: one there separates it from the next.
    if (line.endsWith(',')) line = line.slice(0, -1);
    if (line === '}' || line === ']') {
      const frame = stack.pop();
      if (!frame || Array.isArray(frame.value) !== (line === ']')) fail(`unexpected "${line}"`);
      attach(frame!.value, frame!.key);
      continue;
    }
    const top = stack[stack.length - 1];
    let key: string | undefined;
    let rest = line;
    if (top && !Array.isArray(top.value)) {
      const end = keyEnd(line);
      if (end < 0) fail('expected "key": in an object');
      key = JSON.parse(line.slice(0, end + 1)) as string;
      rest = line.slice(end + 2);
    }
    if (rest === '{') stack.push({ value: {}, key });
    else if (rest === '[') stack.push({ value: [], key });
    else {
      let value: unknown;
      try {
        value = JSON.parse(rest);
      } catch (err) {
        fail((err as Error).message);
      }
      attach(value, key);
    }
  }
  if (!done) throw new Error(`${where}: the JSON ends early (after ${lineNo} lines)`);
  return result;
}

/** The index of the closing quote of the key a member line starts with (followed by `:`), or −1. */
function keyEnd(line: string): number {
  if (line.charCodeAt(0) !== 34) return -1;
  for (let i = 1; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return line.charCodeAt(i + 1) === 58 ? i : -1;
  }
  return -1;
}
