/**
 * The run's staging bucket as the steps share it: snapshots under `snapshots/`, the scan result
 * (core's RunStore) under `run-store/`, the Distributed Map item list under `run-store/<runId>/`.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { S3RunStore, S3SnapshotStaging } from '../../stores/s3-staging';
import { readEnvironment } from './environment';
import type { Observability } from './observability';

export const SNAPSHOT_PREFIX = 'snapshots';
export const RUN_STORE_PREFIX = 'run-store';

export interface StagingLocation {
  bucket: string;
  expectedBucketOwner: string;
}

/**
 * @example
 * const { snapshots, runStore } = stagingStores(s3, { bucket: env.STAGING_BUCKET, expectedBucketOwner: env.STAGING_BUCKET_OWNER });
 */
export function stagingStores(client: S3Client, at: StagingLocation) {
  const options = { client, bucket: at.bucket, expectedBucketOwner: at.expectedBucketOwner };
  return {
    snapshots: new S3SnapshotStaging({ ...options, prefix: SNAPSHOT_PREFIX }),
    runStore: new S3RunStore({ ...options, prefix: RUN_STORE_PREFIX }),
  };
}

/** Where `runStore.put(runItemsKey(runId), …)` lands: the Distributed Map's ItemReader key. */
export function runItemsKey(runId: string): string {
  return `${runId}/sources.json`;
}

export function runItemsObjectKey(runId: string): string {
  return `${RUN_STORE_PREFIX}/${runItemsKey(runId)}`;
}

/** The step's S3 client, traced; path-style only when a local S3 server asks for it (tests). */
export function s3Client(obs: Observability): S3Client {
  const { S3_FORCE_PATH_STYLE } = readEnvironment(['S3_FORCE_PATH_STYLE']);
  return obs.tracer.captureAWSv3Client(new S3Client({ forcePathStyle: S3_FORCE_PATH_STYLE === 'true' }));
}
