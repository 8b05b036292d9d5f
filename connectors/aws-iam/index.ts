/**
 * The AWS IAM connector: files mode when the source has `files` (exports a person made), live mode
 * otherwise (the IAM API with the usual credential chain). Both emit the same records; see
 * docs/connectors/aws-iam.md.
 */
import type { AwsSource } from '../../core/config';
import type { Connector } from '../../core/connector';
import {
  AWS_CONNECTOR_NAME,
  AWS_CONNECTOR_VERSION,
  type AwsFilesState,
  awsFilesConnector,
} from './files-connector';
import type { AwsLiveState } from './live/live-state';

export { loadActionCatalog, loadActionExpander, loadPrivilegeClassifier } from './action-catalog';
export { awsFilesConnector } from './files-connector';
export {
  AwsNormalizer,
  normalizeAccount,
  parseAuthorizationDetails,
  parseCredentialReport,
} from './normalize';

export type AwsIamState = { mode: 'files'; files: AwsFilesState } | { mode: 'live'; live: AwsLiveState };

/** Loaded on first use: files mode never pays for the AWS SDK clients. */
async function live(): Promise<Connector<AwsSource, AwsLiveState>> {
  return (await import('./live/live-connector')).awsLiveConnector;
}

/**
 * @example
 * await collectSource({ connector: awsIamConnector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export const awsIamConnector: Connector<AwsSource, AwsIamState> = {
  name: AWS_CONNECTOR_NAME,
  version: AWS_CONNECTOR_VERSION,
  system: 'aws',

  async begin(ctx) {
    if (ctx.source.files) {
      const opened = await awsFilesConnector.begin(ctx);
      return { ...opened, state: { mode: 'files', files: opened.state } };
    }
    const opened = await (await live()).begin(ctx);
    return { ...opened, state: { mode: 'live', live: opened.state } };
  },

  async step(ctx, state) {
    if (state.mode === 'files') {
      const out = await awsFilesConnector.step(ctx, state.files);
      return {
        page: out.page,
        next: out.next ? { mode: 'files', files: out.next } : null,
        ...(out.evaluation ? { evaluation: out.evaluation } : {}),
      };
    }
    const out = await (await live()).step(ctx, state.live);
    return {
      page: out.page,
      next: out.next ? { mode: 'live', live: out.next } : null,
      ...(out.evaluation ? { evaluation: out.evaluation } : {}),
    };
  },
};
