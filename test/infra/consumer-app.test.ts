/**
 * The package used from another CDK app (issue 15): `npm run build` compiles the construct entry
 * point into dist/ with declarations, and an app in a folder of its own — its own package.json,
 * `accessproof`, `aws-cdk-lib` and `constructs` in its node_modules — imports `accessproof/infra`
 * and is synthesized by Node, as `cdk synth` runs it. One build, one synth.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/lib/access-proof';
import { tempDir } from '../e2e/cli-helpers';

type Json = Record<string, unknown>;
type Template = { Resources: Record<string, { Type: string; Properties: Json }> };
let build: ReturnType<typeof spawnSync>;
let synth: ReturnType<typeof spawnSync>;
let outdir: string;

const run = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
type Artifact = { type: string; properties?: { stackName?: string; templateFile?: string } };
/** Every stack artifact, with its stack name (the manifest leaves it out when it is the artifact id). */
const stacks = () =>
  Object.entries(
    (
      JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
        artifacts: Record<string, Artifact>;
      }
    ).artifacts,
  )
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([id, a]) => ({ ...a, properties: { ...a.properties, stackName: a.properties?.stackName ?? id } }));
/** A stack's template, by its stack name (the file is named after the construct path). */
const template = (stackName: string) => {
  const file = stacks().find((a) => a.properties?.stackName === stackName)?.properties?.templateFile;
  if (!file) throw new Error(`no stack ${stackName} in ${outdir}`);
  return JSON.parse(readFileSync(join(outdir, file), 'utf8')) as Template;
};
const ofType = (t: Template, type: string) => Object.values(t.Resources).filter((r) => r.Type === type);

beforeAll(() => {
  // Arrange: the package's build (what `npm run build` runs), then a consumer folder elsewhere.
  build = run(
    [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    PROJECT_ROOT,
  );
  if (build.status === 0) build = run(['infra/esm-specifiers.mjs', 'dist'], PROJECT_ROOT);
  const consumer = tempDir('accessproof-consumer-');
  cpSync(join(PROJECT_ROOT, 'test/fixtures/consumer-app'), consumer, { recursive: true });
  mkdirSync(join(consumer, 'node_modules'));
  // As `npm install` of the package (file: or tarball) and its peers would link them.
  symlinkSync(PROJECT_ROOT, join(consumer, 'node_modules/accessproof'), 'dir');
  for (const peer of ['aws-cdk-lib', 'constructs'])
    symlinkSync(join(PROJECT_ROOT, 'node_modules', peer), join(consumer, 'node_modules', peer), 'dir');
  outdir = join(consumer, 'cdk.out');

  // Act: run the app as `cdk synth` does (CDK_OUTDIR, CDK_CONTEXT_JSON); bundling stubbed, as the
  // other infra tests do (test/infra/bundling.test.ts bundles the same entries for real).
  synth = run(['app.mjs'], consumer, {
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
  });
}, 300_000);

describe('the built package, used from another CDK app', () => {
  it('builds into dist/ with declarations for the construct entry point the package exports', () => {
    // Arrange
    const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; import: string }>;
      scripts: Record<string, string>;
    };

    // Assert
    expect(build.stderr).toBe('');
    expect(build.status).toBe(0);
    expect(manifest.scripts.build).toBe('tsc -p tsconfig.build.json && node infra/esm-specifiers.mjs dist');
    expect(manifest.exports['./infra']).toEqual({
      types: './dist/infra/index.d.ts',
      import: './dist/infra/index.js',
    });
    for (const file of ['dist/infra/index.js', 'dist/infra/index.d.ts', 'dist/infra/lib/members.d.ts'])
      expect(existsSync(join(PROJECT_ROOT, file)), file).toBe(true);
    expect(readFileSync(join(PROJECT_ROOT, 'dist/infra/index.d.ts'), 'utf8')).toMatch(
      /export \{ AccessProof, type AccessProofKmsOptions, type AccessProofProps, PROJECT_ROOT, \} from '.\/lib\/access-proof.js'/,
    );
  });

  it('synthesizes the consumer app: its prefix, its config, the package handlers, the member StackSet', () => {
    // Arrange
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const runtime = template('Consumer-Runtime');
    const functions = ofType(runtime, 'AWS::Lambda::Function');
    const stackSet = ofType(template('ConsumerOrgMembers'), 'AWS::CloudFormation::StackSet')[0]?.Properties;

    // Assert: every stack, named from the consumer's prefix.
    expect(
      stacks()
        .map((a) => a.properties?.stackName)
        .sort(),
    ).toEqual(['Consumer-Runtime', 'Consumer-Stateful', 'ConsumerOrgMembers']);
    // The consumer's config (read from its folder): an AWS and an Entra collector, no Salesforce.
    const services = functions.map(
      (f) => (f.Properties.Environment as { Variables: Json }).Variables.POWERTOOLS_SERVICE_NAME,
    );
    expect(services.sort()).toEqual(
      ['collect-aws', 'collect-entra', 'notify', 'plan', 'release', 'scan', 'seal'].map(
        (s) => `accessproof-${s}`,
      ),
    );
    expect(JSON.stringify(runtime)).toContain('"RoleName":"ConsumerCollector"');
    expect(JSON.stringify(template('Consumer-Stateful'))).toContain('consumer/sources/entra');
    expect(stackSet).toMatchObject({ StackSetName: 'Consumer-Member', PermissionModel: 'SERVICE_MANAGED' });
    const body = JSON.parse(stackSet?.TemplateBody as string) as Template;
    expect(ofType(body, 'AWS::IAM::Role').map((r) => r.Properties.RoleName)).toEqual(['ConsumerReader']);
  });
});
