/**
 * Step 2 (collect) for Microsoft Entra ID sources: live collection reads the app credential from
 * the source's secret. Bundles only the Entra connector (Graph client, Azure identity).
 */
import {
  createEntraConnector,
  entraConnector,
  secretsManagerEntraCredential,
} from '../../connectors/entra-id';
import { observability } from '../shared/observability';
import { secretCollectHandler } from '../shared/secret-collect-handler';

export const handler = secretCollectHandler(observability(), {
  system: 'entra',
  connector: entraConnector,
  // One Graph step can wait out Retry-After in the SDK's retry handler for up to 180 s.
  deadlineMarginMs: 200_000,
  withSecret: (secrets, arn) =>
    createEntraConnector({ credential: secretsManagerEntraCredential(secrets, arn) }),
});
