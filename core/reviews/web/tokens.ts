/**
 * Signed tokens of the reviewer app (issue 17): the link `review start` prints, the session cookie
 * the link is exchanged for, and the CSRF token bound to that session. All are HMAC-SHA256 over a
 * purpose and a small JSON payload with the key kept in `state/keys`; nothing else grants access.
 * Pure: the key and the time are arguments.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/** Who a link or session is for: one reviewer of one campaign, until `exp`. */
export interface ReviewerGrant {
  campaign: string;
  reviewer: string;
  /** ISO 8601 expiry. */
  exp: string;
}

export interface SessionGrant extends ReviewerGrant {
  /** Random session id; the CSRF token is derived from it. */
  sid: string;
}

/**
 * A campaign owner's grant (issue 17): with `campaign`, that one campaign only; without it, the
 * campaigns the owner started (`createdBy` is the owner's email) and starting new ones.
 */
export interface OwnerGrant {
  owner: string;
  campaign?: string;
  /** ISO 8601 expiry. */
  exp: string;
}

export interface OwnerSession extends OwnerGrant {
  role: 'owner';
  sid: string;
}

/** Each purpose is its own MAC domain: a reviewer's link or cookie never opens as an owner's. */
type Purpose = 'link' | 'session' | 'owner' | 'owner-session';

const grantSchema = z.object({
  v: z.literal(1),
  campaign: z.string().min(1).max(128),
  reviewer: z.string().min(3).max(320),
  exp: z.iso.datetime(),
  sid: z.string().min(16).max(64).optional(),
});

const ownerSchema = z.object({
  v: z.literal(1),
  role: z.literal('owner'),
  owner: z.string().min(3).max(320),
  campaign: z.string().min(1).max(128).optional(),
  exp: z.iso.datetime(),
  sid: z.string().min(16).max(64).optional(),
});

/** Keys shorter than this are refused: a guessable key grants every reviewer's access. */
export const MIN_KEY_BYTES = 32;

function mac(key: Uint8Array, purpose: string, payload: string): Buffer {
  if (key.byteLength < MIN_KEY_BYTES)
    throw new RangeError(`review link key: at least ${MIN_KEY_BYTES} bytes`);
  return createHmac('sha256', key).update(`accessproof-review.${purpose}.${payload}`).digest();
}

function sign(key: Uint8Array, purpose: Purpose, body: Record<string, unknown>): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, ...body }), 'utf8').toString('base64url');
  return `${payload}.${mac(key, purpose, payload).toString('base64url')}`;
}

function open<S extends z.ZodType<{ exp: string }>>(
  key: Uint8Array,
  purpose: Purpose,
  token: string,
  now: Date,
  schema: S,
): z.output<S> | undefined {
  if (token.length > 2048) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const want = mac(key, purpose, payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return undefined;
  if (Date.parse(parsed.data.exp) <= now.getTime()) return undefined;
  return parsed.data;
}

/**
 * The token of a reviewer's link (`/l/<token>`).
 *
 * @example
 * const token = signLink(key, { campaign: 'rev-20261002-q4', reviewer: 'a@example.com', exp: '2027-01-07T00:00:00.000Z' });
 */
export function signLink(key: Uint8Array, grant: ReviewerGrant): string {
  return sign(key, 'link', { campaign: grant.campaign, reviewer: grant.reviewer, exp: grant.exp });
}

/** The grant of a valid, unexpired link token; undefined for anything else (forged, expired, a session). */
export function openLink(key: Uint8Array, token: string, now: Date): ReviewerGrant | undefined {
  const g = open(key, 'link', token, now, grantSchema);
  return g && g.sid === undefined ? { campaign: g.campaign, reviewer: g.reviewer, exp: g.exp } : undefined;
}

export function signSession(key: Uint8Array, session: SessionGrant): string {
  return sign(key, 'session', { ...session });
}

/** The session of a valid, unexpired cookie value; undefined otherwise. */
export function openSession(key: Uint8Array, token: string, now: Date): SessionGrant | undefined {
  const g = open(key, 'session', token, now, grantSchema);
  return g?.sid !== undefined
    ? { campaign: g.campaign, reviewer: g.reviewer, exp: g.exp, sid: g.sid }
    : undefined;
}

/** The CSRF token of a session: an HMAC of its id, so it needs no server-side storage. */
export function csrfToken(key: Uint8Array, session: SessionGrant): string {
  return mac(key, 'csrf', session.sid).toString('base64url');
}

export function csrfValid(key: Uint8Array, session: SessionGrant, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(csrfToken(key, session), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The token of a campaign owner's link (`/o/<token>`).
 *
 * @example
 * const token = signOwnerLink(key, { owner: 'controller@example.com', campaign: 'rev-20261002-q4', exp: '2026-10-16T00:00:00.000Z' });
 */
export function signOwnerLink(key: Uint8Array, grant: OwnerGrant): string {
  return sign(key, 'owner', {
    role: 'owner',
    owner: grant.owner,
    ...(grant.campaign !== undefined ? { campaign: grant.campaign } : {}),
    exp: grant.exp,
  });
}

/** The grant of a valid, unexpired owner link; undefined for anything else (a reviewer's link, a session). */
export function openOwnerLink(key: Uint8Array, token: string, now: Date): OwnerGrant | undefined {
  const g = open(key, 'owner', token, now, ownerSchema);
  if (!g || g.sid !== undefined) return undefined;
  return { owner: g.owner, exp: g.exp, ...(g.campaign !== undefined ? { campaign: g.campaign } : {}) };
}

export function signOwnerSession(key: Uint8Array, session: OwnerSession): string {
  return sign(key, 'owner-session', { ...session });
}

/** The owner session of a valid, unexpired cookie value; undefined otherwise (a reviewer's cookie too). */
export function openOwnerSession(key: Uint8Array, token: string, now: Date): OwnerSession | undefined {
  const g = open(key, 'owner-session', token, now, ownerSchema);
  if (g?.sid === undefined) return undefined;
  return {
    role: 'owner',
    owner: g.owner,
    exp: g.exp,
    sid: g.sid,
    ...(g.campaign !== undefined ? { campaign: g.campaign } : {}),
  };
}

/** The CSRF token of an owner session (its own MAC domain: a reviewer's token is not one). */
export function ownerCsrfToken(key: Uint8Array, session: OwnerSession): string {
  return mac(key, 'owner-csrf', session.sid).toString('base64url');
}

export function ownerCsrfValid(key: Uint8Array, session: OwnerSession, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(ownerCsrfToken(key, session), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
