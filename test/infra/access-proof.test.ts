import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { AccessProof, type AccessProofProps } from '../../infra/lib/access-proof';

const org = { id: 'aws-org', system: 'aws' as const, organization: true };
const build = (props: Partial<AccessProofProps>) =>
  new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
    externalId: 'ap-ext-1',
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
    expect(() => build({ externalId: 'x' })).toThrow(/externalId must be 2-1224 characters/);
    expect(() => build({ externalId: 'has space' })).toThrow(/externalId/);
    expect(() => build({ schedule: { expression: '0 2 * * *' } })).toThrow(/cron\(…\), rate\(…\) or at\(…\)/);
    expect(() => build({ configFile: 'infra/config/accessproof.example.yaml' })).toThrow(/exactly one of/);
    expect(() => build({ retentionDays: 0 })).toThrow(/retentionDays must be a positive whole number/);
  });

  it('applies retention days to the bucket lock and the writer together', () => {
    // Act
    const ap = build({ retentionDays: 3650 });

    // Assert
    expect(ap.stateful.retentionDays).toBe(3650);
  });
});
