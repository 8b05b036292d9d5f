/**
 * Activity that cannot be activity: a last-login or last-use time more than a day after the run's
 * as-of (a clock set wrong, a typo, 2030). It is dropped, the principal's (or credential's)
 * activity becomes unknown — never dormant, never active — and a warning names the principal and
 * the date. A day of slack covers time zones and a collection finishing after the as-of.
 */
import type { Principal } from './model';

const DAY_MS = 86_400_000;
/** Same tags the rules read (core/rules/context.ts), repeated here so this module stays a leaf. */
const ACTIVITY_TAG = 'accessproof:activity';
const CREDENTIAL_ACTIVITY_TAG = 'accessproof:credential-activity';

/**
 * Drops activity later than `asOf` + 1 day from `p` (in place) and returns one warning per dropped time.
 *
 * @example
 * dropFutureActivity(principal, Date.parse('2026-10-01T00:00:00Z')); // ['principal … last activity 2030-01-01 …']
 */
export function dropFutureActivity(p: Principal, asOfMs: number): string[] {
  const limit = asOfMs + DAY_MS;
  // Called for every principal of a run (150k on the bench): no closure, no date text and no array
  // unless something is dropped.
  let out: string[] | undefined;
  if (p.lastActivity && isLate(p.lastActivity.at, limit)) {
    out = [
      `${p.uid} (${p.name}): last activity ${p.lastActivity.at} (${p.lastActivity.source}) is more than a day after the run's as-of ${new Date(asOfMs).toISOString()}: not counted; its activity is unknown`,
    ];
    delete p.lastActivity;
    p.tags = { ...p.tags, [ACTIVITY_TAG]: 'unknown' };
  }
  for (const c of p.credentials) {
    if (!isLate(c.lastUsedAt, limit)) continue;
    out ??= [];
    out.push(
      `${p.uid} (${p.name}): credential ${c.id} last used ${c.lastUsedAt}, more than a day after the run's as-of ${new Date(asOfMs).toISOString()}: not counted; its use is unknown`,
    );
    delete c.lastUsedAt;
    p.tags = { ...p.tags, [CREDENTIAL_ACTIVITY_TAG]: 'unknown' };
  }
  return out ?? [];
}

/** A valid time after `limit` (UTC ms); absent or unparseable is not late. */
function isLate(iso: string | undefined, limit: number): boolean {
  if (iso === undefined) return false;
  const t = Date.parse(iso);
  return !Number.isNaN(t) && t > limit;
}
