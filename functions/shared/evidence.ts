/**
 * The evidence side the scan and seal functions share: the findings table and a reader of the
 * object-locked evidence bucket.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDbFindingsRepository } from '../../stores/dynamodb-findings';
import { S3PackReader } from '../../stores/s3-evidence/s3-pack-reader';
import type { Observability } from './observability';

export function findingsRepository(obs: Observability, tableName: string): DynamoDbFindingsRepository {
  return new DynamoDbFindingsRepository({
    tableName,
    client: obs.tracer.captureAWSv3Client(new DynamoDBClient({})),
  });
}

/** A fresh reader per run: it caches the bucket listing. */
export function evidencePackReader(
  s3: S3Client,
  env: { EVIDENCE_BUCKET: string; EVIDENCE_PREFIX: string; EVIDENCE_BUCKET_OWNER: string },
): S3PackReader {
  return new S3PackReader({
    client: s3,
    bucket: env.EVIDENCE_BUCKET,
    prefix: env.EVIDENCE_PREFIX,
    expectedBucketOwner: env.EVIDENCE_BUCKET_OWNER,
  });
}
