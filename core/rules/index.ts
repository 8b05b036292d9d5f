/**
 * Runs every rule of docs/rules.md over an inventory. Only `active` principals are evaluated.
 * Each rule lives in its own file named after its id; this module only composes them.
 */
import type { FindingDraft, RuleId } from '../findings/model';
import type { Inventory } from '../inventory';
import { awsConsoleNoMfa } from './aws-console-no-mfa';
import { awsRootAccessKey } from './aws-root-access-key';
import { awsRootNoMfa } from './aws-root-no-mfa';
import { awsRootRecentUse } from './aws-root-recent-use';
import { createRuleContext, isAccountRoot, type PrincipalRule, type RuleOptions } from './context';
import { credStale } from './cred-stale';
import { credUnused } from './cred-unused';
import { identityAmbiguous } from './identity-ambiguous';
import { nhiCredExpired } from './nhi-cred-expired';
import { nhiCredStale } from './nhi-cred-stale';
import { nhiCredUnused } from './nhi-cred-unused';
import { nhiDormant } from './nhi-dormant';
import { nhiNeverUsed } from './nhi-never-used';
import { nhiNoOwner } from './nhi-no-owner';
import { nhiOrphaned } from './nhi-orphaned';
import { nhiPrivileged } from './nhi-privileged';
import { sodConflict } from './sod-conflict';
import { userActiveAfterTermination } from './user-active-after-termination';
import { userDormant } from './user-dormant';
import { userNeverUsed } from './user-never-used';
import { userNoHrRecord } from './user-no-hr-record';
import { userPrivileged } from './user-privileged';
import { userPrivilegedNoMfa } from './user-privileged-no-mfa';
import { userTerminatedAccess } from './user-terminated-access';

export { createRuleContext, type RuleContext, type RuleOptions } from './context';

/** The per-principal rules, in report order. */
export const PRINCIPAL_RULES: readonly { id: RuleId; evaluate: PrincipalRule }[] = [
  { id: 'NHI-DORMANT', evaluate: nhiDormant },
  { id: 'NHI-NEVER-USED', evaluate: nhiNeverUsed },
  { id: 'NHI-CRED-UNUSED', evaluate: nhiCredUnused },
  { id: 'NHI-CRED-STALE', evaluate: nhiCredStale },
  { id: 'NHI-CRED-EXPIRED', evaluate: nhiCredExpired },
  { id: 'NHI-NO-OWNER', evaluate: nhiNoOwner },
  { id: 'NHI-ORPHANED', evaluate: nhiOrphaned },
  { id: 'NHI-PRIVILEGED', evaluate: nhiPrivileged },
  { id: 'USER-DORMANT', evaluate: userDormant },
  { id: 'USER-NEVER-USED', evaluate: userNeverUsed },
  { id: 'CRED-UNUSED', evaluate: credUnused },
  { id: 'CRED-STALE', evaluate: credStale },
  { id: 'USER-TERMINATED-ACCESS', evaluate: userTerminatedAccess },
  { id: 'USER-ACTIVE-AFTER-TERMINATION', evaluate: userActiveAfterTermination },
  { id: 'USER-NO-HR-RECORD', evaluate: userNoHrRecord },
  { id: 'USER-PRIVILEGED', evaluate: userPrivileged },
  { id: 'USER-PRIVILEGED-NO-MFA', evaluate: userPrivilegedNoMfa },
  { id: 'AWS-CONSOLE-NO-MFA', evaluate: awsConsoleNoMfa },
];

/** The rules for an AWS account's root user, which is neither a person's account nor a workload. */
export const ROOT_RULES: readonly { id: RuleId; evaluate: PrincipalRule }[] = [
  { id: 'AWS-ROOT-ACCESS-KEY', evaluate: awsRootAccessKey },
  { id: 'AWS-ROOT-RECENT-USE', evaluate: awsRootRecentUse },
  { id: 'AWS-ROOT-NO-MFA', evaluate: awsRootNoMfa },
];

/** Sort order of drafts: rule id, then key. Code-unit comparison, so no locale can change it. */
export function compareDrafts(a: FindingDraft, b: FindingDraft): number {
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  const ka = a.key ?? '';
  const kb = b.key ?? '';
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Every finding draft for the inventory as of `options.asOf`, sorted by rule then key.
 *
 * @example
 * const drafts = evaluateRules(inventory, {
 *   asOf: new Date('2026-10-01T00:00:00Z'),
 *   policy: config.policy,
 *   sod: compiled,
 *   financiallySignificant: (id) => significant.has(id),
 * });
 */
export function evaluateRules(inv: Inventory, options: RuleOptions): FindingDraft[] {
  const ctx = createRuleContext(inv, options);
  const drafts: FindingDraft[] = [];
  for (const principal of inv.principals.values()) {
    if (principal.status !== 'active') continue;
    for (const rule of isAccountRoot(principal) ? ROOT_RULES : PRINCIPAL_RULES) {
      for (const draft of rule.evaluate(principal, ctx)) drafts.push(draft);
    }
  }
  for (const draft of identityAmbiguous(inv, ctx)) drafts.push(draft);
  for (const draft of sodConflict(inv, ctx)) drafts.push(draft);
  return drafts.sort(compareDrafts);
}
