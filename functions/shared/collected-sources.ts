/**
 * The sources' results as the Map state left them: inline, an array of SourceResult; Distributed,
 * a ResultWriter manifest in the staging bucket whose SUCCEEDED files are JSON Lines of the
 * children's outputs and whose FAILED/PENDING files keep each child's Input, Error and Cause.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';
import { failedSource } from '../../core/run/collect';
import type { SourceResult } from '../../core/run/types';
import { type collectedSchema, plannedSourceSchema, type runPlanSchema, sourceResultSchema } from './events';

const manifestSchema = z.object({
  ResultFiles: z.record(z.string(), z.array(z.object({ Key: z.string() }))),
});

const childSchema = z.object({
  Input: z.string(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
  Status: z.string().optional(),
});

/**
 * Every source's result for the later steps: those the plan already failed (an Organization whose
 * accounts could not be listed), then the collected ones.
 *
 * @example
 * const sources = await runSources(event.plan, event.collected, s3, env.STAGING_BUCKET_OWNER);
 */
export async function runSources(
  plan: z.infer<typeof runPlanSchema>,
  collected: z.infer<typeof collectedSchema>,
  s3: S3Client,
  expectedBucketOwner: string,
): Promise<SourceResult[]> {
  return [...plan.failed, ...(await collectedSources(collected, s3, expectedBucketOwner))];
}

/**
 * @example
 * const sources = await collectedSources(event.collected, s3, env.STAGING_BUCKET_OWNER);
 */
export async function collectedSources(
  collected: z.infer<typeof collectedSchema>,
  s3: S3Client,
  expectedBucketOwner: string,
): Promise<SourceResult[]> {
  if (Array.isArray(collected)) return collected;
  const { Bucket, Key } = collected.resultWriter;
  const read = async (key: string) => {
    const out = await s3.send(
      new GetObjectCommand({ Bucket, Key: key, ExpectedBucketOwner: expectedBucketOwner }),
    );
    return (await out.Body?.transformToString('utf-8')) ?? '';
  };
  const manifest = manifestSchema.parse(JSON.parse(await read(Key)));
  const results: SourceResult[] = [];
  for (const [status, files] of Object.entries(manifest.ResultFiles)) {
    for (const file of files) {
      for (const line of (await read(file.Key)).split('\n')) {
        if (line.trim() === '') continue;
        const value: unknown = JSON.parse(line);
        if (status === 'SUCCEEDED') results.push(sourceResultSchema.parse(value));
        else results.push(unfinishedChild(childSchema.parse(value), status));
      }
    }
  }
  return results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A child execution that failed (its Catch could not run) or never ran: that source failed. */
function unfinishedChild(child: z.infer<typeof childSchema>, status: string): SourceResult {
  const { source } = z.object({ source: plannedSourceSchema }).parse(JSON.parse(child.Input));
  const why = [child.Error, child.Cause].filter(Boolean).join(': ') || status.toLowerCase();
  return failedSource(source.id, source.system, `collect execution ${status.toLowerCase()}: ${why}`);
}
