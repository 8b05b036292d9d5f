/**
 * What each rule tests, how severe it is, which policy thresholds it reads and what an owner does
 * about a finding: `accessproof rules list`, OCSF `remediation` and Security Hub `Remediation` all
 * read it. A `Record` over RULE_IDS, so a new rule id does not compile until it is described here.
 */
import type { Policy } from '../config';
import type { RuleId } from '../findings/model';

export interface RuleInfo {
  id: RuleId;
  /** The control the rule tests (docs/rules.md). */
  description: string;
  /** How the rule picks its severity. */
  severity: string;
  /** The policy thresholds in force for this rule, e.g. `dormantDays=90`. */
  thresholds(policy: Policy): string[];
  /** What the owner of a finding does about it. */
  remediation: string;
}

const exposure = '`high` if the identity holds privileged access or sits in a financially significant source';

export const RULE_CATALOG: Partial<Record<RuleId, Omit<RuleInfo, 'id'>>> = {
  'NHI-DORMANT': {
    description: 'Non-human identities unused for more than dormantDays are disabled or removed.',
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`dormantDays=${p.dormantDays}`],
    remediation:
      'Confirm with the owner that the identity is no longer needed, then disable it and remove its credentials and grants; if it is needed, record why and who uses it.',
  },
  'NHI-NEVER-USED': {
    description: 'A non-human identity never used within the grace period after creation is removed.',
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`neverUsedGraceDays=${p.neverUsedGraceDays}`],
    remediation: 'Remove the identity and its grants, or have its owner state what will use it and when.',
  },
  'NHI-CRED-UNUSED': {
    description: 'Credentials never used within the grace period are revoked.',
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`neverUsedGraceDays=${p.neverUsedGraceDays}`],
    remediation: 'Revoke the unused credential; issue a new one only when a workload needs it.',
  },
  'NHI-CRED-STALE': {
    description: 'Credentials are rotated at least every credentialMaxAgeDays.',
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`credentialMaxAgeDays=${p.credentialMaxAgeDays}`],
    remediation:
      'Rotate the credential (create a new one, move the workload to it, revoke the old one) or replace it with a short-lived federated credential.',
  },
  'NHI-CRED-EXPIRED': {
    description: 'Expired credentials are removed, not left in place.',
    severity: 'low',
    thresholds: () => [],
    remediation: 'Delete the expired credential from the identity.',
  },
  'NHI-NO-OWNER': {
    description: 'Every non-human identity has an accountable owner.',
    severity: 'medium if exposed, else low',
    thresholds: () => [],
    remediation: 'Assign an owner who answers for the identity, or remove the identity.',
  },
  'NHI-ORPHANED': {
    description: 'A non-human identity whose owners have all left is re-assigned or removed.',
    severity: `${exposure}, else medium`,
    thresholds: () => [],
    remediation: 'Assign an active owner, or disable the identity and remove its grants.',
  },
  'NHI-PRIVILEGED': {
    description:
      'Privileged access of non-human identities to financially significant systems is known and justified.',
    severity: 'medium',
    thresholds: () => [],
    remediation:
      'Have the owner justify the privileged access (record an exception with a compensating control) or reduce it to what the workload needs.',
  },
  'USER-DORMANT': {
    description: "A person's account unused for more than dormantDays is disabled or removed.",
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`dormantDays=${p.dormantDays}`],
    remediation: "Disable the account; confirm with the person's manager before re-enabling it.",
  },
  'SOD-CONFLICT': {
    description: 'No identity holds two functions a risk separates.',
    severity: "the risk's severity in the ruleset",
    thresholds: (p) => (p.sodRules.length ? [`sodRules=${p.sodRules.join(',')}`] : []),
    remediation:
      'Remove one of the conflicting grants, or accept the risk with an approver, an expiry and a compensating control (for example a review of every payment the identity releases).',
  },
  // Issue 12: leavers, people without an HR record, privileged people, root and human credentials.
  'USER-TERMINATED-ACCESS': {
    description:
      'Access of people who left is removed within leaverGraceDays of their termination date (HR, or Entra without HR).',
    severity: 'critical on a financially significant source, else high',
    thresholds: (p) => [`leaverGraceDays=${p.leaverGraceDays}`],
    remediation:
      "Disable or delete the leaver's account and remove its grants in the source system; if the person was rehired or the HR record is wrong, correct HR (or the links file).",
  },
  'USER-ACTIVE-AFTER-TERMINATION': {
    description:
      "Nobody uses company access after leaving: an account (active or disabled) used after its person's termination date.",
    severity: 'critical',
    thresholds: () => [],
    remediation:
      'Investigate the use after the termination date as a security incident (who used the account, what was done), disable the account, and rotate any credential it holds.',
  },
  'USER-NO-HR-RECORD': {
    description:
      "Every person's account on a financial system belongs to someone HR knows (judged only when every HR source was collected completely).",
    severity: 'high on a financially significant source; medium elsewhere with unmatchedHumans: all',
    thresholds: (p) => [`unmatchedHumans=${p.unmatchedHumans}`],
    remediation:
      "Link the account to its person (employee id on the account, or the HR links file), mark a shared or technical account as such (links file 'none', kinds), or remove it.",
  },
  'USER-PRIVILEGED': {
    description: 'People with privileged access are known and in review scope.',
    severity: 'medium',
    thresholds: () => [],
    remediation:
      'Confirm in the access review that the person needs the privileged access; remove it or record why it stays.',
  },
  'USER-PRIVILEGED-NO-MFA': {
    description:
      'Privileged people sign in with MFA (the AWS credential report or the Entra MFA registration report says it is off).',
    severity: 'high',
    thresholds: () => [],
    remediation:
      'Have the person register MFA (and enforce it by policy), or remove the privileged access until they do.',
  },
  'USER-NEVER-USED': {
    description: "A person's account never used after the grace period is removed.",
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`neverUsedGraceDays=${p.neverUsedGraceDays}`],
    remediation: 'Remove the account, or confirm with the manager that it will be used and when.',
  },
  'CRED-UNUSED': {
    description:
      "A person's password or access key that is not used is removed (each credential on its own).",
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`dormantDays=${p.dormantDays}`, `neverUsedGraceDays=${p.neverUsedGraceDays}`],
    remediation:
      'Delete the unused access key, or remove the console password of a user who does not sign in.',
  },
  'CRED-STALE': {
    description: "A person's passwords and access keys are rotated at least every credentialMaxAgeDays.",
    severity: `${exposure}, else medium`,
    thresholds: (p) => [`credentialMaxAgeDays=${p.credentialMaxAgeDays}`],
    remediation: 'Rotate the password or access key, or replace the key with short-lived federated access.',
  },
  'AWS-ROOT-ACCESS-KEY': {
    description: 'The AWS root user has no access keys.',
    severity: 'critical',
    thresholds: () => [],
    remediation: 'Delete the root access key (after moving anything that uses it to an IAM role).',
  },
  'AWS-ROOT-RECENT-USE': {
    description: 'The AWS root user is not used for daily work (no use within rootUseDays).',
    severity: 'high',
    thresholds: (p) => [`rootUseDays=${p.rootUseDays}`],
    remediation:
      'Find out who used the root user and why (CloudTrail), move that task to a role, and keep the root credentials locked away.',
  },
  'AWS-ROOT-NO-MFA': {
    description: 'The AWS root user has MFA.',
    severity: 'critical',
    thresholds: () => [],
    remediation: 'Enable MFA (a hardware or passkey device) on the root user.',
  },
  'AWS-CONSOLE-NO-MFA': {
    description: 'IAM users who can sign in to the console use MFA.',
    severity: 'high',
    thresholds: () => [],
    remediation: "Enable MFA for the user (and require it by policy), or remove the user's console password.",
  },
  'IDENTITY-AMBIGUOUS': {
    description:
      'Every account is attributed to exactly one person: an email that leads to two HR people merges nothing and is reported.',
    severity: 'medium',
    thresholds: () => [],
    remediation:
      'Fix the HR records or the accounts so the email belongs to one person, or attribute each account in the HR links file.',
  },
  'REVIEW-REVOKE-NOT-DONE': {
    description:
      'Access a reviewer decided to revoke is gone, by every path (direct, group, permission set group, role), within slaDays of the decision.',
    severity:
      'high for a privileged entitlement, else medium; due at the decision plus slaDays for that severity',
    thresholds: (p) => [`slaDays.high=${p.slaDays.high}`, `slaDays.medium=${p.slaDays.medium}`],
    remediation:
      'Remove every path the finding names (the grant reviewed and any group, permission set group or role that still gives the entitlement); the next complete scan of the source proves it done.',
  },
};

/** A rule not described here yet: say where it is described instead of inventing a text. */
const UNDESCRIBED: Omit<RuleInfo, 'id'> = {
  description: 'see docs/rules.md',
  severity: 'see docs/rules.md',
  thresholds: () => [],
  remediation: 'See docs/rules.md for what this rule tests and what resolves it.',
};

/** The rule's description, severity, thresholds and remediation. */
export function ruleInfo(id: RuleId): RuleInfo {
  return { id, ...(RULE_CATALOG[id] ?? UNDESCRIBED) };
}
