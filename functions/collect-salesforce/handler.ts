/**
 * Step 2 (collect) for Salesforce sources: live collection reads the JWT key or client secret from
 * the source's secret. Bundles only the Salesforce connector (jsforce's core, see
 * infra/lib/lambda-entries.ts).
 */
import {
  createSalesforceConnector,
  salesforceConnector,
  secretsManagerCredentials,
} from '../../connectors/salesforce';
import { observability } from '../shared/observability';
import { secretCollectHandler } from '../shared/secret-collect-handler';

export const handler = secretCollectHandler(observability(), {
  system: 'salesforce',
  connector: salesforceConnector,
  withSecret: (secrets, arn) =>
    createSalesforceConnector({ credentials: secretsManagerCredentials(secrets, arn) }),
});
