/**
 * The reviewer app (core/reviews/web) behind API Gateway HTTP API: a payload v2 proxy event in, the
 * app's plain request through the same router the local server uses, a v2 result out. Only the
 * mapping lives here: cookies (`cookies: string[]` both ways), headers, base64 bodies, the body
 * limit, and the reviewer — the JWT authorizer's verified `email` claim, never a header or a link.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { maxBodyBytesFor, type ReviewApp } from '../../core/reviews/web/app';
import { messagePage } from '../../core/reviews/web/html';
import { type AppRequest, type AppResponse, html } from '../../core/reviews/web/http';

const claimValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const eventSchema = z.object({
  version: z.literal('2.0'),
  rawPath: z.string().startsWith('/'),
  rawQueryString: z.string().default(''),
  cookies: z.array(z.string()).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({
    http: z.object({ method: z.string().min(1), sourceIp: z.string().optional() }),
    authorizer: z
      .object({ jwt: z.object({ claims: z.record(z.string(), claimValue).default({}) }).optional() })
      .optional(),
  }),
});
export type HttpApiEvent = z.input<typeof eventSchema>;

export interface HttpApiResult {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface VerifiedIdentityOptions {
  /**
   * OIDC provider names (as configured in the user pool) whose email the company IdP vouches for:
   * a federated user's `email_verified` is often absent or false although Entra ID issued the
   * address. Any other token needs `email_verified = true`.
   */
  trustedProviders: readonly string[];
}

/**
 * The reviewer of a request as the JWT authorizer verified it, or undefined (no token, no email,
 * an email nobody vouched for). The session id binds CSRF tokens to this sign-in.
 *
 * @example
 * verifiedReviewer({ email: 'A@Example.com', email_verified: 'true', origin_jti: 'f0…' }, { trustedProviders: [] });
 * // { reviewer: 'a@example.com', sid: '…' }
 */
export function verifiedReviewer(
  claims: Record<string, z.infer<typeof claimValue>> | undefined,
  options: VerifiedIdentityOptions,
): { reviewer: string; sid: string } | undefined {
  if (!claims) return undefined;
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) return undefined;
  const verified =
    String(claims.email_verified) === 'true' || fromTrustedProvider(claims.identities, options);
  if (!verified) return undefined;
  // Cognito keeps origin_jti across refreshes of one sign-in; jti changes with every token.
  const session = [claims.origin_jti, claims.jti, `${String(claims.sub)}:${String(claims.auth_time)}`].find(
    (v) => typeof v === 'string' && v.length > 0,
  ) as string;
  const sid = createHash('sha256').update(`${email}\u0000${session}`).digest('base64url').slice(0, 32);
  return { reviewer: email, sid };
}

function fromTrustedProvider(identities: unknown, options: VerifiedIdentityOptions): boolean {
  if (typeof identities !== 'string' || options.trustedProviders.length === 0) return false;
  try {
    const list = JSON.parse(identities) as unknown;
    const entries = Array.isArray(list) ? list : [list];
    return entries.some(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        options.trustedProviders.includes(String((e as { providerName?: unknown }).providerName)),
    );
  } catch {
    return false;
  }
}

const TEXT_TYPES = /^(application\/x-www-form-urlencoded|text\/[a-z0-9.+-]+)$/i;

/** v2 event → the app's request; a result when the event is refused before the app sees it. */
export function toAppRequest(
  event: unknown,
  options: VerifiedIdentityOptions,
): { request: AppRequest } | { refused: AppResponse } {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return { refused: html(400, messagePage('Bad request', 'Not an HTTP API request.')) };
  const e = parsed.data;
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(e.headers)) headers[k.toLowerCase()] = v;
  // v2 moves every Cookie header into `cookies`; the app reads one header, as a browser sends it.
  if (e.cookies?.length) headers.cookie = e.cookies.join('; ');
  else delete headers.cookie;
  const raw = e.body ?? '';
  const bytes = e.isBase64Encoded ? Buffer.byteLength(raw, 'base64') : Buffer.byteLength(raw, 'utf8');
  const limit = maxBodyBytesFor(e.rawPath);
  if (bytes > limit) {
    return { refused: html(413, messagePage('Too large', `At most ${limit} bytes.`)) };
  }
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim();
  // HTTP API base64-encodes form posts; forms reach the app as text, anything else stays base64.
  const asText = e.isBase64Encoded && TEXT_TYPES.test(type);
  const request: AppRequest = {
    method: e.requestContext.http.method.toUpperCase(),
    path: e.rawPath,
    query: new URLSearchParams(e.rawQueryString),
    headers,
    body: asText ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    ...(e.isBase64Encoded && !asText ? { isBase64Encoded: true } : {}),
    ...(e.requestContext.http.sourceIp ? { remote: e.requestContext.http.sourceIp } : {}),
  };
  const verified = verifiedReviewer(e.requestContext.authorizer?.jwt?.claims, options);
  if (verified) request.verified = verified;
  return { request };
}

export function toHttpApiResult(res: AppResponse): HttpApiResult {
  return {
    statusCode: res.status,
    headers: res.headers,
    cookies: res.cookies,
    body: res.body,
    isBase64Encoded: res.isBase64Encoded === true,
  };
}

/**
 * @example
 * export const handler = httpApiHandler(createReviewApp({ …, signIn: 'verified' }), { trustedProviders: ['EntraID'] });
 */
export function httpApiHandler(
  app: ReviewApp,
  options: VerifiedIdentityOptions,
): (event: unknown) => Promise<HttpApiResult> {
  return async (event) => {
    const mapped = toAppRequest(event, options);
    return toHttpApiResult('refused' in mapped ? mapped.refused : await app(mapped.request));
  };
}
