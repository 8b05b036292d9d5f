/**
 * Salesforce connector: public surface. The registry wires `salesforceConnector`; a Lambda builds
 * its own with `createSalesforceConnector({ credentials: secretsManagerCredentials(…) })`.
 *
 * @example
 * import { salesforceConnector } from './connectors/salesforce';
 * const outcome = await collectSource({ connector: salesforceConnector, source, key, staging, now, logger });
 */
export {
  CONNECTOR_NAME,
  CONNECTOR_VERSION,
  createSalesforceConnector,
  type SalesforceConnectorOptions,
  type SalesforceState,
  salesforceConnector,
} from './connector';
export {
  type CredentialsProvider,
  DEFAULT_CLIENT_SECRET_ENV,
  DEFAULT_PRIVATE_KEY_ENV,
  localCredentials,
  type SalesforceCredentials,
  secretsManagerCredentials,
  staticCredentials,
} from './credentials';
export { classifyUser, INTEGRATION_LICENCE, INTEGRATION_USER_TYPES } from './principals';
export { checkObjectNames, QUERY_PLAN, soqlFor } from './queries';
export { PRIVILEGED_SYSTEM_PERMISSIONS, SYSTEM_PERMISSIONS } from './system-permissions';
