/**
 * The dedicated evidence account layout (issue 14, `evidenceAccount`): the vault is deployed into
 * its own account by its own stack; the scanner account's seal role is the only principal that
 * writes, signs or anchors there, cross-account, by exact ARN.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessProof } from '../../infra/lib/access-proof';
import {
  asList,
  functionRole,
  REVIEWS_OIDC,
  roleStatements,
  type Statement,
  type Synthesized,
  synth,
} from './synth';

const SCANNER = '111122223333';
const EVIDENCE = '222233334444';
const REGION = 'eu-west-1';
const SEAL_ARN = `:iam::${SCANNER}:role/AccessProofSeal`;

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: Synthesized;
let evidence: Template;
let evidenceResources: Resources;
let workloadResources: Resources;

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);
const bucketId = (resources: Resources, purpose: string) =>
  ofType(resources, 'AWS::S3::Bucket').find(([, r]) =>
    JSON.stringify(r.Properties.BucketName).includes(`accessproof-${purpose}-`),
  )?.[0];
const bucketPolicy = (resources: Resources, id: string | undefined): Statement[] =>
  ofType(resources, 'AWS::S3::BucketPolicy')
    .filter(([, r]) => (r.Properties.Bucket as { Ref: string }).Ref === id)
    .flatMap(([, r]) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const keyPolicy = (resources: Resources, alias: string): Statement[] => {
  const [, aliasResource] = ofType(resources, 'AWS::KMS::Alias').find(
    ([, r]) => r.Properties.AliasName === alias,
  )!;
  const keyId = (aliasResource.Properties.TargetKeyId as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return (resources[keyId]!.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
};
const mentionsScanner = (s: Statement) => JSON.stringify(s).includes(SCANNER);
const WRITE_ACTIONS =
  /^(s3:Put|s3:Delete|s3:Bypass|s3:\*|kms:Sign|kms:Encrypt|kms:GenerateDataKey|kms:\*|sns:Publish)/;

beforeAll(() => {
  // Arrange / Act (shared): the default app, with the vault in a dedicated evidence account.
  app = synth({
    context: { evidenceAccount: EVIDENCE, account: SCANNER, region: REGION },
    // The reviewer app with campaign owners: review-start reads the evidence (issue 17).
    props: {
      reviews: {
        domainPrefix: 'acme-accessproof-reviews',
        oidc: REVIEWS_OIDC,
        campaignOwners: ['controller@example.com'],
      },
    },
  });
  evidence = Template.fromStack(app.accessProof.evidence!);
  evidenceResources = evidence.toJSON().Resources as Resources;
  workloadResources = app.stateful.toJSON().Resources as Resources;
});

describe('evidenceAccount: the vault in its own account and stack', () => {
  it('deploys the evidence bucket, its access logs, the keys, the anchor topic, break-glass and auditor roles there', () => {
    // Arrange
    const stack = app.accessProof.evidence!;

    // Assert
    expect([stack.account, stack.region, stack.stackName]).toEqual([
      EVIDENCE,
      REGION,
      'AccessProof-Evidence',
    ]);
    expect(stack.terminationProtection).toBe(true);
    expect(bucketId(evidenceResources, 'evidence')).toBeDefined();
    expect(bucketId(evidenceResources, 'access-logs')).toBeDefined();
    expect(
      ofType(evidenceResources, 'AWS::KMS::Alias')
        .map(([, r]) => r.Properties.AliasName)
        .sort(),
    ).toEqual(['alias/accessproof/evidence', 'alias/accessproof/manifest-signing']);
    evidence.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'accessproof-chain-anchors' });
    evidence.hasResourceProperties('AWS::IAM::Role', { RoleName: 'AccessProofAuditor' });
    expect(ofType(evidenceResources, 'AWS::IAM::Role').map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(
      expect.arrayContaining(['BreakGlassRole', 'AuditorRole']),
    );
    // Locked like the single-account vault: COMPLIANCE on both buckets.
    for (const purpose of ['evidence', 'access-logs'])
      expect(
        evidenceResources[bucketId(evidenceResources, purpose)!]!.Properties.ObjectLockConfiguration,
      ).toEqual({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
      });
    // The scanner account keeps staging, findings, its data key and secrets; no evidence, no signing key.
    expect(bucketId(workloadResources, 'evidence')).toBeUndefined();
    expect(bucketId(workloadResources, 'staging')).toBeDefined();
    expect(ofType(workloadResources, 'AWS::KMS::Key')).toHaveLength(1);
    expect(ofType(workloadResources, 'AWS::SNS::Topic')).toEqual([]);
    expect(app.accessProof.runtime.dependencies).toContain(stack);
  });

  it('the evidence bucket lets only the scanner account’s seal role write (create-only); the scanner account may only read', () => {
    // Arrange
    const statements = bucketPolicy(evidenceResources, bucketId(evidenceResources, 'evidence'));
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const allows = statements.filter((s) => s.Effect === 'Allow');

    // Assert
    expect(JSON.stringify(bySid.DenyWritesExceptSealRole?.Condition)).toContain(SEAL_ARN);
    expect(bySid.DenyWritesWithoutIfNoneMatch).toMatchObject({
      Effect: 'Deny',
      Condition: { Null: { 's3:if-none-match': 'true' } },
    });
    for (const allow of allows.filter((s) => asList(s.Action).some((a) => WRITE_ACTIONS.test(a))))
      expect(JSON.stringify(allow.Condition)).toContain(SEAL_ARN);
    expect(bySid.AllowScannerAccountReads).toMatchObject({
      Effect: 'Allow',
      Action: ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions'],
    });
    expect(JSON.stringify(bySid.AllowScannerAccountReads?.Principal)).toContain(`:iam::${SCANNER}:root`);
    // Every other mention of the scanner account is the seal role's ARN.
    for (const s of allows.filter(mentionsScanner))
      expect(s.Sid === 'AllowScannerAccountReads' || JSON.stringify(s.Condition).includes(SEAL_ARN)).toBe(
        true,
      );
  });

  it('the signing key signs only for the seal role; the evidence key lets the scanner account decrypt through S3 only', () => {
    // Arrange
    const signing = keyPolicy(evidenceResources, 'alias/accessproof/manifest-signing');
    const data = keyPolicy(evidenceResources, 'alias/accessproof/evidence');
    const bySid = (statements: Statement[]) => Object.fromEntries(statements.map((s) => [s.Sid, s]));

    // Assert
    expect(bySid(signing).DenySignExceptSealRole).toMatchObject({ Effect: 'Deny', Action: 'kms:Sign' });
    expect(JSON.stringify(bySid(signing).DenySignExceptSealRole?.Condition)).toContain(SEAL_ARN);
    for (const s of signing.filter((st) => st.Effect === 'Allow' && mentionsScanner(st)))
      expect(JSON.stringify(s.Condition)).toContain(SEAL_ARN);
    expect(bySid(data).AllowScannerAccountDecryptThroughS3).toMatchObject({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` } },
    });
    for (const s of data.filter((st) => st.Effect === 'Allow' && mentionsScanner(st)))
      expect(
        s.Sid === 'AllowScannerAccountDecryptThroughS3' || JSON.stringify(s.Condition).includes(SEAL_ARN),
      ).toBe(true);
    // Key destruction and policy changes stay with this account's break-glass role.
    expect(bySid(signing).DenyKeyDestructionExceptBreakGlass).toMatchObject({ Effect: 'Deny' });
    expect(bySid(data).DenyKeyDestructionExceptBreakGlass).toMatchObject({ Effect: 'Deny' });
  });

  it('the seal function writes, signs and anchors cross-account by deterministic names; its role is AccessProofSeal', () => {
    // Arrange
    const runtime = app.runtime;
    const sealRole = functionRole(runtime, 'accessproof-seal');
    const statements = roleStatements(runtime, sealRole);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const env = (
      Object.values(runtime.findResources('AWS::Lambda::Function')).find(
        (f) =>
          (f as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties
            .Environment.Variables.POWERTOOLS_SERVICE_NAME === 'accessproof-seal',
      ) as { Properties: { Environment: { Variables: Record<string, unknown> } } }
    ).Properties.Environment.Variables;
    const flat = (v: unknown) => JSON.stringify(v ?? null);
    // Fn::Join of strings and pseudo-parameters → `accessproof-evidence-…-${AWS::Region}`.
    const text = (v: unknown): string =>
      typeof v === 'string'
        ? v
        : (v as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((p) => (typeof p === 'string' ? p : `\${${(p as { Ref: string }).Ref}}`))
            .join('');

    // Assert
    expect(runtime.toJSON().Resources[sealRole].Properties.RoleName).toBe('AccessProofSeal');
    // The region is the deployment's own (both stacks deploy to one region).
    expect(text(env.EVIDENCE_BUCKET)).toBe(`accessproof-evidence-${EVIDENCE}-\${AWS::Region}`);
    expect(env.EVIDENCE_BUCKET_OWNER).toBe(EVIDENCE);
    expect(text(env.SIGNING_KEY_ARN)).toBe(
      `arn:\${AWS::Partition}:kms:\${AWS::Region}:${EVIDENCE}:alias/accessproof/manifest-signing`,
    );
    expect(text(env.ANCHOR_TOPIC_ARN)).toBe(
      `arn:\${AWS::Partition}:sns:\${AWS::Region}:${EVIDENCE}:accessproof-chain-anchors`,
    );
    // IAM cannot name a key by alias: the evidence account's keys, narrowed to the aliased one.
    expect(bySid.ManifestSign).toMatchObject({
      Action: ['kms:GetPublicKey', 'kms:Sign'],
      Condition: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/accessproof/manifest-signing' },
      },
    });
    expect(text(bySid.ManifestSign?.Resource)).toBe(
      `arn:\${AWS::Partition}:kms:\${AWS::Region}:${EVIDENCE}:key/*`,
    );
    const evidenceKeyUse = statements.find((s) => flat(s.Condition).includes('alias/accessproof/evidence'));
    expect(asList(evidenceKeyUse?.Action).sort()).toEqual([
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    // Scan and ReleaseRun read the chain: decrypt only, through the same alias condition.
    for (const service of ['accessproof-scan', 'accessproof-release']) {
      const reads = roleStatements(runtime, functionRole(runtime, service)).find((s) =>
        flat(s.Condition).includes('alias/accessproof/evidence'),
      );
      expect({ service, actions: reads?.Action }).toEqual({ service, actions: 'kms:Decrypt' });
    }
  });

  it('review-start reads the evidence account’s bucket cross-account (bucket and key policies allow the scanner account), read only', () => {
    // Arrange
    const reviews = Template.fromStack(app.accessProof.reviews!);
    const role = functionRole(reviews, 'accessproof-review-start');
    const statements = roleStatements(reviews, role);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    const env = (
      Object.values(
        reviews.findResources('AWS::Lambda::Function', {
          Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'accessproof-review-start' } } },
        }),
      )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
    ).Properties.Environment.Variables;
    const flat = (v: unknown) => JSON.stringify(v ?? null);
    const bucketReads = bucketPolicy(evidenceResources, bucketId(evidenceResources, 'evidence')).find(
      (s) => s.Sid === 'AllowScannerAccountReads',
    );
    const keyReads = keyPolicy(evidenceResources, 'alias/accessproof/evidence').find(
      (s) => s.Sid === 'AllowScannerAccountDecryptThroughS3',
    );

    // Assert: the function reads the evidence account's bucket, by its owner, its sealed versions.
    expect(flat(env.EVIDENCE_BUCKET)).toContain(`accessproof-evidence-${EVIDENCE}-`);
    expect(env.EVIDENCE_BUCKET_OWNER).toBe(EVIDENCE);
    expect(asList(bySid.EvidenceRead?.Action).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(asList(bySid.EvidenceList?.Action).sort()).toEqual(['s3:ListBucket', 's3:ListBucketVersions']);
    expect(flat(bySid.EvidenceRead?.Resource)).toContain(`accessproof-evidence-${EVIDENCE}-`);
    const decrypt = statements.find((s) => flat(s.Condition).includes('alias/accessproof/evidence'));
    expect(decrypt?.Action).toBe('kms:Decrypt');
    expect(flat(decrypt?.Resource)).toContain(`:${EVIDENCE}:key/*`);
    // Nothing written to the evidence account.
    const writes = statements.filter(
      (s) => flat(s.Resource).includes(EVIDENCE) && asList(s.Action).some((a) => WRITE_ACTIONS.test(a)),
    );
    expect(writes).toEqual([]);
    // The evidence account's side: its bucket and key let the scanner account read those actions.
    expect(mentionsScanner(bucketReads!)).toBe(true);
    expect(asList(bucketReads?.Action)).toEqual(
      expect.arrayContaining([
        's3:GetObject',
        's3:GetObjectVersion',
        's3:ListBucket',
        's3:ListBucketVersions',
      ]),
    );
    expect(mentionsScanner(keyReads!)).toBe(true);
    expect(asList(keyReads?.Action)).toEqual(['kms:Decrypt']);
  });

  it('cdk-nag finds nothing unacknowledged in either account', () => {
    // Act
    const findings = new AwsSolutionsChecks()
      .validateScope(app.app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));

    // Assert
    expect(findings).toEqual([]);
  });

  it('refuses an evidence account without a known scanner account, the scanner account itself, or a malformed id', () => {
    // Arrange
    const build = (evidenceAccount: string, account?: string) => () =>
      new AccessProof(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'AccessProof', {
        externalId: 'ap-ext-1-0123456789',
        notificationEmail: 'ops@example.com',
        organization: 'Ex',
        sources: [{ id: 'aws-org', system: 'aws', organization: true }],
        evidenceAccount,
        ...(account ? { env: { account, region: REGION } } : {}),
      });

    // Act / Assert
    expect(build(EVIDENCE)).toThrow(/evidenceAccount needs env.account/);
    expect(build(SCANNER, SCANNER)).toThrow(/evidenceAccount is the scanner account itself/);
    expect(build('2222-3333', SCANNER)).toThrow(/evidenceAccount must be a 12-digit AWS account id/);
  });
});
