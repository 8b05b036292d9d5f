/**
 * The AWS IAM connector. Files mode reads exports (`source.files`); live mode calls the IAM API.
 * Live mode is wired in here once `./live/live-connector` exists (see docs/connectors/aws-iam.md).
 */
import { awsFilesConnector } from './files-connector';

export { loadActionCatalog, loadActionExpander, loadPrivilegeClassifier } from './action-catalog';
export { awsFilesConnector } from './files-connector';
export {
  AwsNormalizer,
  normalizeAccount,
  parseAuthorizationDetails,
  parseCredentialReport,
} from './normalize';

/**
 * @example
 * await collectSource({ connector: awsIamConnector, source, key, staging, now, logger });
 */
export const awsIamConnector = awsFilesConnector;
