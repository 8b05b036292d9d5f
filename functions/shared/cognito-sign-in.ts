/**
 * Sign-in for the reviewer app in AWS (`/auth/*`, the only routes without the JWT authorizer): the
 * OAuth 2.0 authorization code flow with PKCE against the Cognito user pool's hosted UI, which
 * federates to the company IdP. The callback swaps the code for tokens and keeps the ID token in an
 * HttpOnly cookie; CloudFront copies that cookie into the header the JWT authorizer reads, so every
 * other route is authorized by API Gateway, not here. Nothing here trusts the token it stores: the
 * authorizer verifies it (signature, issuer, audience, expiry) on each request.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { messagePage, page } from '../../core/reviews/web/html';
import {
  type AppResponse,
  html,
  parseCookies,
  redirect,
  SECURITY_HEADERS,
} from '../../core/reviews/web/http';
import type { HttpApiResult } from './reviews-http';

/** The cookie holding the Cognito ID token; CloudFront forwards it as `ID_TOKEN_HEADER`. */
export const ID_TOKEN_COOKIE = 'ap_id';
export const ID_TOKEN_HEADER = 'x-accessproof-id-token';
const FLOW_COOKIE = 'ap_auth';

export interface CognitoSignInOptions {
  /** `https://<prefix>.auth.<region>.amazoncognito.com` (or the pool's custom domain). */
  domain: string;
  clientId: string;
  /** The app's public origin, e.g. `https://d111111abcdef8.cloudfront.net`. */
  baseUrl: string;
  /** The user pool's name of the company IdP: skips Cognito's own page and goes there. */
  identityProvider?: string;
  /** The token endpoint call (tests point it at a local imitation). */
  fetch?: typeof fetch;
  random?: (bytes: number) => Buffer;
}

const tokenResponse = z.object({
  id_token: z.string().min(20).max(3800),
  expires_in: z.number().int().positive().max(86400),
});

/**
 * @example
 * const signIn = cognitoSignIn({ domain, clientId, baseUrl });
 * if (event.rawPath.startsWith('/auth/')) return signIn(event);
 */
export function cognitoSignIn(
  options: CognitoSignInOptions,
): (event: { rawPath: string; rawQueryString?: string; cookies?: string[] }) => Promise<HttpApiResult> {
  const doFetch = options.fetch ?? fetch;
  const random = options.random ?? randomBytes;
  const domain = options.domain.replace(/\/+$/, '');
  const base = options.baseUrl.replace(/\/+$/, '');
  const callback = `${base}/auth/callback`;
  const cookie = (name: string, value: string, path: string, maxAge: number, sameSite: 'Lax' | 'Strict') =>
    `${name}=${value}; Path=${path}; HttpOnly; Secure; SameSite=${sameSite}; Max-Age=${maxAge}`;

  return async (event) => {
    const query = new URLSearchParams(event.rawQueryString ?? '');
    const cookies = parseCookies((event.cookies ?? []).join('; '));
    let res: AppResponse;
    if (event.rawPath === '/auth/login') {
      const state = random(24).toString('base64url');
      const verifier = random(32).toString('base64url');
      const next = safeNext(query.get('next'));
      const authorize = new URL(`${domain}/oauth2/authorize`);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: options.clientId,
        redirect_uri: callback,
        scope: 'openid email profile',
        state,
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
        ...(options.identityProvider ? { identity_provider: options.identityProvider } : {}),
      }).toString();
      // Lax: the IdP sends the browser back by a cross-site top-level GET, which must carry it.
      res = redirect(authorize.toString(), [
        cookie(
          FLOW_COOKIE,
          `${state}.${verifier}.${Buffer.from(next).toString('base64url')}`,
          '/auth',
          600,
          'Lax',
        ),
      ]);
      res.status = 302;
    } else if (event.rawPath === '/auth/callback') {
      res = await callbackRoute(query, cookies.get(FLOW_COOKIE));
    } else if (event.rawPath === '/auth/logout') {
      const logout = new URL(`${domain}/logout`);
      logout.search = new URLSearchParams({
        client_id: options.clientId,
        logout_uri: `${base}/auth/signed-out`,
      }).toString();
      // A page, not a redirect: the sign-out form's CSP (form-action 'self') forbids following a
      // redirect to the user pool's domain.
      res = html(200, refreshPage('Signing out', logout.toString(), 'Continue signing out'), [
        cookie(ID_TOKEN_COOKIE, '', '/', 0, 'Strict'),
      ]);
    } else if (event.rawPath === '/auth/signed-out') {
      res = html(
        200,
        page('Signed out', '<h1>Signed out</h1><p><a href="/auth/login">Sign in again</a></p>'),
      );
    } else {
      res = html(404, messagePage('Not found', 'There is nothing here for you.'));
    }
    return {
      statusCode: res.status,
      headers: res.headers,
      cookies: res.cookies,
      body: res.body,
      isBase64Encoded: false,
    };
  };

  async function callbackRoute(query: URLSearchParams, flow: string | undefined): Promise<AppResponse> {
    const [state, verifier, nextB64] = (flow ?? '').split('.');
    const code = query.get('code');
    const given = query.get('state');
    if (!state || !verifier || !code || !given || given !== state) {
      return html(
        400,
        `${messagePage('Sign-in not completed', 'The sign-in expired or did not start here. Sign in again.')}`,
      );
    }
    let token: z.infer<typeof tokenResponse>;
    try {
      const r = await doFetch(`${domain}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: options.clientId,
          code,
          redirect_uri: callback,
          code_verifier: verifier,
        }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      if (!r.ok) throw new Error(`token endpoint answered ${r.status}`);
      token = tokenResponse.parse(await r.json());
    } catch {
      // The code or the endpoint's answer is never echoed: it is a credential.
      return html(502, messagePage('Sign-in failed', 'The identity provider did not complete the sign-in.'));
    }
    const next = safeNext(Buffer.from(nextB64 ?? '', 'base64url').toString('utf8'));
    // A page, not a redirect: a SameSite=Strict cookie set at the end of a cross-site redirect
    // chain is not sent on the next hop; a same-site navigation from this page carries it.
    const body = refreshPage('Signed in', next, 'Continue to your reviews');
    return {
      status: 200,
      headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
      cookies: [
        cookie(ID_TOKEN_COOKIE, token.id_token, '/', token.expires_in, 'Strict'),
        cookie(FLOW_COOKIE, '', '/auth', 0, 'Lax'),
      ],
      body,
    };
  }
}

/** A page that moves on to `url` by itself (meta refresh; no script under the app's CSP). */
function refreshPage(title: string, url: string, label: string): string {
  return page(title, `<h1>${title}</h1><p><a href="${escAttr(url)}" id="continue">${label}</a></p>`).replace(
    '<head>',
    `<head><meta http-equiv="refresh" content="0;url=${escAttr(url)}">`,
  );
}

/** A local path only (`/c/…`), never another origin (`//evil`, `https:`), else `/`. */
function safeNext(next: string | null): string {
  return next && /^\/(?![/\\])[A-Za-z0-9/._~%?=&-]*$/.test(next) ? next : '/';
}

function escAttr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
