/**
 * Wildcard globs as IAM and rulesets use them: `*` matches any run of characters (including `:` and
 * `/`), `?` exactly one; everything else is literal. Besides matching a string, a rule pattern
 * (`s3:Put*`) has to be compared with a policy pattern (`s3:*Object`), so this module also answers
 * "can both match one string?" and "does one match everything the other does?".
 *
 * Compiled matchers and pairwise answers are cached: the same few hundred patterns recur across
 * hundreds of thousands of policy statements.
 */

export interface GlobOptions {
  /** Compare letters case-insensitively (IAM actions, entitlement names); ARNs are case-sensitive. */
  caseInsensitive?: boolean;
}

export type StringMatcher = (value: string) => boolean;

const matcherCache = new Map<string, StringMatcher>();
const pairCache = new Map<string, boolean>();
/** Caches grow with distinct patterns only; the bound guards a pathological input. */
const CACHE_LIMIT = 200_000;

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/**
 * A compiled matcher for one glob, cached by pattern and case mode.
 *
 * @example
 * compileGlob('AP Payment*', { caseInsensitive: true })('ap payment approver'); // true
 */
export function compileGlob(pattern: string, options: GlobOptions = {}): StringMatcher {
  const ci = options.caseInsensitive === true;
  const cacheKey = `${ci ? 'i' : 's'}\u0000${pattern}`;
  const cached = matcherCache.get(cacheKey);
  if (cached) return cached;
  let matcher: StringMatcher;
  if (!hasWildcard(pattern)) {
    const literal = ci ? pattern.toLowerCase() : pattern;
    matcher = ci ? (v) => v.toLowerCase() === literal : (v) => v === literal;
  } else if (pattern === '*') {
    matcher = () => true;
  } else {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    const re = new RegExp(`^${source}$`, ci ? 'is' : 's');
    matcher = (v) => re.test(v);
  }
  if (matcherCache.size > CACHE_LIMIT) matcherCache.clear();
  matcherCache.set(cacheKey, matcher);
  return matcher;
}

/** True when `value` matches `pattern`. */
export function globMatch(pattern: string, value: string, options: GlobOptions = {}): boolean {
  return compileGlob(pattern, options)(value);
}

function sameChar(a: string, b: string, ci: boolean): boolean {
  return a === b || (ci && a.toLowerCase() === b.toLowerCase());
}

function cachedPair(kind: string, a: string, b: string, ci: boolean, compute: () => boolean): boolean {
  const key = `${kind}${ci ? 'i' : 's'}\u0000${a}\u0000${b}`;
  const hit = pairCache.get(key);
  if (hit !== undefined) return hit;
  const result = compute();
  if (pairCache.size > CACHE_LIMIT) pairCache.clear();
  pairCache.set(key, result);
  return result;
}

/**
 * True when some string matches both globs (`s3:Put*` and `s3:*Object` share `s3:PutObject`).
 * Exact: a breadth-first walk over pairs of positions, O(|a|·|b|).
 *
 * @example
 * globsIntersect('s3:Put*', 's3:*Object', { caseInsensitive: true }); // true
 */
export function globsIntersect(a: string, b: string, options: GlobOptions = {}): boolean {
  const ci = options.caseInsensitive === true;
  if (a === '*' || b === '*') return true;
  if (!hasWildcard(a)) return globMatch(b, a, options);
  if (!hasWildcard(b)) return globMatch(a, b, options);
  return cachedPair('x', a, b, ci, () => intersectWalk(a, b, ci));
}

function intersectWalk(a: string, b: string, ci: boolean): boolean {
  const width = b.length + 1;
  const seen = new Uint8Array((a.length + 1) * width);
  const stack: number[] = [0];
  seen[0] = 1;
  const push = (i: number, j: number) => {
    const k = i * width + j;
    if (seen[k] === 0) {
      seen[k] = 1;
      stack.push(k);
    }
  };
  while (stack.length > 0) {
    const k = stack.pop()!;
    const i = Math.floor(k / width);
    const j = k % width;
    if (i === a.length && j === b.length) return true;
    const ca = a[i];
    const cb = b[j];
    // A star may match nothing…
    if (ca === '*') push(i + 1, j);
    if (cb === '*') push(i, j + 1);
    if (ca === undefined || cb === undefined) continue;
    // …or absorb one character the other side produces.
    if (ca === '*' && cb !== '*') push(i, j + 1);
    if (cb === '*' && ca !== '*') push(i + 1, j);
    if (ca !== '*' && cb !== '*' && (ca === '?' || cb === '?' || sameChar(ca, cb, ci))) push(i + 1, j + 1);
  }
  return false;
}

/**
 * True when `outer` matches every string `inner` matches (`arn:aws:s3:::*` covers
 * `arn:aws:s3:::pay/*`). Sound but not complete: it may answer false for an exotic inclusion
 * (which makes a Deny look narrower than it is, so a conflict is reported rather than missed).
 *
 * @example
 * globCovers('s3:*', 's3:Put*', { caseInsensitive: true }); // true
 */
export function globCovers(outer: string, inner: string, options: GlobOptions = {}): boolean {
  const ci = options.caseInsensitive === true;
  if (outer === '*') return true;
  if (!hasWildcard(inner)) return globMatch(outer, inner, options);
  if (!hasWildcard(outer)) return false;
  return cachedPair('c', outer, inner, ci, () => coverWalk(outer, inner, ci));
}

/** Matches `outer` against `inner` read as text, where only an outer `*` may absorb an inner `*`. */
function coverWalk(outer: string, inner: string, ci: boolean): boolean {
  const width = inner.length + 1;
  const seen = new Uint8Array((outer.length + 1) * width);
  const stack: number[] = [0];
  seen[0] = 1;
  const push = (i: number, j: number) => {
    const k = i * width + j;
    if (seen[k] === 0) {
      seen[k] = 1;
      stack.push(k);
    }
  };
  while (stack.length > 0) {
    const k = stack.pop()!;
    const i = Math.floor(k / width);
    const j = k % width;
    if (i === outer.length && j === inner.length) return true;
    const co = outer[i];
    const ci2 = inner[j];
    if (co === '*') {
      push(i + 1, j);
      if (ci2 !== undefined) push(i, j + 1);
      continue;
    }
    if (co === undefined || ci2 === undefined) continue;
    if (co === '?') {
      if (ci2 !== '*') push(i + 1, j + 1);
    } else if (ci2 !== '*' && ci2 !== '?' && sameChar(co, ci2, ci)) {
      push(i + 1, j + 1);
    }
  }
  return false;
}
