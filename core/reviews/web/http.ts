/**
 * The reviewer app's request and response as plain objects: the local server (`accessproof
 * serve`) and, later, a Lambda proxy event are adapted to these, so the handlers are one code.
 */

export interface AppRequest {
  method: string;
  /** The path without the query, e.g. `/c/rev-1/items/3fa4c2d19b0e`. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  /**
   * The body as text (forms); empty for GET. With `isBase64Encoded` (as in a Lambda proxy event)
   * it is base64: binary bodies (a multipart XLSX upload). Adapters refuse bodies above
   * `maxBodyBytesFor(path)` first.
   */
  body: string;
  isBase64Encoded?: boolean;
  /** Where the request came from, for the audit log (`127.0.0.1`). */
  remote?: string;
  /**
   * The reviewer as a front door verified them, set ONLY by an adapter from verified claims (in
   * AWS the JWT authorizer's email claim). Read only when the app runs with `signIn: 'verified'`.
   */
  verified?: { reviewer: string; sid: string };
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  /** Set-Cookie values (one per cookie). */
  cookies: string[];
  /** Text, or base64 with `isBase64Encoded` (an XLSX download), as a Lambda proxy result. */
  body: string;
  isBase64Encoded?: boolean;
}

/** Cookies of the `Cookie` header; the first of a repeated name wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

/** Every header the app sends: no framing, no sniffing, no referrer (links carry tokens), no cache. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export function html(status: number, body: string, cookies: string[] = []): AppResponse {
  return {
    status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
    cookies,
    body,
  };
}

export function redirect(location: string, cookies: string[] = []): AppResponse {
  return { status: 303, headers: { ...SECURITY_HEADERS, location }, cookies, body: '' };
}
