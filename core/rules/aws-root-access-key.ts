/** Control: the AWS root user has no access keys. */
import type { FindingDraft } from '../findings/model';
import type { Principal } from '../model';
import { credentialLabel, isAccountRoot, label, principalDraft, type RuleContext } from './context';

/**
 * AWS-ROOT-ACCESS-KEY: per active access key of an account's root user (credential report row
 * `<root_account>`, `access_key_N_active`). `critical`: a root key cannot be limited by any policy.
 * Key: `<uid>|<key slot>`.
 *
 * @example
 * awsRootAccessKey(rootPrincipal, ctx); // one draft per active root key
 */
export function awsRootAccessKey(p: Principal, ctx: RuleContext): FindingDraft[] {
  if (p.status !== 'active' || !isAccountRoot(p)) return [];
  return p.credentials
    .filter((c) => c.type === 'access-key' && c.active)
    .map((c) =>
      principalDraft('AWS-ROOT-ACCESS-KEY', p, ctx, {
        severity: 'critical',
        title: `Active root access key in AWS account ${p.tenant} (${label(p)})`,
        key: `${p.uid}|${c.id}`,
        detail: {
          account: p.tenant,
          credentialId: c.id,
          createdAt: c.createdAt ?? null,
          lastUsedAt: c.lastUsedAt ?? null,
        },
        evidence: [
          {
            kind: 'credential',
            principal: p.uid,
            signal: `credential-report:${c.id}_active`,
            ...(c.createdAt ? { at: c.createdAt } : {}),
            text: `the credential report's <root_account> row lists ${credentialLabel(c)} as active${c.lastUsedAt ? `, last used ${c.lastUsedAt}` : ''}`,
          },
        ],
      }),
    );
}
