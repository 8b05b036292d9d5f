import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { sharedSynth, synth } from './synth';

/** Every unacknowledged cdk-nag AwsSolutions finding (errors and warnings) in the app. */
const findings = (app: App) =>
  new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`),
    );

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the default app (Organization source, Distributed Map)', () => {
    // Arrange / Act
    const { app } = sharedSynth(); // the default app stateful-stack asserts on

    // Assert
    expect(findings(app)).toEqual([]);
  });

  it('finds nothing in the inline variant with Identity Center and an email subscription', () => {
    // Arrange / Act
    const { app } = synth({
      context: { identityCenter: true, notificationEmail: 'secops@example.com' },
      props: {
        configFile: undefined,
        sources: [{ id: 'entra', system: 'entra', tenantId: '00000000-0000-0000-0000-000000000000' }],
        organization: 'Inline Example',
      },
    });

    // Assert
    expect(findings(app)).toEqual([]);
  });

  it('would report an unhardened bucket (the check is live, not switched off)', () => {
    // Arrange
    const app = new App();
    new Bucket(new Stack(app, 'Probe'), 'Plain');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const reported = findings(app);

    // Assert
    expect(reported).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error AwsSolutions-S1 /),
        expect.stringMatching(/AwsSolutions-S10 /),
      ]),
    );
  });
});
