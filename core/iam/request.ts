/**
 * One concrete request (an action on one resource ARN) decided over one principal's policies the
 * way AWS's policy evaluation logic does: an explicit Deny anywhere wins; otherwise the identity
 * policies must allow (unless a resource-based policy already does) and every bound (permissions
 * boundary, each SCP level) must allow. Conditions are not evaluated: an Allow with one counts as
 * allowing (and the answer says it was conditional), a Deny with one does not count.
 */
import type { PolicyStatement } from '../model';
import { allowParts, denyTouches, type IamTarget } from './statement';
import { literalResource } from './variables';

export interface RequestPolicies {
  /** Statements of the identity policies (variables already substituted). */
  identity: readonly PolicyStatement[];
  /** The permissions boundary's statements, when there is one. */
  boundary?: readonly PolicyStatement[];
  /** Each SCP level's statements; each level must allow. */
  scpLevels: readonly (readonly PolicyStatement[])[];
}

export interface RequestDecision {
  allowed: boolean;
  /** Some Allow it rests on has a Condition that was not evaluated. */
  conditional: boolean;
  /** `explicit deny`, `no identity policy allows`, `bound … does not allow`. */
  reason?: string;
}

function target(action: string, resource: string): IamTarget {
  return { actions: [action], resources: [literalResource(resource)] };
}

/** Some Allow of `statements` gives the request; `conditional` when all that do carry a Condition. */
function allows(statements: readonly PolicyStatement[], t: IamTarget): { ok: boolean; conditional: boolean } {
  let conditional: boolean | undefined;
  for (const s of statements) {
    if (allowParts(s, t).length === 0) continue;
    if (!s.hasCondition) return { ok: true, conditional: false };
    conditional = true;
  }
  return { ok: conditional === true, conditional: conditional === true };
}

/**
 * `resourceControls`: the statements of the RCPs of the resource's account (their Denies apply).
 * `identityNotNeeded`: a resource-based policy (a trust policy naming the caller's ARN in its own
 * account) already allows, so the identity policies and the boundary need not.
 *
 * @example
 * decideRequest({ identity: [{ effect: 'Allow', action: ['sts:AssumeRole'], resource: ['*'] }], scpLevels: [] }, 'sts:AssumeRole', roleArn);
 * // { allowed: true, conditional: false }
 */
export function decideRequest(
  policies: RequestPolicies,
  action: string,
  resource: string,
  options: { identityNotNeeded?: boolean; resourceControls?: readonly PolicyStatement[] } = {},
): RequestDecision {
  const t = target(action, resource);
  // RCPs of the resource's account: Deny-only (RCPFullAWSAccess allows everything at every level).
  const all = [
    policies.identity,
    policies.boundary ?? [],
    ...policies.scpLevels,
    options.resourceControls ?? [],
  ];
  for (const list of all) {
    if (list.some((s) => denyTouches(s, t)))
      return { allowed: false, conditional: false, reason: 'explicit deny' };
  }
  let conditional = false;
  // A resource-based policy naming the caller replaces the identity policies, and with them the
  // boundary that only limits what they allow.
  const needed = options.identityNotNeeded
    ? policies.scpLevels
    : [policies.identity, ...(policies.boundary ? [policies.boundary] : []), ...policies.scpLevels];
  for (const [i, list] of needed.entries()) {
    const a = allows(list, t);
    if (!a.ok) {
      const what =
        i === 0 && !options.identityNotNeeded
          ? 'no identity policy allows it'
          : 'a boundary or SCP does not allow it';
      return { allowed: false, conditional: false, reason: what };
    }
    conditional ||= a.conditional;
  }
  return { allowed: true, conditional };
}
