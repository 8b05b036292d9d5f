/**
 * Where the Entra app credential comes from. Never from config: a certificate (preferred) or a
 * client secret from the environment on one machine, from Secrets Manager in AWS, or injected as a
 * ready `TokenCredential` by whoever composes the connector.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ClientCertificateCredential, ClientSecretCredential, type TokenCredential } from '@azure/identity';
import * as z from 'zod';
import type { EntraSource } from '../../core/config';
import { InputError, SourceError } from '../../core/errors';

/**
 * Resolves the credential for one source when a collection (or a resumed one) opens. `secret`
 * registers the secret values it read (a client secret, a private key) with the run, so an
 * upstream quoting them back is scrubbed by value.
 */
export type EntraCredentialProvider = (
  source: EntraSource,
  secret?: (value: string) => void,
) => Promise<TokenCredential>;

/** Where tokens come from, as the source says (`authorityHost`, `disableInstanceDiscovery`). */
function authorityOptions(source: EntraSource): {
  authorityHost?: string;
  disableInstanceDiscovery?: boolean;
} {
  return {
    ...(source.authorityHost ? { authorityHost: source.authorityHost } : {}),
    ...(source.disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
  };
}

function clientIdOf(source: EntraSource, fallback: string | undefined): string {
  const clientId = source.clientId ?? fallback;
  if (!clientId) {
    throw new InputError('the app (client) id is missing: set clientId or AZURE_CLIENT_ID', {
      field: `sources.${source.id}.clientId`,
    });
  }
  return clientId;
}

/**
 * One machine: `AZURE_CLIENT_CERTIFICATE_PATH` (PEM with the private key; preferred) or
 * `AZURE_CLIENT_SECRET`, with `AZURE_CLIENT_ID` unless the source names `clientId`.
 *
 * @example
 * const connector = createEntraConnector({ credential: localEntraCredential() });
 */
export function localEntraCredential(env: NodeJS.ProcessEnv = process.env): EntraCredentialProvider {
  return async (source) => {
    const clientId = clientIdOf(source, env.AZURE_CLIENT_ID);
    const certificatePath = env.AZURE_CLIENT_CERTIFICATE_PATH;
    if (certificatePath)
      return new ClientCertificateCredential(source.tenantId, clientId, {
        certificatePath,
        ...authorityOptions(source),
      });
    const secret = env.AZURE_CLIENT_SECRET;
    if (secret)
      return new ClientSecretCredential(source.tenantId, clientId, secret, authorityOptions(source));
    throw new InputError(
      'live Entra collection needs AZURE_CLIENT_CERTIFICATE_PATH (preferred) or AZURE_CLIENT_SECRET in the environment',
      { field: `sources.${source.id}` },
    );
  };
}

const secretJson = z.union([
  z.object({ clientId: z.string().min(1).optional(), certificate: z.string().min(1) }).loose(),
  z.object({ clientId: z.string().min(1).optional(), clientSecret: z.string().min(1) }).loose(),
]);

/**
 * Build a credential from a secret's text: JSON `{clientId?, certificate}` (PEM with the private
 * key; preferred) or `{clientId?, clientSecret}`. Error messages never quote the text.
 *
 * @example
 * const credential = credentialFromSecretText(secretString, source);
 */
export function credentialFromSecretText(
  text: string,
  source: EntraSource,
  secret?: (value: string) => void,
): TokenCredential {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SourceError('the Entra secret is not JSON', { operation: 'secretsmanager:GetSecretValue' });
  }
  const parsed = secretJson.safeParse(json);
  if (!parsed.success) {
    throw new SourceError('the Entra secret needs "certificate" (PEM) or "clientSecret"', {
      operation: 'secretsmanager:GetSecretValue',
    });
  }
  const s = parsed.data;
  if ('certificate' in s && typeof s.certificate === 'string') secret?.(s.certificate);
  if ('clientSecret' in s && typeof s.clientSecret === 'string') secret?.(s.clientSecret);
  const clientId = clientIdOf(source, s.clientId);
  if ('certificate' in s && typeof s.certificate === 'string') {
    return new ClientCertificateCredential(source.tenantId, clientId, {
      certificate: s.certificate,
      ...authorityOptions(source),
    });
  }
  return new ClientSecretCredential(
    source.tenantId,
    clientId,
    (s as { clientSecret: string }).clientSecret,
    authorityOptions(source),
  );
}

/**
 * AWS: the secret `secretId` (ARN or name) holds the JSON of `credentialFromSecretText`. Read when a
 * collection opens, never logged.
 *
 * @example
 * const connector = createEntraConnector({
 *   credential: secretsManagerEntraCredential(new SecretsManagerClient({}), process.env.ENTRA_SECRET_ARN!),
 * });
 */
export function secretsManagerEntraCredential(
  client: SecretsManagerClient,
  secretId: string,
): EntraCredentialProvider {
  return async (source, secret) => {
    // The SDK module is loaded when the secret is read, not by every run that loads the connector.
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    let text: string | undefined;
    try {
      text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (err) {
      const name = err instanceof Error ? err.name : 'error';
      throw new SourceError(`cannot read the Entra secret (${name})`, {
        operation: 'secretsmanager:GetSecretValue',
      });
    }
    if (!text)
      throw new SourceError('the Entra secret has no SecretString', {
        operation: 'secretsmanager:GetSecretValue',
      });
    return credentialFromSecretText(text, source, secret);
  };
}
