/**
 * The plan and scan steps read the run config the deployment staged in S3 (infra: a file asset),
 * checked against the SHA-256 the state machine carries: other bytes are refused, never used.
 * Against s3rver (a real S3 API on 127.0.0.1).
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../core/errors';
import { loadRunConfig, parseRunConfig } from '../../../functions/shared/run-config';
import { runConfigBytes } from '../../../infra/lib/run-config';
import { type LocalS3, startLocalS3 } from '../../support/s3rver';

const document = {
  file: 'infra/config/accessproof.yaml',
  text: 'organization: Staged\nsources:\n  - id: entra\n    system: entra\n    tenantId: 00000000-0000-0000-0000-000000000000\n',
  rulesets: [],
};
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3();
  await s3.createBucket('assets');
});
afterAll(async () => {
  await s3?.stop();
});

describe('the staged run config', () => {
  it('is read by bucket and key and parsed when its SHA-256 matches', async () => {
    // Arrange
    const bytes = runConfigBytes(document);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await s3.client().send(new PutObjectCommand({ Bucket: 'assets', Key: `${sha256}.json`, Body: bytes }));

    // Act
    const doc = await loadRunConfig(
      { file: document.file, bucket: 'assets', key: `${sha256}.json`, sha256 },
      s3.client(),
      undefined,
    );

    // Assert
    expect(doc).toEqual(document);
    expect(parseRunConfig(doc).config.organization).toBe('Staged');
  });

  it('is refused, naming the object and both hashes, when the object holds other bytes', async () => {
    // Arrange: the object was replaced after deployment.
    const recorded = createHash('sha256').update(runConfigBytes(document)).digest('hex');
    const other = runConfigBytes({ ...document, text: document.text.replace('Staged', 'Tampered') });
    await s3.client().send(new PutObjectCommand({ Bucket: 'assets', Key: 'replaced.json', Body: other }));

    // Act
    const loading = loadRunConfig(
      { file: document.file, bucket: 'assets', key: 'replaced.json', sha256: recorded },
      s3.client(),
      undefined,
    );

    // Assert
    await expect(loading).rejects.toBeInstanceOf(InputError);
    await expect(loading).rejects.toThrow(
      new RegExp(`s3://assets/replaced.json has SHA-256 [0-9a-f]{64}, the deployment recorded ${recorded}`),
    );
  });

  it('passes an inline document through (handler tests)', async () => {
    // Act / Assert
    expect(await loadRunConfig(document, s3.client(), undefined)).toBe(document);
  });
});
