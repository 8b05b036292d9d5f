/**
 * The collect step for a system whose live connector authenticates with a credential kept in the
 * source's Secrets Manager secret (`SOURCE_SECRETS`: source id → secret ARN): Entra ID and
 * Salesforce. A files-mode source, or one without a secret, uses the connector the CLI uses.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AnyConnector } from '../../core/connector';
import { collectHandler, type LiveSystem } from './collect-handler';
import { readEnvironment } from './environment';
import type { Observability } from './observability';

export interface SecretCollectorOptions<S extends Exclude<LiveSystem, 'aws'>> {
  system: S;
  /** Files mode, or live with credentials from the environment (as on one machine). */
  connector: AnyConnector;
  /** The live connector reading its credential from the secret `arn`. */
  withSecret(secrets: SecretsManagerClient, arn: string): AnyConnector;
  deadlineMarginMs?: number;
}

/**
 * @example
 * export const handler = secretCollectHandler(observability(), { system: 'entra', connector: entraConnector,
 *   withSecret: (secrets, arn) => createEntraConnector({ credential: secretsManagerEntraCredential(secrets, arn) }) });
 */
export function secretCollectHandler<S extends Exclude<LiveSystem, 'aws'>>(
  obs: Observability,
  options: SecretCollectorOptions<S>,
) {
  const { SOURCE_SECRETS } = readEnvironment(['SOURCE_SECRETS']);
  const secrets = obs.tracer.captureAWSv3Client(new SecretsManagerClient({}));
  return collectHandler(obs, {
    system: options.system,
    ...(options.deadlineMarginMs ? { deadlineMarginMs: options.deadlineMarginMs } : {}),
    connector: (source) => {
      const arn = SOURCE_SECRETS[source.id];
      return source.files || !arn ? options.connector : options.withSecret(secrets, arn);
    },
  });
}
