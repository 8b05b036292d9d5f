import { describe, expect, it } from 'vitest';
import type { RuleId } from '../../../../core/findings/model';
import { ruleInfo } from '../../../../core/rules/catalog';
import { makePolicyConfig } from '../../../support/factories';

/** The rules issue 12 added (the others are described by the issues that added them). */
const ISSUE_12: readonly RuleId[] = [
  'USER-TERMINATED-ACCESS',
  'USER-ACTIVE-AFTER-TERMINATION',
  'USER-NO-HR-RECORD',
  'USER-PRIVILEGED',
  'USER-PRIVILEGED-NO-MFA',
  'USER-NEVER-USED',
  'CRED-UNUSED',
  'CRED-STALE',
  'AWS-ROOT-ACCESS-KEY',
  'AWS-ROOT-RECENT-USE',
  'AWS-ROOT-NO-MFA',
  'AWS-CONSOLE-NO-MFA',
  'IDENTITY-AMBIGUOUS',
];

describe('rule catalog', () => {
  it('describes the issue 12 rules (no "see docs/rules.md" placeholder), with severity and remediation', () => {
    for (const id of ISSUE_12) {
      const info = ruleInfo(id);
      expect(info.description, id).not.toMatch(/see docs\/rules\.md/);
      expect(info.severity, id).not.toMatch(/see docs\/rules\.md/);
      expect(info.remediation.length, id).toBeGreaterThan(20);
    }
  });

  it("shows the thresholds the issue 12 rules read, with the policy's values", () => {
    const policy = makePolicyConfig({ leaverGraceDays: 2, rootUseDays: 14 });
    expect(ruleInfo('USER-TERMINATED-ACCESS').thresholds(policy)).toEqual(['leaverGraceDays=2']);
    expect(ruleInfo('AWS-ROOT-RECENT-USE').thresholds(policy)).toEqual(['rootUseDays=14']);
    expect(ruleInfo('USER-NO-HR-RECORD').thresholds(policy)).toEqual(['unmatchedHumans=financial']);
  });
});
