/**
 * Sign-in and state-change checks shared by the reviewer app and the owner screens (issue 17):
 * a signed link exchanged for a strict session cookie, the cookie read back, and the checks of a
 * state-changing request (size, type, session, scope, CSRF), every refusal audited. The reviewer
 * and the owner differ only in parameters (`SessionKind`): the token purposes (through their own
 * sign/open functions in ./tokens.ts, each its own MAC domain), the cookie's name and path, the
 * audit action and the audit fields naming a session.
 */
import { messagePage } from './html';
import { type AppRequest, type AppResponse, html, parseCookies, redirect } from './http';

/** One line of the audit log: every request that changes state, accepted or refused. */
export interface AuditEntry {
  at: string;
  /**
   * Reviewers: `session-opened`, `decide`, `delegate`, `upload`, `sign-out`. Owners:
   * `owner-session-opened`, `campaign-create`, `remind`, `close`, `owner-sign-out`.
   */
  action: string;
  outcome: 'ok' | 'refused';
  status: number;
  campaign?: string;
  reviewer?: string;
  /** The campaign owner of an owner request (`/o/…`). */
  owner?: string;
  items?: string[];
  detail?: string;
  remote?: string;
  /** Session id (not the cookie): ties the requests of one sign-in together. */
  sid?: string;
}

/** What names a grant or session in the audit log. */
export type AuditWho = Pick<AuditEntry, 'campaign' | 'reviewer' | 'owner' | 'sid'>;

/** A kind of sign-in: a reviewer's (one campaign) or a campaign owner's. */
export interface SessionKind<G extends { exp: string }, S extends G & { sid: string }> {
  cookieName: string;
  cookiePath: string;
  /** The audit action of a link sign-in, and what the link is called in its refusal. */
  signInAction: string;
  linkName: string;
  openLink(key: Uint8Array, token: string, now: Date): G | undefined;
  signSession(key: Uint8Array, session: S): string;
  openSession(key: Uint8Array, value: string, now: Date): S | undefined;
  csrfValid(key: Uint8Array, session: S, given: string | undefined): boolean;
  /** The session a grant opens (`sid` and `exp` chosen by the sign-in). */
  session(grant: G, sid: string, exp: string): S;
  whoGrant(grant: G): AuditWho;
  who(session: S): AuditWho;
}

export interface SessionPorts {
  key: Uint8Array;
  now: () => Date;
  newId: () => string;
  ttlMs: number;
  maxBodyBytes: number;
  secureCookie?: boolean;
  audit: (entry: AuditEntry) => Promise<void>;
}

/** A refusal: its response and why (for the audit log). */
export interface Refusal {
  res: AppResponse;
  detail: string;
  /** Who was refused when not a session (AWS: the verified identity that is not an owner). */
  who?: AuditWho;
}

export const forbidden = (why: string) => html(403, messagePage('Forbidden', why));
const expiredForm = () => forbidden('The form expired: reload the page and try again.');

/**
 * @example
 * const s = sessionMachinery(REVIEWER_KIND, { key, now, newId, ttlMs, maxBodyBytes, audit });
 * const checked = await s.checkForm(req, 'decide', { session: () => s.fromCookie(req), noSession });
 */
export function sessionMachinery<G extends { exp: string }, S extends G & { sid: string }>(
  kind: SessionKind<G, S>,
  ports: SessionPorts,
) {
  const audit = (req: AppRequest, entry: Omit<AuditEntry, 'at' | 'remote'>) =>
    ports.audit({
      at: ports.now().toISOString(),
      ...entry,
      ...(req.remote !== undefined ? { remote: req.remote } : {}),
    });
  const refuse = async (
    req: AppRequest,
    action: string,
    status: number,
    detail: string,
    res: AppResponse,
    who: AuditWho = {},
  ): Promise<{ refused: AppResponse }> => {
    await audit(req, { action, outcome: 'refused', status, detail, ...who });
    return { refused: res };
  };
  /** `Set-Cookie` of a session (an empty value and 0 clear it): strict, HTTP only, its own path. */
  const cookie = (value: string, maxAgeS: number) =>
    `${kind.cookieName}=${value}; Path=${kind.cookiePath}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${ports.secureCookie ? '; Secure' : ''}`;

  /** The session of the request's cookie, if valid and unexpired. */
  const fromCookie = (req: AppRequest): S | undefined => {
    const value = parseCookies(req.headers.cookie).get(kind.cookieName);
    return value === undefined ? undefined : kind.openSession(ports.key, value, ports.now());
  };

  /**
   * Exchange a signed link for a session cookie: refused (audited) when the link is forged or
   * expired, or names what no longer exists; the session lasts the TTL, never past the link.
   */
  async function signIn(
    req: AppRequest,
    token: string,
    o: {
      invalid: AppResponse;
      exists: (grant: G) => Promise<boolean>;
      missing: AppResponse;
      landing: (grant: G) => string;
    },
  ): Promise<AppResponse> {
    const now = ports.now();
    const grant = kind.openLink(ports.key, token, now);
    const action = kind.signInAction;
    if (!grant)
      return (await refuse(req, action, 401, `invalid or expired ${kind.linkName}`, o.invalid)).refused;
    if (!(await o.exists(grant))) {
      await audit(req, { action, outcome: 'refused', status: 404, ...kind.whoGrant(grant) });
      return o.missing;
    }
    const exp = new Date(Math.min(now.getTime() + ports.ttlMs, Date.parse(grant.exp)));
    const session = kind.session(grant, ports.newId(), exp.toISOString());
    const maxAge = Math.max(0, Math.floor((exp.getTime() - now.getTime()) / 1000));
    await audit(req, {
      action,
      outcome: 'ok',
      status: 303,
      ...kind.whoGrant(grant),
      ...kind.who(session),
    });
    return redirect(o.landing(grant), [cookie(kind.signSession(ports.key, session), maxAge)]);
  }

  /**
   * Who may change state: a session (else `noSession`), in scope (else `outOfScope`), with the
   * session's CSRF token (read only after the other checks). Every refusal is audited.
   */
  async function authorize(
    req: AppRequest,
    action: string,
    o: {
      session: () => S | undefined;
      noSession: () => Refusal;
      outOfScope?: (s: S) => Refusal | undefined;
      csrf: () => string | undefined;
      /** Audit fields of the target (an owner's campaign from the URL). */
      at?: AuditWho;
    },
  ): Promise<{ refused: AppResponse } | { s: S }> {
    const at = o.at ?? {};
    const s = o.session();
    if (!s) {
      const r = o.noSession();
      return refuse(req, action, r.res.status, r.detail, r.res, { ...at, ...r.who });
    }
    const scope = o.outOfScope?.(s);
    if (scope)
      return refuse(req, action, scope.res.status, scope.detail, scope.res, { ...at, ...kind.who(s) });
    if (!kind.csrfValid(ports.key, s, o.csrf()))
      return refuse(req, action, 403, 'bad CSRF token', expiredForm(), { ...at, ...kind.who(s) });
    return { s };
  }

  /** A state-changing form: size and type first, then `authorize` with the form's `csrf` field. */
  async function checkForm(
    req: AppRequest,
    action: string,
    o: Omit<Parameters<typeof authorize>[2], 'csrf'>,
  ): Promise<{ refused: AppResponse } | { s: S; form: URLSearchParams }> {
    const at = o.at ?? {};
    if (Buffer.byteLength(req.body, 'utf8') > ports.maxBodyBytes) {
      const res = html(413, messagePage('Too large', `At most ${ports.maxBodyBytes} bytes.`));
      return refuse(req, action, 413, 'body too large', res, at);
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      const res = html(415, messagePage('Unsupported', 'Send the form.'));
      return refuse(req, action, 415, `content type ${type || 'none'}`, res, at);
    }
    const form = new URLSearchParams(req.body);
    const ok = await authorize(req, action, { ...o, csrf: () => form.get('csrf') ?? undefined });
    return 'refused' in ok ? ok : { s: ok.s, form };
  }

  return { audit, refuse, cookie, fromCookie, signIn, authorize, checkForm };
}
