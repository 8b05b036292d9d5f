/**
 * The run's S3 staging area (docs/staging.md): snapshots between collect, scan and seal, and the
 * scan result between scan, seal and notify.
 */
export { S3RunStore } from './s3-run-store';
export { S3SnapshotStaging } from './s3-snapshot-staging';
export { DEFAULT_PART_SIZE, S3CallError, type S3StagingOptions } from './staging-bucket';
