/**
 * Microsoft Entra ID connector (`system: entra`): users, guests, service principals, managed
 * identities and app registrations with their credentials, owners and sign-in activity; directory
 * roles, app roles, groups and delegated grants. Files mode reads saved Graph responses
 * (docs/connectors/entra-id.md lists the file names).
 *
 * @example
 * import { entraConnector } from './connectors/entra-id';
 * const outcome = await collectSource({ connector: entraConnector, source, key, staging, now, logger });
 */
export {
  createEntraConnector,
  ENTRA_CONNECTOR_VERSION,
  type EntraConnectorOptions,
  entraConnector,
} from './connector';
export {
  credentialFromSecretText,
  type EntraCredentialProvider,
  localEntraCredential,
  secretsManagerEntraCredential,
} from './credentials';
export { CREDENTIAL_ACTIVITY_TAG } from './service-principals';
export type { EntraState } from './state';
export { ACTIVITY_TAG } from './users';
