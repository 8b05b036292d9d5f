/**
 * Shared pieces of the live AWS connector tests: an in-memory staging, a fast retry strategy
 * that records its backoffs, a logger that keeps every line, and source configs aimed at the
 * local imitation.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { createMemoryAwsManagedPolicyCache } from '../../../connectors/aws-iam/live/aws-managed-policy-cache';
import { createAwsLiveConnector } from '../../../connectors/aws-iam/live/live-connector';
import { type AwsSource, awsSourceSchema } from '../../../core/config';
import type { Logger } from '../../../core/connector';
import type { AwsImitation } from '../../support/aws-query-server/aws-imitation';
import type { AuthorizationExport } from '../../support/aws-query-server/iam-imitation';

export { MemoryStaging } from '../../support/memory-staging';

export const FIXTURES = new URL('../../fixtures/aws/', import.meta.url);
export const fixturePath = (name: string) => new URL(name, FIXTURES).pathname;
export const readFixture = (name: string) => readFileSync(fixturePath(name), 'utf8');
export const readAuthorization = (name: string) => JSON.parse(readFixture(name)) as AuthorizationExport;

/**
 * A real credential report fixture as the given account's IAM would serve it: IAM only ever
 * reports the calling account's users, so every ARN names that account. (The fixtures come from
 * other accounts than the authorization exports; the connector rightly refuses such a mix.)
 */
export function reportOfAccount(name: string, accountId: string): string {
  return readFixture(name).replace(/arn:aws:iam::\d{12}:/g, `arn:aws:iam::${accountId}:`);
}

export const RUN_START = new Date('2026-10-01T00:00:00Z');
export const now = () => RUN_START;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Header object and body text of a finalized snapshot. */
export function splitSnapshot(text: string | undefined): { header: Record<string, unknown>; body: string } {
  if (text === undefined) throw new Error('no snapshot');
  const nl = text.indexOf('\n');
  return {
    header: JSON.parse(nl === -1 ? text : text.slice(0, nl)),
    body: nl === -1 ? '' : text.slice(nl + 1),
  };
}

/** Every line the code under test logged, as text, so tests can prove what never appears. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
  };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** Standard retry mode's classification and quota, with the backoff recorded instead of slept. */
export function fastRetries(maxAttempts = 8) {
  const backoffs: number[] = [];
  const strategy = new ConfiguredRetryStrategy(maxAttempts, (attempt: number) => {
    backoffs.push(attempt);
    return 0;
  });
  return { strategy, backoffs };
}

export function liveSource(aws: AwsImitation, overrides: Partial<AwsSource> & { id: string }): AwsSource {
  return awsSourceSchema.parse({
    system: 'aws',
    endpoints: { iam: aws.endpoint, sts: aws.endpoint, organizations: aws.endpoint },
    ...overrides,
  });
}

/** A connector with its own caches (a fresh process), fake keys, recorded sleeps and backoffs. */
export function liveConnector(aws: AwsImitation) {
  const sleeps: number[] = [];
  const retries = fastRetries();
  const connector = createAwsLiveConnector({
    client: { credentials: aws.ambientCredentials, retryStrategy: retries.strategy },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    awsManagedPolicies: createMemoryAwsManagedPolicyCache(),
  });
  return { connector, sleeps, backoffs: retries.backoffs };
}

/** The export as IAM lists it: the account's own policies, then the AWS-managed ones. */
export function accountPoliciesFirst(authz: AuthorizationExport): AuthorizationExport {
  const policies = authz.Policies ?? [];
  const aws = (p: Record<string, unknown>) => String(p.Arn).includes(':iam::aws:policy/');
  return { ...authz, Policies: [...policies.filter((p) => !aws(p)), ...policies.filter(aws)] };
}

/** Users + groups + roles + local policies: what the account pages cover. */
export function entityCount(authz: AuthorizationExport): number {
  const local = (authz.Policies ?? []).filter((p) => !String(p.Arn).includes(':iam::aws:policy/')).length;
  return (
    (authz.UserDetailList?.length ?? 0) +
    (authz.GroupDetailList?.length ?? 0) +
    (authz.RoleDetailList?.length ?? 0) +
    local
  );
}
