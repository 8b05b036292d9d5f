import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../../core/config';
import { policyBasisFor } from '../../../../core/rules/facts';

describe('policyBasisFor', () => {
  it('records the threshold at every level that can set it for the finding: policy, kind, source', () => {
    // Arrange
    const policy = policySchema.parse({ dormantDays: 90, byKind: { nonhuman: { dormantDays: 60 } } });
    const basis = policyBasisFor(policy, new Map(), (id) =>
      id === 'netsuite' ? { dormantDays: 30 } : undefined,
    );
    // Act
    const b = basis({
      rule: 'NHI-DORMANT',
      detail: { thresholdFrom: 'sources.netsuite.policy.dormantDays' },
      sources: ['netsuite'],
    });
    // Assert
    expect(b).toEqual({
      'policy.dormantDays': 90,
      'policy.byKind.nonhuman.dormantDays': 60,
      'sources.netsuite.policy.dormantDays': 30,
    });
  });

  it("names the threshold of rules added with issue 12 from the finding's thresholdFrom", () => {
    // Arrange
    const policy = policySchema.parse({ leaverGraceDays: 2 });
    // Act
    const b = policyBasisFor(
      policy,
      new Map(),
    )({
      rule: 'USER-TERMINATED-ACCESS',
      detail: { thresholdFrom: 'policy.leaverGraceDays' },
      sources: ['hris', 'netsuite'],
    });
    // Assert
    expect(b).toEqual({ 'policy.leaverGraceDays': 2 });
  });

  it('sees a source threshold that appears later (absent before): a policy change', () => {
    // Arrange
    const policy = policySchema.parse({});
    const f = {
      rule: 'USER-DORMANT' as const,
      detail: { thresholdFrom: 'policy.dormantDays' },
      sources: ['entra'],
    };
    // Act
    const before = policyBasisFor(policy, new Map())(f);
    const after = policyBasisFor(policy, new Map(), () => ({ dormantDays: 365 }))(f);
    // Assert
    expect(before).toEqual({ 'policy.dormantDays': 90 });
    expect(after).toEqual({ 'policy.dormantDays': 90, 'sources.entra.policy.dormantDays': 365 });
  });
});
