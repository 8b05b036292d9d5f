/**
 * Builds the SDK clients the live mode uses. Every client takes the same retry settings (SDK v3
 * standard mode) and, for tests, an endpoint and static credentials; otherwise credentials come
 * from the SDK's default chain (`AWS_PROFILE`, SSO, environment, instance or Lambda role).
 */
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsSource } from '../../../core/config';
import { readTimeoutMs } from '../../shared/read-timeout';

/** Standard mode retries throttling with exponential backoff; 8 attempts ride out IAM's 1-2 s bursts. */
export const DEFAULT_MAX_ATTEMPTS = 8;

type Credentials = NonNullable<IAMClientConfig['credentials']>;

/** What callers may inject into every client (tests: a fast retry strategy, fake keys). */
export interface ClientOptions {
  /** Ambient credentials; default: the SDK's default provider chain. */
  credentials?: Credentials;
  maxAttempts?: number;
  /** Replaces standard mode's strategy (tests pass one with zero backoff). */
  retryStrategy?: IAMClientConfig['retryStrategy'];
}

export type AwsEndpoints = NonNullable<AwsSource['endpoints']>;

function common(source: Pick<AwsSource, 'region'>, options: ClientOptions, credentials?: Credentials) {
  const creds = credentials ?? options.credentials;
  return {
    region: source.region,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    // An endpoint that accepts and never answers ends each attempt after the read timeout.
    requestHandler: {
      requestTimeout: readTimeoutMs(),
      connectionTimeout: Math.min(readTimeoutMs(), 30_000),
      throwOnRequestTimeout: true,
    },
    ...(options.retryStrategy ? { retryStrategy: options.retryStrategy } : { retryMode: 'standard' }),
    ...(creds ? { credentials: creds } : {}),
  };
}

export function iamClient(
  source: Pick<AwsSource, 'region' | 'endpoints'>,
  options: ClientOptions,
  credentials?: Credentials,
): IAMClient {
  const endpoint = source.endpoints?.iam;
  return new IAMClient({ ...common(source, options, credentials), ...(endpoint ? { endpoint } : {}) });
}

export function stsClient(
  source: Pick<AwsSource, 'region' | 'endpoints'>,
  options: ClientOptions,
): STSClient {
  const endpoint = source.endpoints?.sts;
  return new STSClient({ ...common(source, options), ...(endpoint ? { endpoint } : {}) });
}

export function organizationsClient(
  source: Pick<AwsSource, 'region' | 'endpoints'>,
  options: ClientOptions,
): OrganizationsClient {
  const endpoint = source.endpoints?.organizations;
  return new OrganizationsClient({ ...common(source, options), ...(endpoint ? { endpoint } : {}) });
}

/** Identity Center is read with the ambient (management or delegated-admin) credentials, not the member role. */
export function ssoAdminClient(
  source: Pick<AwsSource, 'region' | 'endpoints'>,
  options: ClientOptions,
): SSOAdminClient {
  const endpoint = source.endpoints?.ssoAdmin;
  return new SSOAdminClient({ ...common(source, options), ...(endpoint ? { endpoint } : {}) });
}

export function identityStoreClient(
  source: Pick<AwsSource, 'region' | 'endpoints'>,
  options: ClientOptions,
): IdentitystoreClient {
  const endpoint = source.endpoints?.identityStore;
  return new IdentitystoreClient({ ...common(source, options), ...(endpoint ? { endpoint } : {}) });
}
