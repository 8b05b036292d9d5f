/**
 * Where the Salesforce secret comes from. The connector never reads a secret from config: the JWT
 * private key comes from a file or an environment variable on one machine, from Secrets Manager in
 * AWS, or is injected (a key or a ready access token) by whoever composes the connector.
 */

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { SalesforceSource } from '../../core/config';
import { InputError, SourceError } from '../../core/errors';
import { readInputFile } from '../shared/input-file';

export type SalesforceCredentials =
  /** OAuth 2.0 JWT bearer flow: the connected app's certificate key (PEM). */
  | { kind: 'jwt'; privateKey: string }
  /** OAuth 2.0 client-credentials flow: the connected app's consumer secret. */
  | { kind: 'client-credentials'; clientSecret: string }
  /** A session obtained elsewhere (e.g. by a Lambda that ran the flow itself). */
  | { kind: 'access-token'; accessToken: string; instanceUrl: string };

/** Resolves the secret for one source when a collection (or a resumed one) opens its session. */
export type CredentialsProvider = (source: SalesforceSource) => Promise<SalesforceCredentials>;

export const DEFAULT_PRIVATE_KEY_ENV = 'SALESFORCE_PRIVATE_KEY';
export const DEFAULT_CLIENT_SECRET_ENV = 'SALESFORCE_CLIENT_SECRET';

/**
 * One machine: the JWT key from `privateKeyFile` or the environment variable `privateKeyEnv`
 * (default `SALESFORCE_PRIVATE_KEY`, PEM text, `\n` escapes allowed); the client secret from
 * `clientSecretEnv` (default `SALESFORCE_CLIENT_SECRET`).
 *
 * @example
 * const connector = createSalesforceConnector({ credentials: localCredentials() });
 */
export function localCredentials(env: NodeJS.ProcessEnv = process.env): CredentialsProvider {
  return async (source) => {
    if (source.auth === 'client-credentials') {
      const name = source.clientSecretEnv ?? DEFAULT_CLIENT_SECRET_ENV;
      const clientSecret = env[name];
      if (!clientSecret) {
        throw new InputError(
          `client-credentials flow needs the consumer secret in the environment variable ${name}`,
          {
            field: `sources.${source.id}.clientSecretEnv`,
          },
        );
      }
      return { kind: 'client-credentials', clientSecret };
    }
    if (source.privateKeyFile) {
      try {
        return {
          kind: 'jwt',
          privateKey: (await readInputFile(source.privateKeyFile, 'key')).toString('utf8'),
        };
      } catch (err) {
        const code =
          (err as NodeJS.ErrnoException).code ??
          (err instanceof InputError ? (/\((E[A-Z]+)\)$/.exec(err.message)?.[1] ?? undefined) : undefined);
        if (err instanceof InputError && !code) throw err; // not a regular file, or too large
        throw new InputError(`private key file cannot be read (${code ?? 'unreadable'})`, {
          file: source.privateKeyFile,
          field: `sources.${source.id}.privateKeyFile`,
        });
      }
    }
    const name = source.privateKeyEnv ?? DEFAULT_PRIVATE_KEY_ENV;
    const pem = env[name];
    if (!pem) {
      throw new InputError(`JWT bearer flow needs privateKeyFile or the environment variable ${name}`, {
        field: `sources.${source.id}.privateKeyFile`,
      });
    }
    return { kind: 'jwt', privateKey: pem.replace(/\\n/g, '\n') };
  };
}

const secretJson = z
  .object({
    privateKey: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    accessToken: z.string().min(1).optional(),
    instanceUrl: z.string().url().optional(),
  })
  .loose();

const SECRET_SHAPE =
  'the Salesforce secret is neither a PEM key nor JSON with privateKey, clientSecret or accessToken + instanceUrl';

/**
 * AWS: the secret `secretId` holds either the PEM key itself or JSON with `privateKey`,
 * `clientSecret`, or `accessToken` + `instanceUrl`. Read once per session, never logged.
 *
 * @example
 * const connector = createSalesforceConnector({
 *   credentials: secretsManagerCredentials(new SecretsManagerClient({}), process.env.SALESFORCE_SECRET_ARN!),
 * });
 */
export function secretsManagerCredentials(
  client: SecretsManagerClient,
  secretId: string,
): CredentialsProvider {
  return async () => {
    // The SDK module is loaded when a secret is read: every CLI start imports this file (cli/secrets.ts).
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    let text: string | undefined;
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      text = out.SecretString;
    } catch (err) {
      throw new SourceError(`cannot read the Salesforce secret: ${(err as Error).name}`, {
        operation: 'secretsmanager:GetSecretValue',
        cause: err,
      });
    }
    if (!text) {
      throw new SourceError('the Salesforce secret has no SecretString', {
        operation: 'secretsmanager:GetSecretValue',
      });
    }
    if (text.trimStart().startsWith('-----BEGIN')) return { kind: 'jwt', privateKey: text };
    let parsed: z.infer<typeof secretJson>;
    try {
      parsed = secretJson.parse(JSON.parse(text));
    } catch {
      // Never echo the secret's content: name only what was expected.
      throw new SourceError(SECRET_SHAPE, { operation: 'secretsmanager:GetSecretValue' });
    }
    if (parsed.privateKey) return { kind: 'jwt', privateKey: parsed.privateKey };
    if (parsed.clientSecret) return { kind: 'client-credentials', clientSecret: parsed.clientSecret };
    if (parsed.accessToken && parsed.instanceUrl) {
      return { kind: 'access-token', accessToken: parsed.accessToken, instanceUrl: parsed.instanceUrl };
    }
    throw new SourceError(SECRET_SHAPE, { operation: 'secretsmanager:GetSecretValue' });
  };
}

/** A fixed secret (tests, or a Lambda that already fetched it). */
export function staticCredentials(credentials: SalesforceCredentials): CredentialsProvider {
  return async () => credentials;
}

/** The secret values a credential holds, for the run's scrubber. */
export function secretValuesOf(credentials: SalesforceCredentials): string[] {
  if (credentials.kind === 'jwt') return [credentials.privateKey];
  if (credentials.kind === 'client-credentials') return [credentials.clientSecret];
  return [credentials.accessToken];
}
