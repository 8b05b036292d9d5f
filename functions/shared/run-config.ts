/**
 * The run configuration the state machine carries (`$.runConfig`: the config file's text and its
 * rulesets) turned back into what core needs: the validated Config, the bytes the plan hashes, and
 * the SoD rulesets — parsed with the same parser the CLI uses (core/config-text.ts).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type * as z from 'zod';
import { compileRunRulesets } from '../../connectors/plan-sources';
import type { Config } from '../../core/config';
import { parseConfigText } from '../../core/config-text';
import { InputError } from '../../core/errors';
import { type CompiledRuleset, parseRulesets, type Ruleset } from '../../core/sod';
import { runConfigDocumentSchema, type runConfigSchema } from './events';

export interface ParsedRunConfig {
  config: Config;
  /** Config text then each ruleset's text, as bytes: `planRun` hashes them into `configSha256`. */
  inputs: Uint8Array[];
  rulesets: Ruleset[];
  /** Each ruleset's path as the config names it and its text: policy.json seals them. */
  rulesetTexts: { path: string; text: string }[];
}

type RunConfigDocument = z.infer<typeof runConfigDocumentSchema>;
let fetched: { key: string; doc: Promise<RunConfigDocument> } | undefined;

/**
 * The run config document: the one in the event, or the one the deployment staged in S3, read
 * once per warm Lambda and checked against the SHA-256 the state machine carries (a changed object
 * is refused, never used).
 *
 * @example
 * const doc = await loadRunConfig(event.runConfig, s3, env.RUN_CONFIG_BUCKET_OWNER);
 */
export async function loadRunConfig(
  ref: z.infer<typeof runConfigSchema>,
  s3: S3Client,
  expectedBucketOwner: string | undefined,
): Promise<RunConfigDocument> {
  if ('text' in ref) return ref;
  const id = `${ref.bucket}/${ref.key}#${ref.sha256}`;
  if (fetched?.key !== id) {
    const doc = fetchRunConfig(ref, s3, expectedBucketOwner);
    fetched = { key: id, doc };
    doc.catch(() => {
      if (fetched?.key === id) fetched = undefined; // a failed read is retried by the next call
    });
  }
  return fetched.doc;
}

async function fetchRunConfig(
  ref: { bucket: string; key: string; sha256: string; file: string },
  s3: S3Client,
  expectedBucketOwner: string | undefined,
): Promise<RunConfigDocument> {
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(expectedBucketOwner ? { ExpectedBucketOwner: expectedBucketOwner } : {}),
    }),
  );
  const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array();
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== ref.sha256)
    throw new InputError(
      `the staged run config s3://${ref.bucket}/${ref.key} has SHA-256 ${sha256}, the deployment recorded ${ref.sha256}`,
      { file: ref.file },
    );
  const parsed = runConfigDocumentSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success)
    throw new InputError(`the staged run config s3://${ref.bucket}/${ref.key} is not a run config document`, {
      file: ref.file,
    });
  return parsed.data;
}

/**
 * @example
 * const { config, inputs, rulesets } = parseRunConfig(await loadRunConfig(event.runConfig, s3, owner));
 */
export function parseRunConfig(doc: RunConfigDocument): ParsedRunConfig {
  const config = parseConfigText(doc.text, doc.file);
  const byPath = new Map(doc.rulesets.map((r) => [r.path, r.text]));
  const texts = config.policy.sodRules.map((path) => {
    const text = byPath.get(path);
    if (text === undefined) throw new InputError('ruleset not shipped with the run config', { file: path });
    return { path, text };
  });
  const encode = (s: string) => new TextEncoder().encode(s);
  return {
    config,
    inputs: [encode(doc.text), ...texts.map((t) => encode(t.text))],
    rulesets: parseRulesets(texts.map((t) => ({ text: t.text, file: t.path }))),
    rulesetTexts: texts,
  };
}

let compiled: { key: string; value: Promise<CompiledRuleset | undefined> } | undefined;

/** The run's rulesets compiled as `accessproof scan` compiles them; kept for the warm Lambda's next run. */
export function compileRunRulesetsOnce(rulesets: Ruleset[]): Promise<CompiledRuleset | undefined> {
  const key = JSON.stringify(rulesets);
  if (compiled?.key !== key) compiled = { key, value: compileRunRulesets(rulesets) };
  return compiled.value;
}
