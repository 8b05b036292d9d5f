/**
 * IAM policy documents → the model's PolicyStatement (arrays everywhere, flags for what the SoD
 * engine does not evaluate).
 */
import type { PolicyStatement } from '../../core/model';
import type { PolicyDocument } from './authorization-details';

const asList = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/**
 * @example
 * toPolicyStatements({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
 * // [{ effect: 'Allow', action: ['s3:GetObject'], resource: ['*'] }]
 */
export function toPolicyStatements(doc: PolicyDocument): PolicyStatement[] {
  // Only the 2012-10-17 language has policy variables; older documents mean `${` literally.
  const variables = doc.Version === '2012-10-17';
  return doc.Statement.map((s) => {
    const out: PolicyStatement = { effect: s.Effect };
    if (s.Sid !== undefined && s.Sid !== '') out.sid = s.Sid;
    const action = asList(s.Action);
    const notAction = asList(s.NotAction);
    const resource = asList(s.Resource);
    const notResource = asList(s.NotResource);
    if (action) out.action = action;
    if (notAction) out.notAction = notAction;
    if (resource) out.resource = resource;
    if (notResource) out.notResource = notResource;
    if (s.Condition && Object.keys(s.Condition).length > 0) out.hasCondition = true;
    if (s.Principal !== undefined || s.NotPrincipal !== undefined) out.hasPrincipal = true;
    if (variables && [...(resource ?? []), ...(notResource ?? [])].some((r) => r.includes('${'))) {
      out.variables = true;
    }
    return out;
  });
}

type PrincipalElement = string | Record<string, string | string[]>;

/** `"*"` or `{"AWS": "arn…"}` → `{ '*': ['*'] }` / `{ AWS: ['arn…'] }`. */
function principalsOf(p: PrincipalElement): Record<string, string[]> {
  if (typeof p === 'string') return { '*': [p] };
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(p)) out[k] = Array.isArray(v) ? v : [v];
  return out;
}

/**
 * A role's trust policy: the statements with their Principal elements kept (the engine decides
 * who may assume the role from them).
 *
 * @example
 * toTrustStatements({ Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:user/a' }, Action: 'sts:AssumeRole' }] });
 * // [{ effect: 'Allow', action: ['sts:AssumeRole'], hasPrincipal: true, principal: { AWS: ['arn:aws:iam::1:user/a'] } }]
 */
export function toTrustStatements(doc: PolicyDocument): PolicyStatement[] {
  return toPolicyStatements(doc).map((out, i) => {
    const s = doc.Statement[i]!;
    if (s.Principal !== undefined) out.principal = principalsOf(s.Principal);
    if (s.NotPrincipal !== undefined) out.notPrincipal = principalsOf(s.NotPrincipal);
    return out;
  });
}

/**
 * An RCP's statements. RCPs name `Principal: "*"` (every caller, inside the organization or not):
 * such a statement applies to every principal, so it is evaluated like an identity statement. Any
 * other Principal (AWS requires `*` in RCPs) stays unsupported and is reported as not evaluated.
 *
 * @example
 * toControlStatements({ Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: '*' }] });
 * // [{ effect: 'Deny', action: ['s3:DeleteObject'], resource: ['*'] }]
 */
export function toControlStatements(doc: PolicyDocument): PolicyStatement[] {
  return toPolicyStatements(doc).map((out, i) => {
    const s = doc.Statement[i]!;
    const everyone =
      s.NotPrincipal === undefined &&
      (s.Principal === '*' ||
        (typeof s.Principal === 'object' &&
          s.Principal !== null &&
          Object.keys(s.Principal).length === 1 &&
          principalsOf(s.Principal).AWS?.length === 1 &&
          principalsOf(s.Principal).AWS?.[0] === '*'));
    if (everyone) delete out.hasPrincipal;
    return out;
  });
}

/** The distinct action patterns Allow statements name, in order: the entitlement's `permissions`. */
export function allowedActions(statements: readonly PolicyStatement[]): string[] {
  const seen = new Set<string>();
  for (const s of statements) if (s.effect === 'Allow') for (const a of s.action ?? []) seen.add(a);
  return [...seen];
}
