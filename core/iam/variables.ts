/**
 * IAM policy variables (`${aws:username}`) in Resource and NotResource, substituted per principal
 * as AWS does for `Version: 2012-10-17` documents (older documents read `${…}` as literal text; the
 * normalizer only flags statements of 2012-10-17 documents).
 *
 * A variable is one of three things for a principal:
 *  - known: its value comes from the principal (`aws:username` of an IAM user, `aws:PrincipalTag/K`);
 *  - missing: the principal has no such value and no default is given, so the Resource entry
 *    matches nothing (and a NotResource entry makes the statement invalid);
 *  - request-dependent: it depends on the request (`aws:SourceIp`, `s3:prefix`, a role's session
 *    name). Like a Condition it is not evaluated: an Allow counts as matching any value, a Deny as
 *    not matching, and the evidence says so.
 * `${*}`, `${?}` and `${$}` stand for the literal characters; literal `*` and `?` become private-use
 * characters so the glob matcher reads them as text (`displayResource` turns them back).
 */
import { appendAll } from '../arrays';
import type { PolicyStatement, Principal } from '../model';

/** Literal `*` and `?` inside a substituted pattern: never wildcards. */
export const LITERAL_STAR = '\uE000';
export const LITERAL_QUESTION = '\uE001';

/** What a variable resolves to for one principal. */
export type VariableValue =
  | { kind: 'value'; value: string }
  /** Depends on the request; `allowPattern` (a glob) is what an Allow may assume (default `*`). */
  | { kind: 'request'; allowPattern?: string }
  | { kind: 'missing' };

export type VariableLookup = (lowercaseKey: string) => VariableValue;

/** Tags AccessProof itself adds to principals (`accessproof:*`): never the principal's real tags. */
const INTERNAL_TAG = /^accessproof:/i;

/**
 * The variable values of one AWS principal, from the record the connector wrote.
 *
 * @example
 * principalVariables(user)('aws:username'); // { kind: 'value', value: 'quinn' }
 */
export function principalVariables(p: Principal): VariableLookup {
  const isUser = p.type === 'iam-user';
  const isRole = p.type.endsWith('role');
  const account = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(p.nativeId)?.[1] ?? p.tenant;
  const tags = new Map<string, string>();
  for (const [k, v] of Object.entries(p.tags)) if (!INTERNAL_TAG.test(k)) tags.set(k.toLowerCase(), v);
  return (key) => {
    switch (key) {
      case 'aws:username':
        return isUser ? { kind: 'value', value: p.name } : { kind: 'missing' };
      case 'aws:userid': {
        const id = p.aws?.userId;
        if (isUser) return id ? { kind: 'value', value: id } : { kind: 'request' };
        // A role session's id is `AROA…:<session name>`, and the session name is the caller's choice.
        if (isRole && id) return { kind: 'request', allowPattern: `${literal(id)}:*` };
        return { kind: 'request' };
      }
      case 'aws:principalaccount':
        return { kind: 'value', value: account };
      case 'aws:principaltype':
        return isUser ? { kind: 'value', value: 'User' } : { kind: 'value', value: 'AssumedRole' };
      case 'aws:principalarn':
        return isUser || isRole ? { kind: 'value', value: p.nativeId } : { kind: 'request' };
    }
    if (key.startsWith('aws:principaltag/')) {
      const v = tags.get(key.slice('aws:principaltag/'.length));
      return v === undefined ? { kind: 'missing' } : { kind: 'value', value: v };
    }
    // Everything else (aws:SourceIp, aws:CurrentTime, s3:prefix, aws:RequestTag/…) is the request's.
    return { kind: 'request' };
  };
}

/** Glob-special characters of a value are literal text in the pattern. */
function literal(value: string): string {
  return value.replaceAll('*', LITERAL_STAR).replaceAll('?', LITERAL_QUESTION);
}

type Piece =
  /** `request`: the key of a request variable an Allow assumed to match. */
  { ok: true; text: string; request?: string } | { ok: false; why: 'missing' | 'request'; key: string };

/**
 * One variable's text (between `${` and `}`): its replacement for an Allow or a Deny reading.
 * A default (`${aws:PrincipalTag/team, 'none'}`) replaces a missing value.
 */
function resolve(inner: string, lookup: VariableLookup, effect: 'Allow' | 'Deny'): Piece {
  const body = inner.trim();
  if (body === '*') return { ok: true, text: LITERAL_STAR };
  if (body === '?') return { ok: true, text: LITERAL_QUESTION };
  if (body === '$') return { ok: true, text: '$' };
  const m = /^([^,\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?$/.exec(body);
  if (!m) return { ok: false, why: 'missing', key: body };
  const key = m[1]!;
  const fallback = m[2]?.replaceAll("''", "'");
  const v = lookup(key.toLowerCase());
  if (v.kind === 'value') return { ok: true, text: literal(v.value) };
  if (v.kind === 'missing') {
    return fallback !== undefined
      ? { ok: true, text: literal(fallback) }
      : { ok: false, why: 'missing', key };
  }
  if (effect === 'Allow') return { ok: true, text: v.allowPattern ?? '*', request: key };
  return { ok: false, why: 'request', key };
}

/** A pattern with its variables replaced, or why it cannot be. */
type Substitution = { pattern: string; request: string[] } | { why: 'missing' | 'request'; key: string };

function substitute(pattern: string, lookup: VariableLookup, effect: 'Allow' | 'Deny'): Substitution {
  let out = '';
  let i = 0;
  const request: string[] = [];
  while (i < pattern.length) {
    const start = pattern.indexOf('${', i);
    if (start === -1) {
      out += pattern.slice(i);
      break;
    }
    const end = pattern.indexOf('}', start + 2);
    if (end === -1) {
      out += pattern.slice(i);
      break;
    }
    out += pattern.slice(i, start);
    const piece = resolve(pattern.slice(start + 2, end), lookup, effect);
    if (!piece.ok) return { why: piece.why, key: piece.key };
    if (piece.request) request.push(piece.request);
    out += piece.text;
    i = end + 1;
  }
  return { pattern: out, request };
}

export interface SubstitutedStatement {
  /** The statement for this principal; undefined when it cannot apply at all. */
  statement?: PolicyStatement;
  /** What the evidence must say: variables not evaluated or without a value. */
  notes: string[];
}

/**
 * Substitutes the principal's values into a flagged statement's Resource and NotResource.
 *
 * @example
 * substituteVariables({ effect: 'Allow', action: ['iam:CreateAccessKey'], resource: ['arn:aws:iam::1:user/${aws:username}'], variables: true }, principalVariables(quinn));
 * // { statement: { …, resource: ['arn:aws:iam::1:user/quinn'] }, notes: [] }
 */
export function substituteVariables(
  statement: PolicyStatement,
  lookup: VariableLookup,
): SubstitutedStatement {
  const { variables: _flag, ...rest } = statement;
  const out: PolicyStatement = rest;
  const notes: string[] = [];
  const request = new Set<string>();
  const missing = new Set<string>();
  if (statement.resource) {
    const kept: string[] = [];
    for (const r of statement.resource) {
      const s = substitute(r, lookup, statement.effect);
      if ('pattern' in s) {
        kept.push(s.pattern);
        for (const k of s.request) request.add(k);
      } else (s.why === 'request' ? request : missing).add(s.key);
    }
    // No entry left: the statement matches no resource for this principal.
    if (kept.length === 0) return { notes: describe(statement, request, missing) };
    out.resource = kept;
  }
  if (statement.notResource) {
    const kept: string[] = [];
    for (const r of statement.notResource) {
      // An exclusion is read the other way round: a Deny's exclusion may be anything (so it denies
      // less), an Allow's exclusion is dropped (so it allows more).
      const s = substitute(r, lookup, statement.effect === 'Allow' ? 'Deny' : 'Allow');
      if ('pattern' in s) {
        kept.push(s.pattern);
        for (const k of s.request) request.add(k);
      } else if (s.why === 'request') request.add(s.key);
      else {
        missing.add(s.key);
        return { notes: describe(statement, request, missing) };
      }
    }
    if (kept.length === 0) delete out.notResource;
    else out.notResource = kept;
    if (kept.length === 0 && !out.resource) out.resource = ['*'];
  }
  appendAll(notes, describe(statement, request, missing));
  return { statement: out, notes };
}

function describe(statement: PolicyStatement, request: Set<string>, missing: Set<string>): string[] {
  const notes: string[] = [];
  if (request.size > 0) {
    notes.push(
      `policy variable ${[...request].map((k) => `\${${k}}`).join(', ')} depends on the request: not evaluated (${statement.effect === 'Allow' ? 'counted as allowing' : 'not counted as denying'})`,
    );
  }
  if (missing.size > 0) {
    notes.push(
      `policy variable ${[...missing].map((k) => `\${${k}}`).join(', ')} has no value for this principal: the ${statement.effect} does not apply to that resource`,
    );
  }
  return notes;
}

/** A substituted pattern as the evidence shows it (`${*}` back for a literal star). */
export function displayResource(pattern: string): string {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the IAM escapes themselves
  return pattern.replaceAll(LITERAL_STAR, '${*}').replaceAll(LITERAL_QUESTION, '${?}');
}

/** A request's resource string as a pattern: its `*` and `?` are text (the `"*"` of resource-less actions). */
export function literalResource(resource: string): string {
  return literal(resource);
}
