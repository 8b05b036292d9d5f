/**
 * The snapshot header's account of what AWS access answers take into account (and what they do
 * not), so an auditor reading a pack, and every AWS-based SoD finding, knows which policy kinds
 * could still change an answer. docs/connectors/aws-iam.md, "Evaluation semantics", has the rules.
 */
import type { ControlPolicyLevel, SnapshotEvaluation } from '../../core/snapshot';

export const EVALUATED = 'evaluated';

/** The Organizations part of one account's evaluation. */
export interface OrganizationControls {
  /** `evaluated`, `exempt (management account)`, or why not (`not collected: …`). */
  scpStatus: string;
  rcpStatus: string;
  serviceControlLevels?: ControlPolicyLevel[];
  resourceControlLevels?: ControlPolicyLevel[];
}

/** Neither `files.organizationPolicies` nor live `organizationPolicies: true`: the same words in both modes. */
const NOT_CONFIGURED = 'not collected (organizationPolicies is not configured for this source)';
export const NOT_COLLECTED_FILES: OrganizationControls = {
  scpStatus: NOT_CONFIGURED,
  rcpStatus: NOT_CONFIGURED,
};
export const NOT_COLLECTED_LIVE: OrganizationControls = NOT_COLLECTED_FILES;

/**
 * @example
 * awsEvaluation(NOT_COLLECTED_FILES).policies['trust policies']; // 'evaluated (conditions are not)'
 */
export function awsEvaluation(org: OrganizationControls): SnapshotEvaluation {
  const out: SnapshotEvaluation = {
    policies: {
      'identity policies': EVALUATED,
      'policy variables': 'evaluated (variables that depend on the request are not)',
      'permissions boundaries': EVALUATED,
      SCPs: org.scpStatus,
      RCPs: org.rcpStatus,
      'trust policies': 'evaluated (conditions are not)',
      'resource-based policies': 'not evaluated (bucket, key, secret and queue policies are not collected)',
      'session policies': 'not evaluated (they exist only per session)',
      conditions: 'not evaluated (an Allow with a Condition counts as allowing, a Deny does not count)',
    },
  };
  if (org.serviceControlLevels && org.serviceControlLevels.length > 0) {
    out.serviceControlLevels = org.serviceControlLevels;
  }
  if (org.resourceControlLevels && org.resourceControlLevels.length > 0) {
    out.resourceControlLevels = org.resourceControlLevels;
  }
  return out;
}
