/**
 * `securityHub: true` (issue 16): the notify function imports findings as this account's default
 * product, and may do nothing else in Security Hub. Off by default.
 */
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { allowedActions, functionRole, roleStatements, type Synthesized, synth } from './synth';

const inline = {
  configFile: undefined,
  config: {
    organization: 'Inline Example',
    sources: [{ id: 'entra', system: 'entra' as const, tenantId: '00000000-0000-0000-0000-000000000000' }],
  },
};

/** A CloudFormation `Fn::Join` or `Fn::Sub` of pseudo parameters, as text: `<AWS::Partition>` and so on. */
function joined(value: unknown): string {
  const v = value as { 'Fn::Join'?: [string, unknown[]]; 'Fn::Sub'?: string };
  if (v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join(sep);
  }
  const text = v['Fn::Sub'] ?? String(value);
  return text.replace(/\$\{([\w:]+)\}/g, '<$1>');
}

const envOf = (app: Synthesized, step: string) =>
  (
    Object.values(
      app.runtime.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: `accessproof-${step}` } } },
      }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
  ).Properties.Environment.Variables;

describe('Security Hub import (securityHub: true)', () => {
  let on: Synthesized;
  let off: Synthesized;
  beforeAll(() => {
    // The context flag as `cdk deploy -c securityHub=true` passes it.
    on = synth({ context: { securityHub: 'true' }, props: inline });
    off = synth({ props: inline });
  }, 300_000); // two synths: over the 60 s hook default on a busy 2-core machine

  it('lets notify call BatchImportFindings on the default product only, and BatchUpdateFindings on this hub only', () => {
    // Arrange
    const statements = roleStatements(on.runtime, functionRole(on.runtime, 'accessproof-notify')).filter(
      (s) => JSON.stringify(s.Action).includes('securityhub:'),
    );

    // Assert
    expect(
      statements.map((s) => [
        s.Effect,
        s.Action,
        joined(Array.isArray(s.Resource) ? s.Resource[0] : s.Resource),
      ]),
    ).toEqual([
      [
        'Allow',
        'securityhub:BatchImportFindings',
        'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default',
      ],
      [
        'Allow',
        'securityhub:BatchUpdateFindings',
        'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:hub/default',
      ],
    ]);
    expect(joined(envOf(on, 'notify').SECURITY_HUB_PRODUCT_ARN)).toBe(
      'arn:<AWS::Partition>:securityhub:<AWS::Region>:<AWS::AccountId>:product/<AWS::AccountId>/default',
    );
    // No other function touches Security Hub.
    for (const step of ['plan', 'collect-entra', 'scan', 'seal', 'release']) {
      expect(
        allowedActions(on.runtime, functionRole(on.runtime, `accessproof-${step}`)).join(' '),
      ).not.toContain('securityhub:');
    }
  });

  it('alarms when Security Hub refuses findings of a run (SecurityHubImportFailed ≥ 1), only when it is on', () => {
    on.runtime.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SecurityHubImportFailed',
      Namespace: 'AccessProof',
      Dimensions: [{ Name: 'service', Value: 'accessproof-notify' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(
      Object.keys(
        off.runtime.findResources('AWS::CloudWatch::Alarm', {
          Properties: { MetricName: 'SecurityHubImportFailed' },
        }),
      ),
    ).toEqual([]);
  });

  it('is off by default: no Security Hub permission and no product ARN in the environment', () => {
    expect(
      allowedActions(off.runtime, functionRole(off.runtime, 'accessproof-notify')).join(' '),
    ).not.toContain('securityhub:');
    expect(envOf(off, 'notify').SECURITY_HUB_PRODUCT_ARN).toBeUndefined();
  });

  it('adds nothing cdk-nag AwsSolutions reports', () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(on.app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(violations).toEqual([]);
  });
});
