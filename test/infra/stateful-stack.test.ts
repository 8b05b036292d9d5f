import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDITOR_ACTIONS, StatefulStack } from '../../infra/lib/stateful-stack';
import { allowedActions, asList, roleStatements, type Statement, sharedSynth } from './synth';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

let stateful: Template;
let resources: Resources;
let terminationProtection: boolean | undefined;

const bucketNamed = (purpose: string) => {
  const entry = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::S3::Bucket' &&
      JSON.stringify(r.Properties.BucketName ?? '').includes(`accessproof-${purpose}-`),
  );
  if (!entry) throw new Error(`no ${purpose} bucket`);
  return { id: entry[0], props: entry[1].Properties, resource: entry[1] };
};

const bucketPolicyStatements = (bucketId: string): Statement[] =>
  Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::S3::BucketPolicy' && (r.Properties.Bucket as { Ref: string }).Ref === bucketId,
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);

const SEAL_ROLE_ARN = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':role/AccessProofSeal'],
  ],
};
const breakGlassId = () =>
  Object.entries(resources).find(
    ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('BreakGlassRole'),
  )?.[0] ?? 'no break-glass role';

const keys = () => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::KMS::Key');

beforeAll(() => {
  // Arrange / Act (shared): the default app, as `cdk synth` builds it.
  const synthesized = sharedSynth();
  stateful = synthesized.stateful;
  resources = stateful.toJSON().Resources as Resources;
  terminationProtection = synthesized.accessProof.stateful.terminationProtection;
});

describe('evidence bucket', () => {
  it('locks every object in COMPLIANCE mode for the retention days, versioned', () => {
    // Arrange
    const { props } = bucketNamed('evidence');

    // Assert
    expect(props.ObjectLockEnabled).toBe(true);
    expect(props.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
    });
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('encrypts with the customer data key and a bucket key, and blocks all public access', () => {
    // Arrange
    const { props } = bucketNamed('evidence');
    const dataKey = keys().find(([, r]) => r.Properties.EnableKeyRotation === true);

    // Assert
    expect(props.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [dataKey?.[0], 'Arn'] },
          },
        },
      ],
    });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('denies requests without TLS and with TLS below 1.2', () => {
    // Arrange
    const statements = bucketPolicyStatements(bucketNamed('evidence').id);

    // Assert
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
      }),
    );
  });

  it('denies GOVERNANCE-mode locks and new objects with less than the full retention, to everyone', () => {
    // Arrange
    const statements = bucketPolicyStatements(bucketNamed('evidence').id);

    // Assert
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyGovernanceModeLocks',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { StringEquals: { 's3:object-lock-mode': 'GOVERNANCE' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyShortRetentionOnNewObjects',
        Effect: 'Deny',
        Action: 's3:PutObject',
        Condition: { NumericLessThan: { 's3:object-lock-remaining-retention-days': '2556' } },
      }),
    );
    // The only Allow statements name the seal role by exact ARN (it may live in another account).
    for (const allow of statements.filter((s) => s.Effect === 'Allow'))
      expect(allow.Condition).toEqual({ ArnEquals: { 'aws:PrincipalArn': SEAL_ROLE_ARN } });
  });

  it('lets no principal but the seal role write, and only create-only (If-None-Match)', () => {
    // Arrange
    const statements = bucketPolicyStatements(bucketNamed('evidence').id);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));

    // Assert
    expect(bySid.DenyWritesExceptSealRole).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:PutObject', 's3:PutObjectRetention'],
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': SEAL_ROLE_ARN } },
    });
    expect(bySid.DenyWritesWithoutIfNoneMatch).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Condition: { Null: { 's3:if-none-match': 'true' }, Bool: { 's3:ObjectCreationOperation': 'true' } },
    });
    // Every statement that allows s3:PutObject is limited to the seal role.
    const writers = statements.filter(
      (s) => s.Effect === 'Allow' && asList(s.Action).includes('s3:PutObject'),
    );
    expect(writers.map((s) => s.Condition)).toEqual([{ ArnEquals: { 'aws:PrincipalArn': SEAL_ROLE_ARN } }]);
  });

  it('denies deletes, legal holds, governance bypass and lock/versioning changes to all but the break-glass role it creates', () => {
    for (const purpose of ['evidence', 'access-logs']) {
      // Arrange
      const deny = bucketPolicyStatements(bucketNamed(purpose).id).find(
        (s) => s.Sid === 'DenyLooseningExceptBreakGlass',
      );

      // Assert
      expect({ purpose, deny }).toMatchObject({
        purpose,
        deny: {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: expect.arrayContaining([
            's3:PutBucketObjectLockConfiguration',
            's3:PutBucketVersioning',
            's3:DeleteObject*',
            's3:PutObjectLegalHold',
            's3:BypassGovernanceRetention',
          ]),
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [breakGlassId(), 'Arn'] } } },
        },
      });
    }
  });

  it('sends server access logs to the hardened log bucket', () => {
    // Arrange
    const evidence = bucketNamed('evidence');
    const logs = bucketNamed('access-logs');
    const logPolicy = bucketPolicyStatements(logs.id);

    // Assert
    expect(evidence.props.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logs.id },
      LogFilePrefix: 'evidence/',
    });
    expect(logs.props.PublicAccessBlockConfiguration).toMatchObject({
      BlockPublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(logs.props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // Kept like the evidence: COMPLIANCE for the pack retention, and nothing ever expires.
    expect(logs.props.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
    });
    expect(logs.props.LifecycleConfiguration).toBeUndefined();
    expect(logPolicy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(logPolicy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
    );
    // The log service writes through the bucket policy (not ACLs), only from this account's buckets.
    expect(logPolicy).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Principal: { Service: 'logging.s3.amazonaws.com' },
      }),
    );
  });
});

describe('retained, undestroyable state', () => {
  it('retains every bucket, key, table and secret, and protects the stack from termination', () => {
    // Arrange
    const stateTypes = [
      'AWS::S3::Bucket',
      'AWS::KMS::Key',
      'AWS::DynamoDB::Table',
      'AWS::SecretsManager::Secret',
    ];
    const stateful_ = Object.entries(resources).filter(([, r]) => stateTypes.includes(r.Type));

    // Assert
    expect(stateful_.length).toBeGreaterThanOrEqual(3 + 2 + 1 + 2);
    for (const [id, r] of stateful_)
      expect({ id, policy: r.DeletionPolicy }).toEqual({ id, policy: 'Retain' });
    expect(terminationProtection).toBe(true);
  });

  it('findings table: pk/sk strings, on-demand, PITR, customer key, deletion protection', () => {
    // Assert
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      DeletionProtectionEnabled: true,
    });
  });

  it('connector secrets exist per live Entra/Salesforce source, encrypted with the data key', () => {
    // Arrange
    const secrets = Object.values(resources).filter((r) => r.Type === 'AWS::SecretsManager::Secret');

    // Assert
    expect(secrets.map((s) => s.Properties.Name).sort()).toEqual([
      'accessproof/sources/entra',
      'accessproof/sources/sfdc',
    ]);
    for (const s of secrets)
      expect(s.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
  });
});

describe('KMS keys', () => {
  it('a rotating symmetric data key and an ECC_NIST_P256 SIGN_VERIFY signing key', () => {
    // Arrange
    const specs = keys().map(([, r]) => ({
      spec: r.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT',
      usage: r.Properties.KeyUsage ?? 'ENCRYPT_DECRYPT',
      rotation: r.Properties.EnableKeyRotation ?? false,
    }));

    // Assert
    expect(specs).toHaveLength(2);
    expect(specs).toContainEqual({ spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', rotation: true });
    expect(specs).toContainEqual({ spec: 'ECC_NIST_P256', usage: 'SIGN_VERIFY', rotation: false });
  });

  it('both key policies deny ScheduleKeyDeletion and DisableKey to everyone but the break-glass role', () => {
    for (const [id, key] of keys()) {
      // Arrange
      const statements = (key.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
      const deny = statements.find((s) => s.Effect === 'Deny');

      // Assert
      expect({ id, deny }).toEqual({
        id,
        deny: expect.objectContaining({
          Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          Principal: { AWS: '*' },
          Resource: '*',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [breakGlassId(), 'Arn'] } } },
        }),
      });
      // Wildcard actions appear only in resource policies CDK writes for KMS itself: the standard
      // "account root may delegate with IAM" statement, and (data key) Secrets Manager's use via the service.
      const wildcard = statements.filter((s) => asList(s.Action).some((a) => a.includes('*')));
      const rootArn = {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
      };
      expect(wildcard[0]).toEqual(
        expect.objectContaining({ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: rootArn } }),
      );
      for (const extra of wildcard.slice(1)) {
        expect(extra).toEqual(
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { AWS: rootArn },
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          }),
        );
      }
      expect(wildcard.length).toBeLessThanOrEqual(2);
    }
  });

  it('the signing key lets only the seal role sign, and only break-glass change its policy', () => {
    // Arrange
    const [, signing] = keys().find(([, r]) => r.Properties.KeySpec === 'ECC_NIST_P256')!;
    const statements = (signing.Properties.KeyPolicy as { Statement: Statement[] }).Statement;
    const bySid = Object.fromEntries(statements.map((st) => [st.Sid, st]));

    // Assert
    expect(bySid.DenySignExceptSealRole).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:Sign',
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': SEAL_ROLE_ARN } },
    });
    expect(bySid.DenyKeyPolicyChangesExceptBreakGlass).toMatchObject({
      Effect: 'Deny',
      Action: expect.arrayContaining(['kms:PutKeyPolicy', 'kms:CreateGrant']),
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [breakGlassId(), 'Arn'] } } },
    });
    expect(signing.Properties.BypassPolicyLockoutSafetyCheck).toBe(true);
  });

  it('creates the break-glass role itself, assumable only with MFA', () => {
    // Arrange
    const role = resources[breakGlassId()]!;

    // Assert
    expect(role.Properties.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        expect.objectContaining({
          Action: 'sts:AssumeRole',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        }),
      ],
    });
  });
});

describe('auditor role', () => {
  it('can read the evidence, decrypt it and verify signatures: nothing else', () => {
    // Arrange
    const roleId = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'AccessProofAuditor',
    )?.[0];
    const statements = roleStatements(stateful, roleId!);
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));

    // Assert
    expect(allowedActions(stateful, roleId!)).toEqual(
      [
        ...AUDITOR_ACTIONS.objects,
        ...AUDITOR_ACTIONS.bucket,
        ...AUDITOR_ACTIONS.dataKey,
        ...AUDITOR_ACTIONS.signingKey,
      ].sort(),
    );
    expect(allowedActions(stateful, roleId!)).toEqual([
      'kms:Decrypt',
      'kms:GetPublicKey',
      'kms:Verify',
      's3:GetObject',
      's3:GetObjectAttributes',
      's3:GetObjectLegalHold',
      's3:GetObjectRetention',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:ListBucketVersions',
    ]);
    expect(bySid.ReadEvidenceObjects?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketNamed('evidence').id, 'Arn'] }, '/*']],
    });
    expect(bySid.ListEvidence?.Resource).toEqual({ 'Fn::GetAtt': [bucketNamed('evidence').id, 'Arn'] });
    expect(statements.every((s) => s.Effect === 'Allow' && !s.Condition)).toBe(true);
  });
});

describe('evidenceDataEvents: a CloudTrail trail of the evidence bucket', () => {
  it('records every read and write of evidence objects (no management events), validated, into the locked log bucket; cdk-nag stays clean', () => {
    // Arrange: the stateful stack alone (the trail lives there), with the option on.
    const app = new App();
    const stack = new StatefulStack(app, 'Stateful', {
      sealRoleArn: 'arn:aws:iam::111122223333:role/AccessProofSeal',
      secretSourceIds: [],
      evidenceDataEvents: true,
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const template = Template.fromStack(stack);
    const own = template.toJSON().Resources as Resources;
    const bucketId = (purpose: string) =>
      Object.entries(own).find(
        ([, r]) =>
          r.Type === 'AWS::S3::Bucket' &&
          JSON.stringify(r.Properties.BucketName ?? '').includes(`accessproof-${purpose}-`),
      )?.[0];
    const nag = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));

    // Assert
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    template.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      EnableLogFileValidation: true,
      IsMultiRegionTrail: false,
      IncludeGlobalServiceEvents: false,
      S3BucketName: { Ref: bucketId('access-logs') },
      S3KeyPrefix: 'cloudtrail',
      EventSelectors: [
        {
          DataResources: [
            {
              Type: 'AWS::S3::Object',
              Values: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId('evidence'), 'Arn'] }, '/']] }],
            },
          ],
          IncludeManagementEvents: false,
          ReadWriteType: 'All',
        },
      ],
    });
    expect(nag).toEqual([]);
    // Off by default: the shared default app has no trail.
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::CloudTrail::Trail')).toEqual([]);
  });
});
