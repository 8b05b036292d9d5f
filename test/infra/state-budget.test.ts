/**
 * Bounded state (issue 15): the config and rulesets are staged in S3 by the deployment and only a
 * reference (location + SHA-256) rides in the state machine; a synth-time check refuses any
 * deployment whose state can pass 200 KB, with the reason. Measured with the project's 300-risk
 * benchmark ruleset and a source with 5,000 warnings.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateEnterprise, TINY } from '../../bench/generate';
import { toSourceResult } from '../../core/run/collect';
import { AccessProof, type AccessProofProps } from '../../infra/lib/access-proof';
import { checkStateBudget, MAX_CAUSE_CHARS, STATE_LIMIT_BYTES } from '../../infra/lib/state-budget';
import { tempDir } from '../e2e/cli-helpers';
import { functionRole, roleStatements, type Synthesized, stateMachineDefinition, synth } from './synth';

const sources = [
  { id: 'entra', system: 'entra' as const, tenantId: '00000000-0000-0000-0000-000000000000' },
  { id: 'sfdc', system: 'salesforce' as const },
];
let rulesetFile: string;
let rulesetText: string;
let app: Synthesized;
let runtime: Template;

beforeAll(async () => {
  // Arrange (shared): the 300-risk benchmark ruleset, deployed with two live sources.
  const dir = tempDir('accessproof-bench-');
  await generateEnterprise(TINY, dir);
  rulesetFile = join(dir, 'bench-ruleset.yaml');
  rulesetText = readFileSync(rulesetFile, 'utf8');
  app = synth({
    props: {
      configFile: undefined,
      config: { organization: 'Bench', sources, policy: { sodRules: [rulesetFile] } },
    },
  });
  runtime = app.runtime;
}, 120_000);

/** A SourceResult of a source that reported 5,000 warnings naming every affected user. */
function sourceWith5000Warnings(id: string) {
  const names = Array.from({ length: 400 }, (_, i) => `user${i}@example.com`).join(', ');
  return toSourceResult(id, 'entra', {
    status: 'complete',
    header: {
      complete: true,
      tenant: 't',
      counts: { principals: 1, entitlements: 1, grants: 1 },
      collectedAt: '2026-10-01T00:00:00Z',
      mode: 'api',
      calls: 1,
      queries: [],
      warnings: Array.from({ length: 5_000 }, (_, i) => `warning ${i}: no activity data for ${names}`),
    },
    snapshot: { location: `s3://staging/snapshots/${id}`, sha256: 'a'.repeat(64), bytes: 1, records: 1 },
  } as unknown as Parameters<typeof toSourceResult>[2]);
}

describe('config and rulesets staged in S3, referenced by key and SHA-256', () => {
  it('the state machine carries a reference, never the 300-risk ruleset text; the staged bytes hash to it', () => {
    // Arrange
    const def = stateMachineDefinition(runtime);
    const configure = def.States.Configure?.Result as {
      runConfig: { file: string; key: string; sha256: string };
    };
    const asset = app.accessProof.runtime.node.findChild('RunConfig') as Asset;
    const staged = readFileSync(join(app.app.outdir, asset.assetPath));

    // Assert
    expect(rulesetText.match(/^ {2}- id: /gm)?.length).toBeGreaterThan(300); // functions + 300 risks
    expect(Buffer.byteLength(rulesetText)).toBeGreaterThan(40 * 1024);
    expect(Object.keys(configure.runConfig).sort()).toEqual(['bucket', 'file', 'key', 'sha256']);
    expect(Buffer.byteLength(JSON.stringify(configure))).toBeLessThan(1024);
    expect(JSON.stringify(def)).not.toContain('Bench function 1');
    expect(createHash('sha256').update(staged).digest('hex')).toBe(configure.runConfig.sha256);
    expect(configure.runConfig.key).toBe(`${asset.assetHash}.json`);
    const document = JSON.parse(staged.toString('utf8')) as { rulesets: { path: string; text: string }[] };
    expect(document.rulesets).toEqual([{ path: rulesetFile, text: rulesetText }]);
  });

  it('plan and scan may read exactly that object (nothing else of the assets bucket), and check its owner', () => {
    for (const service of ['accessproof-plan', 'accessproof-scan']) {
      // Arrange
      const read = roleStatements(runtime, functionRole(runtime, service)).find(
        (s) => s.Sid === 'ReadStagedRunConfig',
      );

      // Assert
      expect({ service, action: read?.Action }).toEqual({ service, action: 's3:GetObject' });
      expect(JSON.stringify(read?.Resource)).toMatch(/assets-.*\/[0-9a-f]{64}\.json"/);
    }
  });
});

describe('no state above 200 KB', () => {
  it('a 300-risk ruleset and a source with 5,000 warnings: the largest state, measured, is under 200 KB and under the synth estimate', () => {
    // Arrange: the largest state (ReleaseRun's input after a failed seal), from real parts.
    const def = stateMachineDefinition(runtime);
    const plan = {
      runId: '20261001T020000Z-0a1b2c3d',
      organization: 'Bench',
      startedAt: '2026-10-01T02:00:00.000Z',
      asOf: '2026-10-01T02:00:00.000Z',
      configSha256: 'c'.repeat(64),
      toolVersion: '0.1.0',
      sources,
      failed: [],
    };
    const state = {
      ...(def.States.Configure?.Result as object),
      plan,
      collected: [sourceWith5000Warnings('entra'), sourceWith5000Warnings('sfdc')],
      scan: { resultKey: `run-store/${plan.runId}/scan.json`, findings: 67_000, byRule: {} },
      failedStep: { step: 'seal', failedAtRedrive: 0 },
      failure: { Error: 'Lambda.Unknown', Cause: 'x'.repeat(MAX_CAUSE_CHARS) },
    };

    // Act
    const bytes = Buffer.byteLength(JSON.stringify(state));

    // Assert
    expect(bytes).toBeLessThan(STATE_LIMIT_BYTES);
    expect(app.accessProof.runtime.stateBudget.bytes).toBeGreaterThanOrEqual(bytes);
    expect(app.accessProof.runtime.stateBudget.bytes).toBeLessThanOrEqual(STATE_LIMIT_BYTES);
    // What the state carried before: the ruleset's text alone took a fifth of the limit.
    expect(Buffer.byteLength(JSON.stringify({ rulesets: [{ text: rulesetText }] }))).toBeGreaterThan(
      40 * 1024,
    );
  });

  it('synth stops, with the reason, when an inline Map could carry more than 200 KB of results; a Distributed Map fits', () => {
    // Arrange
    const many = Array.from({ length: 6 }, (_, i) => ({
      id: `entra-${i}`,
      system: 'entra' as const,
      tenantId: `6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4${i}`,
    }));
    const build = (props: Partial<AccessProofProps>) => () =>
      new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
        externalId: 'ap-ext-1-0123456789',
        notificationEmail: 'ops@example.com',
        organization: 'Ex',
        sources: many,
        ...props,
      });

    // Act / Assert
    expect(build({ distributedMap: false })).toThrow(
      /the scan run's state can reach \d+ KB .* over the 200 KB budget .*6 sources in an inline Map .* set distributedMap: true/,
    );
    expect(build({ distributedMap: true })).not.toThrow();
    expect(() => checkStateBudget({ runConfigBytes: 200, plannedSourcesBytes: 190 * 1024 })).toThrow(
      /the planned sources take 190 KB/,
    );
  });

  it('maxOrganizationAccounts bounds the plan: synth stops past the budget naming a value that fits, and the plan step gets the bound', () => {
    // Arrange
    const build = (maxOrganizationAccounts?: number) =>
      new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
        externalId: 'ap-ext-1-0123456789',
        notificationEmail: 'ops@example.com',
        organization: 'Ex',
        sources: [{ id: 'aws-org', system: 'aws', organization: true }],
        ...(maxOrganizationAccounts !== undefined ? { maxOrganizationAccounts } : {}),
      });
    const planEnv = (ap: AccessProof) =>
      Object.values(
        Template.fromStack(ap.runtime).findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'accessproof-plan' } } },
        }),
      ).map(
        (r) => (r as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties,
      )[0]?.Environment.Variables;

    // Act
    const fits = build(1500);

    // Assert: about 100 bytes per account; 1,500 fit, 3,000 do not, and the message says how many would.
    expect(planEnv(build())?.MAX_ORGANIZATION_ACCOUNTS).toBe('1000');
    expect(planEnv(fits)?.MAX_ORGANIZATION_ACCOUNTS).toBe('1500');
    expect(fits.runtime.stateBudget.parts.plan).toBe(1500 * 100);
    expect(() => build(3000)).toThrow(
      /over the 200 KB budget .*3000 of them Organization accounts at about 100 bytes each: lower maxOrganizationAccounts to about 15\d\d or split the Organization/,
    );
    expect(() => build(0)).toThrow(/maxOrganizationAccounts must be a positive whole number, got 0/);
  });
});
