/**
 * `reviews: {…}` (issue 17): the reviewer app's stack — CloudFront with the S3 assets origin through
 * OAC and a viewer-request function, HTTP API with a JWT authorizer on every route but sign-in,
 * Cognito federated to the company IdP (secret by dynamic reference), the reviews table (PITR,
 * KMS), least-privilege roles, log retention, the optional WAF rate limit; cdk-nag clean. One synth
 * for the file.
 */
import { runInNewContext } from 'node:vm';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/lib/access-proof';
import { ReviewsStack, type ReviewsStackProps, viewerRequestFunctionCode } from '../../infra/lib/reviews';
import {
  allowedActions,
  asList,
  functionRole,
  REVIEWS_OIDC,
  roleStatements,
  type Statement,
  type Synthesized,
  synth,
} from './synth';

const OIDC = REVIEWS_OIDC;

let synthesized: Synthesized;
let reviews: Template;

beforeAll(() => {
  synthesized = synth({
    props: {
      reviews: {
        domainPrefix: 'acme-accessproof-reviews',
        oidc: OIDC,
        waf: { rateLimitPer5Minutes: 600 },
        campaignOwners: ['Controller@Example.com', 'cfo@example.com'],
      },
    },
  });
  reviews = Template.fromStack(synthesized.accessProof.reviews!);
}, 300_000);

const findings = (app: App) =>
  new AwsSolutionsChecks()
    .validateScope(app)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.severity} ${v.ruleName} ${r.constructPath}`),
    );

describe('reviews stack (reviews: {…})', () => {
  it('is cdk-nag clean, as is every other stack of the app', () => {
    expect(findings(synthesized.app)).toEqual([]);
  });

  it('keeps the reviews table with PITR, the data key, deletion protection, retained', () => {
    reviews.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('lets the API function read and write only the reviews table (no S3, no other table, no Scan)', () => {
    // Arrange
    const role = functionRole(reviews, 'accessproof-reviews-api');
    const table = Object.keys(reviews.findResources('AWS::DynamoDB::Table'))[0]!;
    // Act
    const actions = allowedActions(reviews, role);
    const dynamo = roleStatements(reviews, role).filter((s) =>
      asList(s.Action).some((a) => a.startsWith('dynamodb:')),
    );
    // Assert
    expect(
      actions.filter((a) => !a.startsWith('kms:') && !a.startsWith('logs:') && !a.startsWith('xray:')),
    ).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    expect(dynamo.flatMap((s) => asList(s.Resource))).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }]);
    const reminders = allowedActions(reviews, functionRole(reviews, 'accessproof-review-reminders'));
    expect(reminders).toContain('sns:Publish');
    expect(reminders.some((a) => a.startsWith('s3:'))).toBe(false);
  });

  it('lets only the review-start function read the evidence (sealed versions) and the findings table, for the configured owners', () => {
    // Arrange
    const start = functionRole(reviews, 'accessproof-review-start');
    const bySid = Object.fromEntries(roleStatements(reviews, start).map((s) => [s.Sid, s])) as Record<
      string,
      Statement
    >;
    const startFn = Object.values(
      reviews.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'accessproof-review-start' } } },
      }),
    )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const env = startFn.Properties.Environment.Variables;
    const others = ['accessproof-reviews-api', 'accessproof-review-reminders'].map((s) =>
      allowedActions(reviews, functionRole(reviews, s)),
    );
    // Assert: evidence read-only (list versions, get the sealed version), findings read-only.
    expect(asList(bySid.EvidenceRead?.Action).sort()).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(asList(bySid.EvidenceList?.Action).sort()).toEqual(['s3:ListBucket', 's3:ListBucketVersions']);
    expect(asList(bySid.FindingsRead?.Action).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
    ]);
    expect(bySid.FindingsReadWrite).toBeUndefined();
    expect(
      allowedActions(reviews, start).filter((a) => a.startsWith('s3:') && !/^s3:(Get|List)/.test(a)),
    ).toEqual([]);
    expect(env.REVIEW_OWNERS).toBe('controller@example.com,cfo@example.com');
    expect(env.EVIDENCE_BUCKET).toBeDefined();
    expect(env.FINDINGS_TABLE).toBeDefined();
    expect(env.IDENTITY_PROVIDER).toBe('EntraID');
    // The reviewer-facing functions still cannot read any evidence.
    for (const actions of others) expect(actions.some((a) => a.startsWith('s3:'))).toBe(false);
  });

  it('authorizes every route but sign-in with the Cognito JWT authorizer reading the cookie header', () => {
    // Arrange
    const authorizer = Object.entries(reviews.findResources('AWS::ApiGatewayV2::Authorizer'));
    const routes = Object.values(reviews.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string; AuthorizationType?: string } }).Properties,
    );
    // Assert
    expect(authorizer).toHaveLength(1);
    expect(authorizer[0]![1]).toMatchObject({
      Properties: {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.x-accessproof-id-token'],
        JwtConfiguration: { Audience: [expect.anything()] },
      },
    });
    const byKey = Object.fromEntries(routes.map((r) => [r.RouteKey, r.AuthorizationType ?? 'NONE']));
    expect(byKey).toEqual({
      'GET /': 'JWT',
      'GET /{proxy+}': 'JWT',
      'POST /{proxy+}': 'JWT',
      'GET /o': 'JWT',
      'GET /o/{proxy+}': 'JWT',
      'POST /o/{proxy+}': 'JWT',
      'GET /auth/{proxy+}': 'NONE',
    });
    reviews.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
    });
  });

  it('federates the user pool to the OIDC IdP with the secret by dynamic reference, and a PKCE public client', () => {
    // Arrange
    const text = JSON.stringify(reviews.toJSON());
    // Assert
    reviews.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'EntraID',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({
        client_id: OIDC.clientId,
        oidc_issuer: OIDC.issuerUrl,
        client_secret: Match.stringLikeRegexp(
          `^\\{\\{resolve:secretsmanager:${OIDC.clientSecretName}:SecretString:`,
        ),
      }),
    });
    reviews.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      SupportedIdentityProviders: ['EntraID'],
      CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
    reviews.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    reviews.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-accessproof-reviews' });
    expect(text).not.toMatch(/client_secret":"[^{]/);
  });

  it('serves assets from a private bucket through OAC and everything else from the API, with the WAF rate limit', () => {
    // Arrange
    const dist = Object.values(reviews.findResources('AWS::CloudFront::Distribution'))[0] as {
      Properties: { DistributionConfig: Record<string, unknown> };
    };
    const config = dist.Properties.DistributionConfig as {
      Origins: { S3OriginConfig?: unknown; OriginAccessControlId?: unknown; CustomOriginConfig?: unknown }[];
      DefaultCacheBehavior: { FunctionAssociations: { EventType: string }[]; ViewerProtocolPolicy: string };
      CacheBehaviors: { PathPattern: string }[];
      WebACLId?: unknown;
      Logging?: unknown;
    };
    // Assert
    reviews.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    expect(config.Origins.filter((o) => o.OriginAccessControlId)).toHaveLength(1);
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(['/assets/*']);
    expect(config.DefaultCacheBehavior.FunctionAssociations.map((f) => f.EventType)).toEqual([
      'viewer-request',
    ]);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.WebACLId).toBeDefined();
    expect(config.Logging).toBeDefined();
    reviews.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'CLOUDFRONT',
      Rules: [
        Match.objectLike({ Statement: { RateBasedStatement: { Limit: 600, AggregateKeyType: 'IP' } } }),
      ],
    });
    reviews.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('gives every log group a retention and runs reminders on a schedule', () => {
    const groups = Object.values(reviews.findResources('AWS::Logs::LogGroup')) as {
      Properties: { RetentionInDays?: number };
    }[];
    expect(groups.length).toBeGreaterThanOrEqual(3);
    for (const g of groups) expect(g.Properties.RetentionInDays).toBe(180);
    reviews.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 7 * * ? *)' });
  });

  it('lets scan and seal read the reviews table, and seal write only the audit marker partition', () => {
    // Arrange
    const runtime = synthesized.runtime;
    const statementsOf = (service: string) =>
      Object.fromEntries(
        roleStatements(runtime, functionRole(runtime, service)).map((s) => [s.Sid, s]),
      ) as Record<string, Statement>;
    const envOf = (service: string) =>
      (
        Object.values(
          runtime.findResources('AWS::Lambda::Function', {
            Properties: { Environment: { Variables: { POWERTOOLS_SERVICE_NAME: service } } },
          }),
        )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
    const tableId = Object.keys(reviews.findResources('AWS::DynamoDB::Table'))[0]!;
    const seal = statementsOf('accessproof-seal');
    const scan = statementsOf('accessproof-scan');
    const others = ['accessproof-notify', 'accessproof-plan', 'accessproof-release'].map((s) =>
      Object.values(statementsOf(s)),
    );
    // Assert: read actions only for both, on the reviews table (a cross-stack reference to its ARN).
    for (const bySid of [seal, scan]) {
      expect(bySid.ReviewsRead?.Action).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
      ]);
      expect(JSON.stringify(bySid.ReviewsRead?.Resource)).toContain('AccessProof-Reviews');
      expect(JSON.stringify(bySid.ReviewsRead?.Resource)).toContain(tableId);
      expect(asList(bySid.DataKeyUse?.Action)).toEqual(expect.arrayContaining(['kms:Decrypt']));
    }
    expect(JSON.stringify(envOf('accessproof-seal').REVIEWS_TABLE)).toContain(tableId);
    expect(JSON.stringify(envOf('accessproof-scan').REVIEWS_TABLE)).toContain(tableId);
    // The scan never writes the table; the seal writes one partition: the sealed-up-to marker.
    expect(
      Object.values(scan).some((s) =>
        asList(s.Action).some(
          (a) =>
            /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a) && JSON.stringify(s.Resource).includes(tableId),
        ),
      ),
    ).toBe(false);
    expect(seal.ReviewsAuditSealMarker).toMatchObject({
      Action: 'dynamodb:PutItem',
      Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['AUDIT-SEALED'] } },
    });
    expect(JSON.stringify(seal.ReviewsAuditSealMarker?.Resource)).toContain(tableId);
    for (const statements of others) {
      expect(statements.some((s) => String(s.Sid).startsWith('Reviews'))).toBe(false);
    }
  });

  it('is not deployed without `reviews`', () => {
    expect(
      synthesized.app.node
        .findAll()
        .some((c) => c.node.id === 'Reviews' && c !== synthesized.accessProof.reviews),
    ).toBe(false);
    expect(Object.keys(synthesized.runtime.findResources('AWS::Cognito::UserPool'))).toEqual([]);
  });
});

describe('reviews stack options', () => {
  const build = (props: Partial<ReviewsStackProps>, region?: string) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const keyStack = new ReviewsStack(app, 'Dummy', {
      projectRoot: PROJECT_ROOT,
      dataKey: undefined as unknown as Key,
      ...(region ? { env: { region, account: '111122223333' } } : {}),
      ...props,
    });
    return keyStack;
  };

  it('refuses a new pool without a domain prefix, an existing pool without its domain, and a WAF outside us-east-1', () => {
    expect(() => build({})).toThrow(/domainPrefix/);
    expect(() => build({ existingUserPoolId: 'eu-west-1_abc' })).toThrow(/existingUserPoolDomainUrl/);
    expect(() => build({ domainPrefix: 'acme', waf: { rateLimitPer5Minutes: 500 } }, 'eu-west-1')).toThrow(
      /us-east-1/,
    );
    expect(() => build({ domainPrefix: 'acme', oidc: { ...OIDC, issuerUrl: 'http://x' } })).toThrow(/https/);
  });
});

describe('viewer-request function (CloudFront Functions code)', () => {
  const run = (request: Record<string, unknown>) => {
    const sandbox: { handler?: (e: unknown) => unknown } = {};
    runInNewContext(`${viewerRequestFunctionCode()}; this.handler = handler;`, sandbox);
    return sandbox.handler!({ request: { headers: {}, cookies: {}, method: 'GET', ...request } }) as Record<
      string,
      unknown
    >;
  };

  it('moves the ID token cookie into the authorizer header and drops a header the client sent', () => {
    const out = run({
      uri: '/c/rev-1',
      cookies: { ap_id: { value: 'tok' } },
      headers: { 'x-accessproof-id-token': { value: 'forged' } },
    });
    expect((out.headers as Record<string, { value: string }>)['x-accessproof-id-token']).toEqual({
      value: 'tok',
    });
  });

  it('sends a GET without the cookie to sign-in, and leaves sign-in and assets alone', () => {
    const out = run({ uri: '/c/rev-1', headers: { 'x-accessproof-id-token': { value: 'forged' } } });
    expect(out.statusCode).toBe(302);
    expect((out.headers as Record<string, { value: string }>).location!.value).toBe(
      '/auth/login?next=%2Fc%2Frev-1',
    );
    const auth = run({ uri: '/auth/callback', headers: { 'x-accessproof-id-token': { value: 'forged' } } });
    expect(auth.uri).toBe('/auth/callback');
    expect((auth.headers as Record<string, unknown>)['x-accessproof-id-token']).toBeUndefined();
    const post = run({ uri: '/c/rev-1/decide', method: 'POST' });
    expect(post.uri).toBe('/c/rev-1/decide');
  });
});
