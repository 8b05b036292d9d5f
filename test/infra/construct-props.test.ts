/**
 * A construct that composes (issue 15, item 7): per-step Lambda settings that feed the synth-time
 * budgets, a permissions boundary on every role of every stack, and tags on every resource.
 */
import { App, Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessProof } from '../../infra/lib/access-proof';
import { type Synthesized, synth } from './synth';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let app: Synthesized;
const resourcesOf = (t: Template) => t.toJSON().Resources as Resources;

beforeAll(() => {
  // Arrange / Act (shared): the default app with the composition props set.
  app = synth({
    props: {
      permissionsBoundary: 'AccessProofBoundary',
      tags: { CostCenter: 'sec-42' },
      stepSettings: {
        scan: { timeout: Duration.minutes(10), memorySize: 6144, reservedConcurrency: 1 },
        'collect-aws': { timeout: Duration.minutes(10) },
        'collect-entra': { timeout: Duration.minutes(10) },
        'collect-salesforce': { timeout: Duration.minutes(10) },
      },
    },
  });
});

describe('AccessProof construct: composition props', () => {
  it('applies the permissions boundary to every role of every stack, resolved in its own account', () => {
    for (const [name, template] of Object.entries({
      stateful: app.stateful,
      runtime: app.runtime,
      member: app.member,
    })) {
      // Arrange
      const roles = Object.entries(resourcesOf(template)).filter(([, r]) => r.Type === 'AWS::IAM::Role');

      // Assert
      expect(roles.length, name).toBeGreaterThan(0);
      for (const [id, role] of roles)
        expect({ name, id, boundary: JSON.stringify(role.Properties.PermissionsBoundary) }).toEqual({
          name,
          id,
          boundary: expect.stringMatching(/\{"Ref":"AWS::AccountId"\},":policy\/AccessProofBoundary"/),
        });
    }
  });

  it('tags every taggable resource', () => {
    // Arrange
    const tagged = Object.entries(resourcesOf(app.stateful)).filter(([, r]) =>
      ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::IAM::Role'].includes(r.Type),
    );

    // Assert
    expect(tagged.length).toBeGreaterThan(5);
    for (const [id, r] of tagged)
      expect({ id, tags: r.Properties.Tags }).toEqual({
        id,
        tags: expect.arrayContaining([{ Key: 'CostCenter', Value: 'sec-42' }]),
      });
  });

  it('gives a step the timeout, memory and reserved concurrency asked for, and derives the run budgets from them', () => {
    // Arrange
    const fnOf = (service: string) =>
      Object.values(resourcesOf(app.runtime)).find(
        (r) =>
          r.Type === 'AWS::Lambda::Function' &&
          (r.Properties.Environment as { Variables: Record<string, unknown> }).Variables
            .POWERTOOLS_SERVICE_NAME === service,
      )!.Properties;

    // Assert
    expect(fnOf('accessproof-scan')).toMatchObject({
      Timeout: 600,
      MemorySize: 6144,
      ReservedConcurrentExecutions: 1,
    });
    expect(fnOf('accessproof-seal')).toMatchObject({ Timeout: 900, MemorySize: 2048 });
    // Shorter collect calls: more resumes fit the collect window than at 15 minutes.
    const budget = app.accessProof.runtime.runBudget;
    expect(budget.collectBudgetMs).toBe((budget.maxResumes + 1) * 10 * 60_000);
    expect(budget.maxResumes).toBeGreaterThan(82);
  });

  it('refuses an unknown step or a value Lambda would refuse, naming the step', () => {
    // Arrange
    const build = (stepSettings: object) => () =>
      new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
        externalId: 'ap-ext-1-0123456789',
        notificationEmail: 'ops@example.com',
        organization: 'Ex',
        sources: [{ id: 'aws-org', system: 'aws', organization: true }],
        stepSettings,
      });

    // Act / Assert
    expect(build({ scan: { timeout: Duration.minutes(16) } })).toThrow(
      /stepSettings.scan.timeout must be 1 s to 15 min, got 960 s/,
    );
    expect(build({ seal: { memorySize: 64 } })).toThrow(/stepSettings.seal.memorySize must be 128-10240 MB/);
    expect(build({ sael: {} })).toThrow(/stepSettings: unknown step "sael"/);
  });
});
