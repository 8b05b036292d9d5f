/**
 * The reviewer app in AWS (issue 17), as its own stack `<prefix>-Reviews` when the AccessProof
 * construct gets `reviews: {…}`: CloudFront (the app's one origin for reviewers) → HTTP API with a
 * JWT authorizer backed by a Cognito user pool federated to the company IdP (OIDC, e.g. Entra ID)
 * → the reviews-api Lambda (the same router `accessproof serve` runs) → the reviews table. Static
 * assets come from a private S3 bucket through Origin Access Control. A scheduled Lambda sends
 * reminders and escalations to an SNS topic. Deployment steps: docs/reviews-aws.md.
 *
 * Sign-in: `/auth/*` (no authorizer) runs the hosted-UI code flow with PKCE and keeps the ID token
 * in an HttpOnly cookie; a CloudFront Function copies that cookie into the header the authorizer
 * reads (HTTP API JWT authorizers read headers or query strings only, never cookies).
 */
import { join } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AllowedMethods,
  CachePolicy,
  Function as CloudFrontFunction,
  Distribution,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  FeaturePlan,
  type IUserPool,
  OAuthScope,
  ProviderAttribute,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolIdentityProviderOidc,
} from 'aws-cdk-lib/aws-cognito';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { APP_CSS } from '../../core/reviews/web/html';
import { ID_TOKEN_COOKIE, ID_TOKEN_HEADER } from '../../functions/shared/cognito-sign-in';
import { AppFunction, type KeyReference } from './app-function';
import { acknowledgeFinding, acknowledgeGeneratedPolicyWildcards } from './nag';

/** The company IdP the user pool federates to (OIDC; docs/reviews-aws.md has the Entra ID steps). */
export interface ReviewsOidcProvider {
  /** The provider's name in the user pool (also the `identity_provider` the app sends). @default 'EntraID' */
  name?: string;
  /** Entra ID: `https://login.microsoftonline.com/<tenant-id>/v2.0`. */
  issuerUrl: string;
  /** The app registration's (client) id. */
  clientId: string;
  /**
   * Secrets Manager secret (name or ARN) holding the app registration's client secret; the
   * template carries a dynamic reference, never the value.
   */
  clientSecretName: string;
  /** A JSON key inside the secret, when it holds an object. */
  clientSecretJsonField?: string;
}

export interface ReviewsOptions {
  /**
   * An existing user pool (by id) instead of a new one; its hosted UI domain must be given as
   * `existingUserPoolDomainUrl`, and its IdP (if any) by `existingIdentityProviderName`.
   */
  existingUserPoolId?: string;
  existingUserPoolDomainUrl?: string;
  existingIdentityProviderName?: string;
  /** New pool: the hosted UI domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), globally unique. */
  domainPrefix?: string;
  /** New pool: federate to this OIDC provider (reviewers then sign in only through it). */
  oidc?: ReviewsOidcProvider;
  /**
   * WAF rate limiting on CloudFront: requests per 5 minutes per client IP (a CLOUDFRONT-scope web
   * ACL, which AWS allows only in us-east-1), or the ARN of an existing web ACL. @default none
   */
  waf?: { rateLimitPer5Minutes: number } | { webAclArn: string };
  /** When reminders run (EventBridge). @default 'cron(0 7 * * ? *)' (07:00 UTC daily) */
  reminderSchedule?: string;
  /** API Gateway throttling of the one stage. @default 20 requests/s, burst 40 */
  throttle?: { rateLimit: number; burstLimit: number };
  /**
   * Emails (as the IdP's verified email claim) allowed to use the owner screens (`/o`: start,
   * follow, remind from the scheduler, close). Adds the `review-start` function, the only one that reads the evidence bucket
   * (its sealed inventory) and the findings table. @default none: campaigns cannot be started in AWS
   */
  campaignOwners?: string[];
}

/** Where the review-start function reads the newest sealed pack and the open findings. */
export interface ReviewsEvidenceSource {
  bucketName: string;
  /** The bucket's account when it is another (a dedicated evidence account). */
  account?: string;
  encryptionKey: KeyReference;
  prefix: string;
  findingsTable: ITable;
}

export interface ReviewsStackProps extends StackProps, ReviewsOptions {
  projectRoot: string;
  /** Encrypts the table, the topic and the log groups (the deployment's data key). */
  dataKey: IKey;
  logRetention?: RetentionDays;
  /** CloudWatch namespace of the functions' metrics (the deployment's). @default 'AccessProof' */
  metricsNamespace?: string;
  /** Needed with `campaignOwners`: the evidence the campaigns are started from. */
  evidence?: ReviewsEvidenceSource;
}

/** Name of the provider in the user pool when `oidc.name` is not given. */
export const DEFAULT_OIDC_PROVIDER_NAME = 'EntraID';

/**
 * CloudFront Function (viewer request): the ID token cookie becomes the authorizer's header. A
 * header of that name sent by the client is dropped first, so only the cookie counts; a GET
 * without the cookie goes to sign-in. `/auth/*` and `/assets/*` pass untouched.
 */
export function viewerRequestFunctionCode(): string {
  return `function handler(event) {
  var req = event.request;
  delete req.headers['${ID_TOKEN_HEADER}'];
  var uri = req.uri;
  if (uri.indexOf('/auth/') === 0 || uri.indexOf('/assets/') === 0 || uri === '/favicon.ico') return req;
  var c = req.cookies['${ID_TOKEN_COOKIE}'];
  if (c && c.value) {
    req.headers['${ID_TOKEN_HEADER}'] = { value: c.value };
    return req;
  }
  if (req.method === 'GET') {
    return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/auth/login?next=' + encodeURIComponent(uri) } } };
  }
  return req;
}`;
}

export class ReviewsStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly distribution: Distribution;
  readonly userPool: IUserPool;
  readonly client: UserPoolClient;
  readonly apiFunction: AppFunction;
  readonly remindersFunction: AppFunction;
  /** With `campaignOwners`: the owner screens (`/o`, `/o/*`). */
  readonly startFunction?: AppFunction;
  readonly noticesTopic: Topic;
  readonly assetsBucket: Bucket;

  constructor(scope: Construct, id: string, props: ReviewsStackProps) {
    super(scope, id, props);
    checkOptions(props, this.region);
    const logRetention = props.logRetention ?? RetentionDays.SIX_MONTHS;

    this.table = new Table(this, 'ReviewsTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.dataKey,
      deletionProtection: true,
      // Decisions are evidence until the next pack seals them: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.noticesTopic = new Topic(this, 'ReviewNotices', {
      displayName: 'AccessProof review reminders and escalations',
      masterKey: props.dataKey,
      enforceSSL: true,
    });

    // --- static assets: private bucket, CloudFront reads it through OAC ---------------------------
    const logs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(logs, 'AwsSolutions-S1', 'This is the access log bucket itself.');
    this.assetsBucket = new Bucket(this, 'Assets', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'assets/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    // --- the API function -------------------------------------------------------------------------
    this.apiFunction = new AppFunction(this, 'ReviewsApi', {
      entry: join(props.projectRoot, 'functions/reviews-api/handler.ts'),
      projectRoot: props.projectRoot,
      serviceName: 'accessproof-reviews-api',
      description: 'Reviewer web app (HTTP API proxy to the reviews router)',
      timeout: Duration.seconds(15),
      memorySize: 1024,
      logRetention,
      logKey: props.dataKey,
      ...(props.metricsNamespace ? { metricsNamespace: props.metricsNamespace } : {}),
    });
    this.apiFunction.bindReviewsTable(this.table, props.dataKey);

    // --- HTTP API -----------------------------------------------------------------------------------
    this.api = new HttpApi(this, 'Api', {
      description: 'AccessProof reviewer app (reached through CloudFront)',
      createDefaultStage: true,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      encryptionKey: props.dataKey,
    });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        time: '$context.requestTime',
        method: '$context.httpMethod',
        path: '$context.path',
        status: '$context.status',
        authorizerError: '$context.authorizer.error',
        // The reviewer, as verified by the authorizer (no token is ever logged).
        email: '$context.authorizer.claims.email',
      }),
    };
    stage.defaultRouteSettings = {
      throttlingRateLimit: props.throttle?.rateLimit ?? 20,
      throttlingBurstLimit: props.throttle?.burstLimit ?? 40,
    };

    // --- CloudFront ---------------------------------------------------------------------------------
    const viewerRequest = new CloudFrontFunction(this, 'IdTokenCookieToHeader', {
      code: FunctionCode.fromInline(viewerRequestFunctionCode()),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Reviewer app: ID token cookie to the JWT authorizer header',
    });
    const apiDomain = `${this.api.apiId}.execute-api.${this.region}.${this.urlSuffix}`;
    const webAclArn = this.webAcl(props);
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'AccessProof reviewer app',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      ...(webAclArn ? { webAclId: webAclArn } : {}),
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        functionAssociations: [{ function: viewerRequest, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        '/assets/*': {
          origin: S3BucketOrigin.withOriginAccessControl(this.assetsBucket),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        },
      },
    });
    acknowledgeFinding(
      this.distribution,
      'AwsSolutions-CFR1',
      'Reviewers are the company’s staff wherever they travel; the IdP decides who signs in.',
    );
    acknowledgeFinding(
      this.distribution,
      'AwsSolutions-CFR4',
      'The default *.cloudfront.net certificate; put a custom domain with TLSv1.2_2021 in front for production (docs/reviews-aws.md).',
    );
    if (!webAclArn) {
      acknowledgeFinding(
        this.distribution,
        'AwsSolutions-CFR2',
        'WAF is opt-in (reviews.waf); without it API Gateway stage throttling limits the rate.',
      );
    }
    const baseUrl = `https://${this.distribution.distributionDomainName}`;
    new BucketDeployment(this, 'AssetsDeployment', {
      sources: [Source.data('assets/app.css', APP_CSS)],
      destinationBucket: this.assetsBucket,
      prune: true,
      logGroup: new LogGroup(this, 'AssetsDeploymentLogs', {
        retention: logRetention,
        encryptionKey: props.dataKey,
      }),
    });
    this.acknowledgeAssetsDeployment();

    // --- Cognito ------------------------------------------------------------------------------------
    const signIn = this.userPoolFor(props, baseUrl);
    this.userPool = signIn.pool;
    this.client = signIn.client;
    this.apiFunction.bindReviewSignIn({
      appBaseUrl: baseUrl,
      cognitoDomain: signIn.domainUrl,
      clientId: this.client.userPoolClientId,
      ...(signIn.providerName ? { identityProvider: signIn.providerName } : {}),
    });

    const authorizer = new HttpUserPoolAuthorizer('Reviewers', this.userPool, {
      userPoolClients: [this.client],
      identitySource: [`$request.header.${ID_TOKEN_HEADER}`],
    });
    const integration = new HttpLambdaIntegration('ReviewsApiIntegration', this.apiFunction.function);
    this.api.addRoutes({ path: '/', methods: [HttpMethod.GET], integration, authorizer });
    this.api.addRoutes({
      path: '/{proxy+}',
      methods: [HttpMethod.GET, HttpMethod.POST],
      integration,
      authorizer,
    });
    if (props.campaignOwners?.length) {
      this.startFunction = this.campaignStart(props, logRetention, {
        appBaseUrl: baseUrl,
        ...(signIn.providerName ? { identityProvider: signIn.providerName } : {}),
      });
      // The owner screens (core/reviews/web/owner.ts, as `/o` of `accessproof serve`).
      const ownerIntegration = new HttpLambdaIntegration(
        'ReviewStartIntegration',
        this.startFunction.function,
      );
      this.api.addRoutes({
        path: '/o',
        methods: [HttpMethod.GET],
        integration: ownerIntegration,
        authorizer,
      });
      this.api.addRoutes({
        path: '/o/{proxy+}',
        methods: [HttpMethod.GET, HttpMethod.POST],
        integration: ownerIntegration,
        authorizer,
      });
    }
    const authRoutes = this.api.addRoutes({ path: '/auth/{proxy+}', methods: [HttpMethod.GET], integration });
    for (const route of authRoutes) {
      acknowledgeFinding(
        route,
        'AwsSolutions-APIG4',
        'The sign-in routes (/auth/login, /auth/callback, /auth/logout) run before a token exists; they grant nothing but the IdP-issued cookie.',
      );
    }

    // --- reminders ----------------------------------------------------------------------------------
    this.remindersFunction = new AppFunction(this, 'ReviewReminders', {
      entry: join(props.projectRoot, 'functions/review-reminders/handler.ts'),
      projectRoot: props.projectRoot,
      serviceName: 'accessproof-review-reminders',
      description: 'Review reminders and escalations to SNS (scheduled)',
      timeout: Duration.minutes(5),
      memorySize: 512,
      logRetention,
      logKey: props.dataKey,
      ...(props.metricsNamespace ? { metricsNamespace: props.metricsNamespace } : {}),
    });
    this.remindersFunction.bindReviewsTable(this.table, props.dataKey);
    this.remindersFunction.bindReviewNotices(this.noticesTopic, props.dataKey);
    this.remindersFunction.bindReviewSignIn({ appBaseUrl: baseUrl });
    new Rule(this, 'ReminderSchedule', {
      description: 'AccessProof review reminders and escalations',
      schedule: Schedule.expression(props.reminderSchedule ?? 'cron(0 7 * * ? *)'),
      targets: [new LambdaFunction(this.remindersFunction.function, { retryAttempts: 2 })],
    });

    new CfnOutput(this, 'ReviewerAppUrl', { value: baseUrl });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.client.userPoolClientId });
    new CfnOutput(this, 'ReviewsTableName', { value: this.table.tableName });
    new CfnOutput(this, 'ReviewNoticesTopicArn', { value: this.noticesTopic.topicArn });
  }

  /**
   * The owner's campaign start: reads the evidence bucket (sealed versions only) and the findings
   * table, writes the reviews table. No other function of the stack touches the evidence.
   */
  private campaignStart(
    props: ReviewsStackProps,
    logRetention: RetentionDays,
    signIn: { appBaseUrl: string; identityProvider?: string },
  ): AppFunction {
    const evidence = props.evidence;
    if (!evidence)
      throw new Error('AccessProof reviews: campaignOwners needs the evidence source (set by AccessProof)');
    const fn = new AppFunction(this, 'ReviewStart', {
      entry: join(props.projectRoot, 'functions/review-start/handler.ts'),
      projectRoot: props.projectRoot,
      serviceName: 'accessproof-review-start',
      description: 'Campaign start from the newest sealed pack (campaign owners only)',
      timeout: Duration.seconds(29),
      memorySize: 2048,
      logRetention,
      logKey: props.dataKey,
      ...(props.metricsNamespace ? { metricsNamespace: props.metricsNamespace } : {}),
    });
    const bucket = evidence.account
      ? Bucket.fromBucketAttributes(this, 'EvidenceBucket', {
          bucketName: evidence.bucketName,
          account: evidence.account,
        })
      : Bucket.fromBucketName(this, 'EvidenceBucket', evidence.bucketName);
    fn.bindEvidenceReader(bucket, evidence.encryptionKey, evidence.prefix);
    fn.bindFindingsTable(evidence.findingsTable, props.dataKey, { write: false });
    fn.bindReviewsTable(this.table, props.dataKey);
    fn.bindReviewSignIn(signIn);
    fn.bindReviewOwners(props.campaignOwners ?? []);
    return fn;
  }

  /** CDK's own BucketDeployment provider (a singleton Lambda) copies app.css at deploy time. */
  private acknowledgeAssetsDeployment(): void {
    const provider = this.node.children.find((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!provider) throw new Error('reviews: BucketDeployment provider not found');
    const why =
      'CDK-owned BucketDeployment provider: copies the CSS from the CDK assets bucket into the assets bucket at deploy time.';
    for (const id of [
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'AwsSolutions-IAM5[Action::s3:Abort*]',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-L1',
    ]) {
      acknowledgeFinding(provider, id, why);
    }
    const policy = provider.node.tryFindChild('ServiceRole')?.node.tryFindChild('DefaultPolicy');
    if (policy) acknowledgeGeneratedPolicyWildcards(policy, why);
  }

  private webAcl(props: ReviewsOptions): string | undefined {
    if (!props.waf) return undefined;
    if ('webAclArn' in props.waf) return props.waf.webAclArn;
    const acl = new CfnWebACL(this, 'RateLimit', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'AccessProofReviewsWebAcl',
        sampledRequestsEnabled: true,
      },
      rules: [
        {
          name: 'RatePerIp',
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit: props.waf.rateLimitPer5Minutes, aggregateKeyType: 'IP' },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'AccessProofReviewsRatePerIp',
            sampledRequestsEnabled: true,
          },
        },
      ],
    });
    return acl.attrArn;
  }

  private userPoolFor(
    props: ReviewsOptions,
    baseUrl: string,
  ): { pool: IUserPool; client: UserPoolClient; domainUrl: string; providerName?: string } {
    const oauth = {
      flows: { authorizationCodeGrant: true },
      scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
      callbackUrls: [`${baseUrl}/auth/callback`],
      logoutUrls: [`${baseUrl}/auth/signed-out`],
    };
    const clientProps = {
      // A public client: PKCE protects the code, and no secret sits in the function.
      generateSecret: false,
      oAuth: oauth,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(8),
      preventUserExistenceErrors: true,
      authFlows: {},
    };
    if (props.existingUserPoolId) {
      const pool = UserPool.fromUserPoolId(this, 'UserPool', props.existingUserPoolId);
      const providerName = props.existingIdentityProviderName;
      const client = new UserPoolClient(this, 'ReviewerAppClient', {
        userPool: pool,
        ...clientProps,
        supportedIdentityProviders: [
          providerName
            ? UserPoolClientIdentityProvider.custom(providerName)
            : UserPoolClientIdentityProvider.COGNITO,
        ],
      });
      return {
        pool,
        client,
        domainUrl: props.existingUserPoolDomainUrl!,
        ...(providerName ? { providerName } : {}),
      };
    }
    const pool = new UserPool(this, 'UserPool', {
      // Reviewers come from the company IdP: nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledgeFinding(
      pool,
      'AwsSolutions-COG2',
      'Reviewers sign in through the company IdP, which enforces MFA (Entra ID Conditional Access); the pool has no local users.',
    );
    acknowledgeFinding(
      pool,
      'AwsSolutions-COG8',
      'The Plus plan adds threat protection for local users; the pool has none (federated sign-in only).',
    );
    acknowledgeFinding(
      pool,
      'AwsSolutions-COG3',
      'Threat protection (Plus plan) screens local passwords; federated sign-ins are screened by the company IdP.',
    );
    const domain = pool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: props.domainPrefix! } });
    let providerName: string | undefined;
    let provider: UserPoolIdentityProviderOidc | undefined;
    if (props.oidc) {
      providerName = props.oidc.name ?? DEFAULT_OIDC_PROVIDER_NAME;
      provider = new UserPoolIdentityProviderOidc(this, 'CompanyIdp', {
        userPool: pool,
        name: providerName,
        issuerUrl: props.oidc.issuerUrl,
        clientId: props.oidc.clientId,
        // A dynamic reference: CloudFormation resolves it, the template never holds the value.
        clientSecret: SecretValue.secretsManager(props.oidc.clientSecretName, {
          ...(props.oidc.clientSecretJsonField ? { jsonField: props.oidc.clientSecretJsonField } : {}),
        }).unsafeUnwrap(),
        scopes: ['openid', 'email', 'profile'],
        attributeMapping: {
          email: ProviderAttribute.other('email'),
          fullname: ProviderAttribute.other('name'),
        },
      });
    }
    const client = pool.addClient('ReviewerAppClient', {
      ...clientProps,
      supportedIdentityProviders: [
        providerName
          ? UserPoolClientIdentityProvider.custom(providerName)
          : UserPoolClientIdentityProvider.COGNITO,
      ],
    });
    if (provider) client.node.addDependency(provider);
    return {
      pool,
      client,
      domainUrl: domain.baseUrl(),
      ...(providerName ? { providerName } : {}),
    };
  }
}

function checkOptions(props: ReviewsOptions, region: string): void {
  for (const owner of props.campaignOwners ?? []) {
    if (!/^[^\s@,]+@[^\s@,]+$/.test(owner.trim())) {
      throw new Error(`AccessProof reviews: campaignOwners: "${owner}" is not an email address`);
    }
  }
  if (props.existingUserPoolId) {
    if (!props.existingUserPoolDomainUrl?.startsWith('https://')) {
      throw new Error(
        'AccessProof reviews: existingUserPoolId needs existingUserPoolDomainUrl (the pool’s hosted UI, https://…)',
      );
    }
    if (props.oidc || props.domainPrefix) {
      throw new Error(
        'AccessProof reviews: oidc and domainPrefix configure a new user pool; with existingUserPoolId name its provider by existingIdentityProviderName',
      );
    }
  } else if (!props.domainPrefix || !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(props.domainPrefix)) {
    throw new Error(
      'AccessProof reviews: domainPrefix (lower-case letters, digits, hyphens; globally unique) is required for a new user pool',
    );
  }
  if (props.oidc && !/^https:\/\//.test(props.oidc.issuerUrl)) {
    throw new Error(
      'AccessProof reviews: oidc.issuerUrl must be https:// (Entra ID: https://login.microsoftonline.com/<tenant>/v2.0)',
    );
  }
  if (props.waf && 'rateLimitPer5Minutes' in props.waf) {
    const limit = props.waf.rateLimitPer5Minutes;
    if (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000) {
      throw new Error('AccessProof reviews: waf.rateLimitPer5Minutes must be an integer from 10 up');
    }
    if (!Token.isUnresolved(region) && region !== 'us-east-1') {
      throw new Error(
        `AccessProof reviews: a CloudFront web ACL can only be created in us-east-1 (this stack is in ${region}); create one there and pass waf.webAclArn`,
      );
    }
  }
}
