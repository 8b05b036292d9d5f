import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AccessProof, type AccessProofProps } from '../../infra/lib/access-proof';

const org = { id: 'aws-org', system: 'aws' as const, organization: true };
const build = (props: Partial<AccessProofProps>) =>
  new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
    externalId: 'ap-ext-1-0123456789',
    notificationEmail: 'ops@example.com',
    organization: 'Ex',
    sources: [org],
    ...props,
  });

describe('AccessProof construct props', () => {
  it('creates the stateful, runtime and member stacks with the prefix', () => {
    // Act
    const ap = build({ stackNamePrefix: 'Audit' });

    // Assert
    expect([ap.stateful.stackName, ap.runtime.stackName, ap.member?.stackName]).toEqual([
      'Audit-Stateful',
      'Audit-Runtime',
      'Audit-Member',
    ]);
    expect(ap.runtime.dependencies).toContain(ap.stateful);
    expect(build({ memberStack: false }).member).toBeUndefined();
  });

  it('refuses a source whose member role name the deployment does not grant', () => {
    // Act / Assert
    expect(() => build({ sources: [{ ...org, memberRoleName: 'OtherReader' }] })).toThrow(
      /source "aws-org" uses memberRoleName "OtherReader" but the deployment grants "AccessProofReader"/,
    );
  });

  it('refuses an unusable ExternalId, schedule or config choice', () => {
    // Act / Assert
    expect(() => build({ externalId: 'x' })).toThrow(/externalId must be 16-1224 characters/);
    expect(() => build({ externalId: 'fifteen-chars-x' })).toThrow(/externalId must be 16-1224 characters/);
    expect(() => build({ externalId: 'has space' })).toThrow(/externalId/);
    expect(() => build({ schedule: { expression: '0 2 * * *' } })).toThrow(/cron\(…\), rate\(…\) or at\(…\)/);
    expect(() => build({ configFile: 'infra/config/accessproof.example.yaml' })).toThrow(/exactly one of/);
    expect(() => build({ retentionDays: 0 })).toThrow(/retentionDays must be a positive whole number/);
  });

  it('stops when the alarms would reach nobody: notificationEmail or an alarm topic is required', () => {
    // Act / Assert
    expect(() => build({ notificationEmail: undefined })).toThrow(
      /alarms need someone to reach: set notificationEmail .* or alarmTopic/,
    );
    expect(
      build({ notificationEmail: undefined, alarmTopicArn: 'arn:aws:sns:eu-west-1:111122223333:oncall' })
        .runtime.alarmTopics,
    ).toHaveLength(2);
  });

  it('applies retention days to the bucket lock and the writer together', () => {
    // Act
    const ap = build({ retentionDays: 3650 });

    // Assert
    expect(ap.stateful.retentionDays).toBe(3650);
  });
});
