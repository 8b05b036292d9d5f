/**
 * Two AccessProof deployments in one account and region (issue 15, "a construct that composes"):
 * both are synthesized into one app, every physical name of every resource of every stack is
 * collected with its scope (global for buckets, the account for IAM names, the account and region
 * for the rest, the member accounts for the member templates) and no name may appear twice.
 */
import { App, Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessProof, type AccessProofProps } from '../../infra/lib/access-proof';
import { deploymentNames } from '../../infra/lib/names';

const ACCOUNT = '111122223333';
const EVIDENCE_ACCOUNT = '444455556666';
type Json = Record<string, unknown>;

/** Every source kind, so every optional resource (collectors, secrets) exists. */
const props = (memberRoleName: string, extra: Partial<AccessProofProps> = {}): AccessProofProps => ({
  externalId: 'ap-test-7f3c9e1d5b2a4c60',
  notificationEmail: 'ops@example.com',
  organization: 'Example',
  sources: [
    { id: 'aws-org', system: 'aws', organization: true, memberRoleName },
    {
      id: 'entra',
      system: 'entra',
      tenantId: '00000000-0000-0000-0000-000000000000',
      clientId: '11111111-1111-1111-1111-111111111111',
    },
    { id: 'sfdc', system: 'salesforce', clientId: 'key', username: 'ap@example.com' },
  ],
  env: { account: ACCOUNT, region: 'eu-west-1' },
  ...extra,
});

const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

/**
 * `*Name` properties that are labels or references, not names a second resource could take:
 * a topic's display name, an alarm's metric, an inline policy's name (unique per role only).
 */
const NOT_PHYSICAL = new Set(['DisplayName', 'MetricName', 'AWS::IAM::Policy.PolicyName']);
/** Names unique in the whole partition, or in one account whatever the region. */
const GLOBAL_TYPES = new Set(['AWS::S3::Bucket']);
const isAccountWide = (type: string) => type.startsWith('AWS::IAM::');

interface PhysicalName {
  scope: string;
  type: string;
  property: string;
  name: string;
  where: string;
}

/**
 * A name as CloudFormation would render it in the stack's environment. Pseudo parameters become
 * the stack's account and region; a reference to another resource or a parameter stays a marker
 * unique to its stack (such a name can only be as unique as what it references).
 */
function render(value: unknown, stack: Stack, env: { account: string; region: string }): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (Array.isArray(v['Fn::Join'])) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => render(p, stack, env)).join(sep);
  }
  if (typeof v.Ref === 'string') {
    const pseudo: Record<string, string> = {
      'AWS::AccountId': env.account,
      'AWS::Region': env.region,
      'AWS::Partition': 'aws',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    return pseudo[v.Ref] ?? `{${stack.stackName}/${v.Ref}}`;
  }
  return `{${stack.stackName}/${JSON.stringify(v)}}`;
}

/** A name another resource owns (a function's ARN in a permission, a role in a policy): not collected. */
const isReference = (value: unknown) =>
  typeof value === 'object' &&
  value !== null &&
  ('Ref' in value || 'Fn::GetAtt' in value || 'Fn::ImportValue' in value);

/** Every physical name of every resource of every stack of the apps, with its uniqueness scope. */
function physicalNames(app: App): PhysicalName[] {
  const out: PhysicalName[] = [];
  const assembly = app.synth();
  for (const stack of app.node.findAll().filter((c): c is Stack => Stack.isStack(c))) {
    const artifact = assembly.getStackArtifact(stack.artifactId);
    const agnostic = stack.account.startsWith('${') || stack.account.includes('Token');
    // Member templates are deployed into the member accounts (StackSet): one scope for them all.
    const env = agnostic
      ? { account: '<member-account>', region: '<member-region>' }
      : { account: stack.account, region: stack.region };
    out.push({
      scope: `${env.account}/${env.region}`,
      type: 'AWS::CloudFormation::Stack',
      property: 'StackName',
      name: stack.stackName,
      where: stack.node.path,
    });
    const resources = (
      artifact.template as { Resources: Record<string, { Type: string; Properties?: Json }> }
    ).Resources;
    for (const [id, r] of Object.entries(resources)) {
      for (const [property, value] of Object.entries(r.Properties ?? {})) {
        if (!property.endsWith('Name') || isReference(value)) continue;
        if (NOT_PHYSICAL.has(property) || NOT_PHYSICAL.has(`${r.Type}.${property}`)) continue;
        if (typeof value !== 'string' && !(typeof value === 'object' && value && 'Fn::Join' in value))
          continue;
        const scope = GLOBAL_TYPES.has(r.Type)
          ? 'global'
          : isAccountWide(r.Type)
            ? env.account
            : `${env.account}/${env.region}`;
        out.push({
          scope,
          type: r.Type,
          property,
          name: render(value, stack, env),
          where: `${stack.node.path}/${id}`,
        });
      }
    }
  }
  return out;
}

/** Names that appear more than once in their scope (case-insensitive where AWS compares so). */
function collisions(names: PhysicalName[]): string[] {
  const seen = new Map<string, PhysicalName>();
  const out: string[] = [];
  for (const n of names) {
    const caseless = n.type === 'AWS::IAM::Role' || n.type === 'AWS::S3::Bucket';
    const key = `${n.scope}|${n.type}|${n.property}|${caseless ? n.name.toLowerCase() : n.name}`;
    const first = seen.get(key);
    if (first) out.push(`${n.type}.${n.property} "${n.name}": ${first.where} and ${n.where}`);
    else seen.set(key, n);
  }
  return out;
}

let names: PhysicalName[];

beforeAll(() => {
  // Arrange / Act (shared): the default deployment and a second one with its own prefix, in the
  // same account and region; the second also with a dedicated evidence account.
  const app = newApp();
  new AccessProof(app, 'Default', props('AccessProofReader'));
  new AccessProof(
    app,
    'Blue',
    props('BlueReader', { namePrefix: 'Blue', evidenceAccount: EVIDENCE_ACCOUNT }),
  );
  // Region-safe: a third in another region of the same account (IAM names are account-wide).
  new AccessProof(
    app,
    'Green',
    props('GreenReader', { namePrefix: 'Green', env: { account: ACCOUNT, region: 'us-east-1' } }),
  );
  names = physicalNames(app);
}, 300_000);

describe('two AccessProof deployments in one account and region', () => {
  it('synthesize without a single colliding physical name (a third in another region too)', () => {
    // Assert: the sweep found the named resources of every kind …
    const types = new Set(names.map((n) => `${n.type}.${n.property}`));
    for (const t of [
      'AWS::CloudFormation::Stack.StackName',
      'AWS::IAM::Role.RoleName',
      'AWS::S3::Bucket.BucketName',
      'AWS::KMS::Alias.AliasName',
      'AWS::SecretsManager::Secret.Name',
      'AWS::Events::EventBus.Name',
      'AWS::SNS::Topic.TopicName',
    ])
      expect(types).toContain(t);
    // … and none of them twice.
    expect(collisions(names)).toEqual([]);
  });

  it('derives every name of the second deployment from its prefix', () => {
    // Arrange
    const blue = names.filter((n) => n.where.startsWith('Blue/')).map((n) => n.name);

    // Assert: each explicit name of the Blue deployment carries "blue" (any case).
    expect(blue.length).toBeGreaterThan(15);
    for (const name of blue) expect(name).toMatch(/blue/i);
  });

  it('keeps the names of earlier releases under the default prefix', () => {
    // Arrange
    const of = (type: string) =>
      names
        .filter((n) => n.where.startsWith('Default/') && n.type === type)
        .map((n) => n.name)
        .sort();

    // Assert
    expect(of('AWS::IAM::Role')).toEqual([
      'AccessProofAuditor',
      'AccessProofCollector',
      'AccessProofReader',
      'AccessProofSeal',
    ]);
    expect(of('AWS::KMS::Alias')).toEqual(['alias/accessproof/data', 'alias/accessproof/manifest-signing']);
    expect(of('AWS::Events::EventBus')).toEqual(['accessproof-findings']);
    expect(of('AWS::SecretsManager::Secret')).toEqual([
      'accessproof/sources/entra',
      'accessproof/sources/sfdc',
    ]);
  });

  it('the check itself fails on a second deployment with the same names (negative control)', () => {
    // Arrange: the default deployment's names, as a copy of it elsewhere in the account would have them.
    const defaults = names.filter((n) => n.where.startsWith('Default/'));
    const copy = defaults.map((n) => ({ ...n, where: `Copy/${n.where}` }));

    // Act
    const found = collisions([...defaults, ...copy]).join('\n');

    // Assert
    expect(collisions(defaults)).toEqual([]);
    expect(found).toMatch(/AWS::S3::Bucket.BucketName "accessproof-evidence-111122223333-eu-west-1"/);
    expect(found).toMatch(/AWS::IAM::Role.RoleName "AccessProofCollector"/);
  });
});

describe('role names are region-safe', () => {
  it('refuses, in one app, a second deployment with the same prefix that can share the account, in any region', () => {
    // Arrange
    const app = newApp();
    new AccessProof(app, 'EuWest', props('AccessProofReader', { memberStack: false }));

    // Act / Assert: another region of the same account still shares the account-wide role names.
    expect(
      () =>
        new AccessProof(
          app,
          'UsEast',
          props('AccessProofReader', { memberStack: false, env: { account: ACCOUNT, region: 'us-east-1' } }),
        ),
    ).toThrow(/namePrefix "AccessProof" is already used by EuWest .*IAM role names are account-wide/);
    expect(
      () =>
        new AccessProof(
          app,
          'Caseless',
          props('AccessProofReader', { namePrefix: 'accessproof', memberStack: false }),
        ),
    ).toThrow(/already used by EuWest/);
  });

  it('refuses a prefix that cannot name every resource', () => {
    // Act / Assert
    for (const bad of ['', '1ap', 'ap_x', 'ap-', 'a'.repeat(22)])
      expect(() => deploymentNames(bad)).toThrow(/namePrefix must be 1-21 letters, digits or "-"/);
    expect(deploymentNames('a'.repeat(21)).bucketNamePrefix).toHaveLength(21);
  });
});
