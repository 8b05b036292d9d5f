import { describe, expect, it } from 'vitest';
import { type SourceConfig, sourceSchema } from '../../../core/config';
import { withRulesetObjects } from '../../../core/ruleset-objects';
import { compileRulesets, parseRuleset } from '../../../core/sod';

const RULESET = `version: 1
functions:
  - id: CREDIT
    name: Change credit limits
    grants:
      - system: salesforce
        objectPermission: { object: Credit_Limit__c, actions: [edit] }
      - system: salesforce
        objectPermission: { object: Account, actions: [edit] }
  - id: PAY
    name: Release payments
    grants:
      - system: erp
        entitlement: ["AP Payment*"]
risks:
  - id: R1
    title: Credit and payments
    functions: [CREDIT, PAY]
    severity: high
`;

const sources: SourceConfig[] = [
  sourceSchema.parse({ id: 'sfdc', system: 'salesforce', objects: ['Opportunity', 'Account'] }),
  sourceSchema.parse({ id: 'entra', system: 'entra', tenantId: '00000000-0000-0000-0000-000000000000' }),
];

describe('withRulesetObjects', () => {
  it("adds the rulesets' Salesforce objects to every Salesforce source, sorted and once", () => {
    // Arrange
    const ruleset = parseRuleset(RULESET, 'rules.yaml');

    // Act
    const planned = withRulesetObjects(sources, [ruleset]);

    // Assert
    expect(planned[0]).toMatchObject({ objects: ['Account', 'Credit_Limit__c', 'Opportunity'] });
    expect(planned[1]).toBe(sources[1]);
  });

  it('reads compiled rulesets the same way (the CLI passes its compiled ruleset)', () => {
    // Act
    const planned = withRulesetObjects(sources, [compileRulesets([parseRuleset(RULESET, 'rules.yaml')])]);

    // Assert
    expect(planned[0]).toMatchObject({ objects: ['Account', 'Credit_Limit__c', 'Opportunity'] });
  });

  it('leaves the sources as they are when no ruleset names an object', () => {
    // Act
    const planned = withRulesetObjects(sources, []);

    // Assert
    expect(planned).toEqual(sources);
    expect(planned[0]).toBe(sources[0]);
  });
});
