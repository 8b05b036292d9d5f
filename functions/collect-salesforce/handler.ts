/**
 * Step 2 (collect) for Salesforce sources: live collection reads the JWT key or client secret from
 * the source's secret (`SOURCE_SECRETS`). Bundles only the Salesforce connector (jsforce).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createSalesforceConnector,
  salesforceConnector,
  secretsManagerCredentials,
} from '../../connectors/salesforce';
import { collectHandler } from '../shared/collect-handler';
import { readEnvironment } from '../shared/environment';
import { observability } from '../shared/observability';

const obs = observability();
const { SOURCE_SECRETS } = readEnvironment(['SOURCE_SECRETS']);
const secrets = obs.tracer.captureAWSv3Client(new SecretsManagerClient({}));

export const handler = collectHandler(obs, {
  system: 'salesforce',
  connector: (source) => {
    const arn = SOURCE_SECRETS[source.id];
    // Files mode (and a source without a secret) is the connector the CLI uses.
    if (source.files || !arn) return salesforceConnector;
    return createSalesforceConnector({ credentials: secretsManagerCredentials(secrets, arn) });
  },
});
