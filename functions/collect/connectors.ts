/**
 * Which connector collects a source in Lambda: Entra and Salesforce live sources read their
 * credentials from the source's secret (`SOURCE_SECRETS`); everything else is the CLI's registry.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { connectorFor } from '../../connectors/registry';
import type { SourceConfig } from '../../core/config';
import type { AnyConnector } from '../../core/connector';

/**
 * @example
 * const connectors = lambdaConnectors(secrets, env.SOURCE_SECRETS);
 * const connector = await connectors(source);
 */
export function lambdaConnectors(secrets: SecretsManagerClient, secretArns: Record<string, string>) {
  return async (source: SourceConfig): Promise<AnyConnector> => {
    const arn = secretArns[source.id];
    if (source.system === 'entra' && !source.files && arn) {
      const { createEntraConnector, secretsManagerEntraCredential } = await import(
        '../../connectors/entra-id'
      );
      return createEntraConnector({ credential: secretsManagerEntraCredential(secrets, arn) });
    }
    if (source.system === 'salesforce' && !source.files && arn) {
      const { createSalesforceConnector, secretsManagerCredentials } = await import(
        '../../connectors/salesforce'
      );
      return createSalesforceConnector({ credentials: secretsManagerCredentials(secrets, arn) });
    }
    return connectorFor(source.system);
  };
}

/** A member-account role trusts the collector only with the deployment's ExternalId. */
export function withDeploymentExternalId<S extends SourceConfig>(
  source: S,
  externalId: string | undefined,
): S {
  if (source.system !== 'aws' || source.externalId || !externalId || !source.roleArn) return source;
  return { ...source, externalId };
}
