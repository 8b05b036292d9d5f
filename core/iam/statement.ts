/**
 * IAM identity-policy statement matching for SoD `action` / `resource` matchers.
 *
 * Both sides are patterns: a rule asks about `s3:Put*` on `arn:aws:s3:::payment-files*\/*`, a policy
 * allows `s3:*` on `*`. An Allow statement gives "parts": the pairs (rule action ∩ statement action,
 * rule resource ∩ statement resource) it allows. A Deny statement removes a part when it covers the
 * part's action and its resource. A principal holds the function when some part of some Allow it
 * reaches survives every Deny it reaches (Deny beats Allow across policies, as in IAM).
 *
 * Conditions are not evaluated. To never miss a conflict, an Allow with a Condition is assumed to
 * apply and a Deny with a Condition is assumed not to; the finding's evidence says so. Statements
 * with `Principal`/`NotPrincipal` (resource policies) are skipped and reported as unsupported.
 */
import { globCovers, globsIntersect } from '../glob';
import type { PolicyStatement } from '../model';

/** What a rule asks about: action patterns (or concrete actions after expansion) and resource patterns. */
export interface IamTarget {
  /** Action patterns or concrete action names (compared case-insensitively). */
  actions: readonly string[];
  /** ARN patterns; `['*']` when the rule names no resource. */
  resources: readonly string[];
}

/** One (action, resource) region an Allow statement grants inside a target. */
export interface AllowPart {
  ruleAction: string;
  /** The statement's action pattern; absent when the statement used NotAction. */
  statementAction?: string;
  ruleResource: string;
  /** The statement's resource pattern; absent for NotResource or no Resource. */
  statementResource?: string;
  sid?: string;
  /** The statement carries a Condition, which was not evaluated. */
  conditional: boolean;
}

const ACTIONS = { caseInsensitive: true } as const;
const ARNS = { caseInsensitive: false } as const;

/** Why a statement is not evaluated, or undefined when it is. */
export function unsupportedReason(statement: PolicyStatement): string | undefined {
  if (statement.hasPrincipal) return 'statement names a Principal (resource policy): not evaluated';
  if (!statement.action && !statement.notAction) return 'statement has neither Action nor NotAction';
  return undefined;
}

interface Hit {
  rule: string;
  statement?: string;
}

function actionHits(statement: PolicyStatement, target: IamTarget): Hit[] {
  const hits: Hit[] = [];
  for (const ra of target.actions) {
    if (statement.action) {
      for (const sa of statement.action) {
        if (globsIntersect(sa, ra, ACTIONS)) hits.push({ rule: ra, statement: sa });
      }
    } else if (statement.notAction) {
      if (!statement.notAction.some((na) => globCovers(na, ra, ACTIONS))) hits.push({ rule: ra });
    }
  }
  return hits;
}

function resourceHits(statement: PolicyStatement, target: IamTarget): Hit[] {
  const hits: Hit[] = [];
  for (const rr of target.resources) {
    if (statement.resource) {
      for (const sr of statement.resource) {
        if (globsIntersect(sr, rr, ARNS)) hits.push({ rule: rr, statement: sr });
      }
    } else if (statement.notResource) {
      if (!statement.notResource.some((nr) => globCovers(nr, rr, ARNS))) hits.push({ rule: rr });
    } else {
      // No Resource element (invalid in an identity policy): read as every resource, never as none.
      hits.push({ rule: rr });
    }
  }
  return hits;
}

/**
 * The parts of `target` an Allow statement grants; empty for a Deny, an unsupported statement or
 * no overlap.
 *
 * @example
 * allowParts({ effect: 'Allow', action: ['s3:*'], resource: ['*'] }, { actions: ['s3:putobject'], resources: ['*'] });
 * // [{ ruleAction: 's3:putobject', statementAction: 's3:*', ruleResource: '*', statementResource: '*', conditional: false }]
 */
export function allowParts(statement: PolicyStatement, target: IamTarget): AllowPart[] {
  if (statement.effect !== 'Allow' || unsupportedReason(statement)) return [];
  const actions = actionHits(statement, target);
  if (actions.length === 0) return [];
  const resources = resourceHits(statement, target);
  const parts: AllowPart[] = [];
  for (const a of actions) {
    for (const r of resources) {
      const part: AllowPart = {
        ruleAction: a.rule,
        ruleResource: r.rule,
        conditional: !!statement.hasCondition,
      };
      if (a.statement !== undefined) part.statementAction = a.statement;
      if (r.statement !== undefined) part.statementResource = r.statement;
      if (statement.sid !== undefined) part.sid = statement.sid;
      parts.push(part);
    }
  }
  return parts;
}

/** A Deny that is evaluated: unconditional and supported. */
function isEffectiveDeny(statement: PolicyStatement): boolean {
  return statement.effect === 'Deny' && !statement.hasCondition && !unsupportedReason(statement);
}

/** True when a Deny statement might remove some part of `target` (cheap pre-filter). */
export function denyTouches(statement: PolicyStatement, target: IamTarget): boolean {
  if (!isEffectiveDeny(statement)) return false;
  if (actionHits(statement, target).length === 0) return false;
  return resourceHits(statement, target).length > 0;
}

/**
 * True when the Deny statement removes the whole part. The part is the intersection of a rule
 * pattern and a statement pattern, so covering either one covers it.
 */
export function denyCovers(statement: PolicyStatement, part: AllowPart): boolean {
  if (!isEffectiveDeny(statement)) return false;
  return (
    covers(statement.action, statement.notAction, part.ruleAction, part.statementAction, ACTIONS) &&
    covers(statement.resource, statement.notResource, part.ruleResource, part.statementResource, ARNS)
  );
}

function covers(
  positive: readonly string[] | undefined,
  negative: readonly string[] | undefined,
  rulePattern: string,
  statementPattern: string | undefined,
  options: { caseInsensitive: boolean },
): boolean {
  const candidates = statementPattern === undefined ? [rulePattern] : [rulePattern, statementPattern];
  if (positive) return positive.some((d) => candidates.some((c) => globCovers(d, c, options)));
  // NotX: the Deny covers a region none of whose strings the exclusions can match.
  if (negative) return candidates.some((c) => !negative.some((n) => globsIntersect(n, c, options)));
  return true;
}
