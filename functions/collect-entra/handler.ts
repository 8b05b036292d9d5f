/**
 * Step 2 (collect) for Microsoft Entra ID sources: live collection reads the app credential from
 * the source's secret (`SOURCE_SECRETS`). Bundles only the Entra connector (Graph, Azure identity).
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  createEntraConnector,
  entraConnector,
  secretsManagerEntraCredential,
} from '../../connectors/entra-id';
import { collectHandler } from '../shared/collect-handler';
import { readEnvironment } from '../shared/environment';
import { observability } from '../shared/observability';

const obs = observability();
const { SOURCE_SECRETS } = readEnvironment(['SOURCE_SECRETS']);
const secrets = obs.tracer.captureAWSv3Client(new SecretsManagerClient({}));

export const handler = collectHandler(obs, {
  system: 'entra',
  connector: (source) => {
    const arn = SOURCE_SECRETS[source.id];
    // Files mode (and a source without a secret) is the connector the CLI uses.
    if (source.files || !arn) return entraConnector;
    return createEntraConnector({ credential: secretsManagerEntraCredential(secrets, arn) });
  },
});
