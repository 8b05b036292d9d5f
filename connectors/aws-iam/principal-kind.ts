/**
 * Kind heuristics for IAM principals (documented in docs/connectors/aws-iam.md). Precedence:
 * config `kinds` (by ARN or uid) > tag `accessproof:kind` > the heuristics below.
 */
import type { PrincipalKind } from '../../core/model';
import type { RoleDetail } from './authorization-details';
import type { CredentialReportRow } from './credential-report';

export interface KindDecision {
  kind: PrincipalKind;
  /** `iam-user`, `iam-role`, `service-linked-role`, `federated-role`. */
  type: string;
  /** Heuristic name, `tag:accessproof:kind` or `config:kinds`. */
  reason: string;
}

export const KIND_TAG = 'accessproof:kind';

/**
 * OIDC providers whose tokens are minted for pipelines and pods, not people: a role they are
 * trusted by is a workload identity even though it is federated.
 */
const WORKLOAD_OIDC = [
  'token.actions.githubusercontent.com',
  'oidc.eks.',
  'app.terraform.io',
  'oidc.circleci.com',
  'gitlab.com',
  'api.bitbucket.org',
];

function trustPrincipals(role: RoleDetail, key: 'Service' | 'Federated' | 'AWS'): string[] {
  const out: string[] = [];
  for (const s of role.AssumeRolePolicyDocument?.Statement ?? []) {
    if (s.Effect !== 'Allow' || s.Principal === undefined || typeof s.Principal === 'string') continue;
    const v = s.Principal[key];
    if (v !== undefined) out.push(...(Array.isArray(v) ? v : [v]));
  }
  return out;
}

/**
 * @example
 * roleKind(role); // { kind: 'nonhuman', type: 'service-linked-role', reason: 'path:/aws-service-role/' }
 */
export function roleKind(role: RoleDetail): KindDecision {
  if ((role.Path ?? '/').startsWith('/aws-service-role/')) {
    return { kind: 'nonhuman', type: 'service-linked-role', reason: 'path:/aws-service-role/' };
  }
  const federated = trustPrincipals(role, 'Federated');
  if (federated.length > 0) {
    const workload = federated.every((f) => WORKLOAD_OIDC.some((w) => f.includes(w)));
    return workload
      ? { kind: 'nonhuman', type: 'federated-role', reason: 'trust:Federated:workload-oidc' }
      : { kind: 'human', type: 'federated-role', reason: 'trust:Federated' };
  }
  if (trustPrincipals(role, 'Service').length > 0) {
    return { kind: 'nonhuman', type: 'iam-role', reason: 'trust:Service' };
  }
  // Trusted by accounts or roles only: assumed by software far more often than by people, and a
  // role has no password; people who reach it through SSO appear as federated roles.
  return { kind: 'nonhuman', type: 'iam-role', reason: 'default:role' };
}

/**
 * @param row the user's credential-report row; `reportGiven` false when there is no report at all.
 * @example
 * userKind(row, true); // { kind: 'nonhuman', type: 'iam-user', reason: 'credentials:access-key-only' }
 */
export function userKind(row: CredentialReportRow | undefined, reportGiven: boolean): KindDecision {
  const type = 'iam-user';
  if (!reportGiven) return { kind: 'nonhuman', type, reason: 'default:no-credential-report' };
  if (!row) return { kind: 'nonhuman', type, reason: 'default:not-in-credential-report' };
  const password = row.passwordEnabled === true;
  const keys = row.accessKeys.some((k) => k.active);
  if (password && keys) return { kind: 'human', type, reason: 'credentials:password-and-access-key' };
  if (password) return { kind: 'human', type, reason: 'credentials:password-only' };
  if (keys) return { kind: 'nonhuman', type, reason: 'credentials:access-key-only' };
  return { kind: 'nonhuman', type, reason: 'credentials:none' };
}

/**
 * Apply the tag, then the config override, on top of a heuristic decision. An unknown tag value is
 * reported through `warn` and ignored.
 */
export function overrideKind(
  decision: KindDecision,
  input: {
    arn: string;
    uid: string;
    tags: Readonly<Record<string, string>>;
    kinds: Readonly<Record<string, PrincipalKind>>;
    warn: (message: string) => void;
  },
): KindDecision {
  const configured = input.kinds[input.arn] ?? input.kinds[input.uid];
  if (configured) return { ...decision, kind: configured, reason: 'config:kinds' };
  for (const [key, value] of Object.entries(input.tags)) {
    if (key.toLowerCase() !== KIND_TAG) continue;
    const v = value.trim().toLowerCase();
    if (v === 'human' || v === 'nonhuman') return { ...decision, kind: v, reason: `tag:${KIND_TAG}` };
    input.warn(`${input.arn}: tag ${KIND_TAG}="${value}" is neither human nor nonhuman: ignored`);
  }
  return decision;
}
