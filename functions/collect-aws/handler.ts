/**
 * Step 2 (collect) for AWS IAM sources: one account per call, through the read-only member role
 * the plan named (assumed with the deployment's ExternalId). Bundles only the AWS connector.
 */
import { awsIamConnector } from '../../connectors/aws-iam';
import type { AwsSource } from '../../core/config';
import { collectHandler } from '../shared/collect-handler';
import { readEnvironment } from '../shared/environment';
import { observability } from '../shared/observability';

const { EXTERNAL_ID } = readEnvironment(['EXTERNAL_ID']);

/** A member-account role trusts the collector only with the deployment's ExternalId. */
export function withDeploymentExternalId(source: AwsSource, externalId: string | undefined): AwsSource {
  if (source.externalId || !externalId || !source.roleArn) return source;
  return { ...source, externalId };
}

export const handler = collectHandler(observability(), {
  system: 'aws',
  connector: () => awsIamConnector,
  prepare: (source) => withDeploymentExternalId(source, EXTERNAL_ID),
});
