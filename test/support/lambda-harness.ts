/**
 * The Lambda handlers run in the test process as the state machine runs them, against dynalite
 * and s3rver: payloads through JSON as Step Functions passes them, a Lambda context, the demo's
 * run config as a deployment ships it, the environment the AppFunction bind helpers set, and a
 * KMS signing key answered locally (aws-sdk-client-mock: the one AWS API with no local server).
 * Shared by test/integration/functions/run-on-demo and reviews-aws-flow.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { signDigestP256 } from '../unit/core/evidence/ecdsa-digest';
import type { RunningDynalite } from './dynalite';
import type { LocalS3 } from './s3rver';

const ROOT = resolve(import.meta.dirname, '../..');
const DEMO = join(ROOT, 'examples', 'demo');

export type Json = Record<string, unknown>;
export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** What Step Functions does to every payload and result: JSON out, JSON in. */
export const sfn = <T = Json>(value: unknown): T => JSON.parse(JSON.stringify(value)) as T;

/** A Lambda context whose clock the test scripts: `remaining()` answers getRemainingTimeInMillis. */
export function lambdaContext(
  remaining: () => number = () => 600_000,
  options: { functionName?: string; account?: string } = {},
): Context {
  const functionName = options.functionName ?? 'accessproof-test';
  return {
    functionName,
    awsRequestId: 'test-request',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${options.account ?? '111122223333'}:function:${functionName}`,
    memoryLimitInMB: '1024',
    getRemainingTimeInMillis: remaining,
  } as unknown as Context;
}

/**
 * The demo config as the run ships it: file paths absolute (a Lambda has no config folder to
 * resolve against), the ruleset named as shipped, no local evidence dir, the files-only systems
 * (ERP, SAP, HR: a Lambda has no local exports to read) left out; `extraSources` appended.
 */
export function demoRunConfig(extraSources: Json[] = []) {
  const config = parseYaml(readFileSync(join(DEMO, 'accessproof.yaml'), 'utf8')) as {
    sources: Json[];
    policy: Json;
    evidence?: Json;
  };
  const abs = (files: Record<string, string>) =>
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, join(DEMO, v)]));
  config.sources = [
    ...config.sources
      .filter((s) => s.system !== 'erp' && s.system !== 'sap' && s.system !== 'hr')
      .map((s) => ({ ...s, files: abs(s.files as Record<string, string>) })),
    ...extraSources,
  ];
  config.policy.sodRules = ['rules/sox-core.yaml'];
  delete config.evidence;
  return {
    file: 'demo-deploy.yaml',
    text: stringifyYaml(config),
    rulesets: [
      { path: 'rules/sox-core.yaml', text: readFileSync(join(ROOT, 'rules', 'sox-core.yaml'), 'utf8') },
    ],
  };
}

/**
 * The environment every step's handler reads at module load (what the AppFunction bind helpers
 * set), pointed at the local servers; `extra` adds or overrides per test file.
 */
export function handlerEnvironment(o: {
  s3: LocalS3;
  ddb: RunningDynalite;
  owner: string;
  staging: string;
  evidence: string;
  findingsTable: string;
  keyArn: string;
  anchorTopicArn: string;
  serviceName: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: o.s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: o.ddb.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    STAGING_BUCKET: o.staging,
    STAGING_BUCKET_OWNER: o.owner,
    EVIDENCE_BUCKET: o.evidence,
    EVIDENCE_BUCKET_OWNER: o.owner,
    EVIDENCE_PREFIX: '',
    EVIDENCE_RETENTION_DAYS: '2557',
    FINDINGS_TABLE: o.findingsTable,
    SIGNING_KEY_ARN: o.keyArn,
    FINDINGS_EVENT_BUS: 'accessproof-findings',
    NOTIFY_TOPIC_ARN: `arn:aws:sns:us-east-1:${o.owner}:accessproof`,
    ANCHOR_TOPIC_ARN: o.anchorTopicArn,
    EXTERNAL_ID: 'accessproof-test-external-id',
    SOURCE_SECRETS: '{}',
    PLAN_ITEMS: 'inline',
    POWERTOOLS_SERVICE_NAME: o.serviceName,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_NAMESPACE: 'AccessProof',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...o.extra,
  };
}

/** Each named step's handler (functions/<name>/handler.ts), imported after the environment is set. */
export async function loadHandlers<N extends string>(names: readonly N[]): Promise<Record<N, Handler>> {
  const handlers = {} as Record<N, Handler>;
  for (const name of names)
    handlers[name] = ((await import(`../../functions/${name}/handler.ts`)) as { handler: Handler }).handler;
  return handlers;
}

/** A P-256 manifest signing key. */
export function signingKeyPair(): { privateKey: KeyObject; publicKey: KeyObject; publicDer: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicKey,
    publicDer: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  };
}

/**
 * KMS answers for the manifest key `keyArn`: its public key, and ECDSA signatures of 32-byte
 * digests (anything else is refused, as KMS would for this key). While `down()` is true, Sign
 * fails as KMS does when it is unavailable.
 */
export function answerSigningKey(
  kms: AwsClientStub<KMSClient>,
  keyArn: string,
  key: { privateKey: KeyObject; publicDer: Uint8Array },
  down: () => boolean = () => false,
): void {
  kms.on(GetPublicKeyCommand).resolves({
    KeyId: keyArn,
    PublicKey: key.publicDer,
    KeySpec: 'ECC_NIST_P256',
    KeyUsage: 'SIGN_VERIFY',
    SigningAlgorithms: ['ECDSA_SHA_256'],
  });
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array; MessageType: string; KeyId: string }) => {
    if (down()) {
      throw Object.assign(new Error('KMS is unavailable'), {
        name: 'KMSInternalException',
        $metadata: { httpStatusCode: 500, attempts: 3 },
      });
    }
    if (input.KeyId !== keyArn || input.MessageType !== 'DIGEST' || input.Message.byteLength !== 32)
      throw new Error('expected a 32-byte DIGEST signed with the manifest key');
    return {
      KeyId: keyArn,
      Signature: signDigestP256(input.Message, key.privateKey),
      SigningAlgorithm: 'ECDSA_SHA_256',
    };
  });
}
