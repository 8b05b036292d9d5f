/**
 * The real esbuild bundling `cdk synth` does (local esbuild, never Docker): every bundle loads in a
 * fresh Node process and validates its event, and the Salesforce collector — bundled with jsforce's
 * core entry instead of the package entry (infra/lib/lambda-entries.ts) — still collects a live org
 * from a local Salesforce imitation, so the alias cannot silently drop something the connector uses.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSalesforce } from '../integration/salesforce/fake-salesforce';
import { CLIENT_ID, keyPair, ORG_ID, testOrgTables, USERNAME } from '../integration/salesforce/harness';
import { startLocalS3 } from '../support/s3rver';
import { synth } from './synth';

const run = promisify(execFile);

/** Environment the bind helpers would set, with well-formed placeholder values. */
const LAMBDA_ENV = {
  STAGING_BUCKET: 'accessproof-staging-111122223333-eu-west-1',
  STAGING_BUCKET_OWNER: '111122223333',
  EVIDENCE_BUCKET: 'accessproof-evidence-111122223333-eu-west-1',
  EVIDENCE_BUCKET_OWNER: '111122223333',
  EVIDENCE_RETENTION_DAYS: '2557',
  FINDINGS_TABLE: 'findings',
  SIGNING_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1',
  ANCHOR_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:accessproof-chain-anchors',
  FINDINGS_EVENT_BUS: 'accessproof-findings',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_SERVICE_NAME: 'bundle-probe',
  POWERTOOLS_METRICS_NAMESPACE: 'AccessProof',
};

/** Load a bundle in a fresh Node process, invoke its handler with `event`, print `RESULT …`. */
async function invoke(dir: string, event: unknown, env: Record<string, string> = {}): Promise<string> {
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    try {
      const out = await handler(${JSON.stringify(event)}, { getRemainingTimeInMillis: () => 600000, functionName: 'probe', awsRequestId: 'r1' });
      console.log('RESULT ok ' + JSON.stringify(out));
    } catch (e) { console.log('RESULT', e.name, e.message); }`;
  // Asynchronous: the local servers the bundle talks to run in this process.
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, ...env },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.split('\n').find((l) => l.startsWith('RESULT')) ?? stdout;
}

/** Each bundle directory, by the step whose function deploys it (POWERTOOLS_SERVICE_NAME). */
let bundles: Record<string, string>;

beforeAll(() => {
  // Arrange (shared): a docker binary that does not exist, so any Docker fallback would throw.
  const saved = process.env.CDK_DOCKER;
  process.env.CDK_DOCKER = '/nonexistent/docker-must-not-be-used';
  try {
    const { app, accessProof, runtime } = synth({ bundle: true });
    const manifest = JSON.parse(
      readFileSync(join(app.outdir, `${accessProof.runtime.artifactId}.assets.json`), 'utf8'),
    ) as { files: Record<string, { source: { path: string } }> };
    const fns = Object.values(runtime.findResources('AWS::Lambda::Function')) as {
      Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, string> } };
    }[];
    bundles = Object.fromEntries(
      fns.map((f) => {
        const hash = f.Properties.Code.S3Key.replace(/\.zip$/, '');
        const step = f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME!.replace(/^accessproof-/, '');
        return [step, join(app.outdir, manifest.files[hash]!.source.path)];
      }),
    );
  } finally {
    if (saved === undefined) delete process.env.CDK_DOCKER;
    else process.env.CDK_DOCKER = saved;
  }
}, 240_000);

describe('bundling', () => {
  it('bundles every step handler with the local esbuild, never Docker, into ESM that loads and validates events', async () => {
    // Arrange
    const dirs = Object.values(bundles);

    // Act
    const results: Record<string, string> = {};
    for (const [step, dir] of Object.entries(bundles)) results[step] = await invoke(dir, {});

    // Assert: eight ESM bundles with source maps; the AWS collector and scan also carry the IAM action catalogue.
    expect(Object.keys(bundles).sort()).toEqual(
      [
        'collect-aws',
        'collect-entra',
        'collect-salesforce',
        'notify',
        'plan',
        'release',
        'scan',
        'seal',
      ].sort(),
    );
    for (const dir of dirs)
      expect(statSync(dir).isDirectory() && existsSync(join(dir, 'index.mjs'))).toBe(true);
    const withCatalogue = Object.entries(bundles)
      .filter(([, dir]) => existsSync(join(dir, 'iam-data', 'data', 'actions', 's3.json')))
      .map(([step]) => step);
    expect(withCatalogue.sort()).toEqual(['collect-aws', 'scan']);
    for (const step of withCatalogue) {
      expect(
        readFileSync(join(bundles[step]!, 'index.mjs'), 'utf8').includes(
          'IAM_DATA_ROOT:"/var/task/iam-data/"',
        ),
      ).toBe(true);
    }
    for (const dir of dirs) {
      expect(
        readdirSync(dir)
          .filter((f) => f !== 'iam-data')
          .sort(),
      ).toEqual(['index.mjs', 'index.mjs.map']);
      // The banner that gives ESM bundles a `require` for the CommonJS dependencies that still call it.
      const head = readFileSync(join(dir, 'index.mjs'), 'utf8').slice(0, 120);
      expect(
        head.startsWith(
          "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        ),
      ).toBe(true);
    }
    // Each bundle starts, reads its environment and refuses the empty event with an InputError naming its step.
    expect(
      Object.fromEntries(
        Object.entries(results).map(([step, r]) => [
          step,
          /RESULT InputError .*?([\w-]+) event:/.exec(r)?.[1],
        ]),
      ),
    ).toEqual(Object.fromEntries(Object.keys(bundles).map((step) => [step, step])));
  }, 120_000);

  it('each collector bundle holds its own connector only (the split keeps jsforce out of the others)', () => {
    // Arrange
    const text = (step: string) => readFileSync(join(bundles[step]!, 'index.mjs'), 'utf8');

    // Assert: Salesforce's OAuth endpoint (jsforce) is only in the Salesforce collector…
    expect(text('collect-salesforce')).toContain('services/oauth2/token');
    for (const step of ['collect-aws', 'collect-entra', 'plan', 'scan', 'seal', 'notify'])
      expect({ step, jsforce: text(step).includes('services/oauth2/token') }).toEqual({
        step,
        jsforce: false,
      });
    // …and there without the metadata, apex and streaming plugins the package entry registers.
    expect(
      ['listMetadata', 'executeAnonymous', 'faye'].filter((k) => text('collect-salesforce').includes(k)),
    ).toEqual([]);
    // The IAM client only in the AWS collector.
    expect(text('collect-aws')).toContain('GetAccountAuthorizationDetails');
    expect(text('collect-entra').includes('GetAccountAuthorizationDetails')).toBe(false);
  });

  describe('the Salesforce collector bundle, live, against local servers', () => {
    const keys = keyPair();
    let fake: FakeSalesforce;
    let s3: Awaited<ReturnType<typeof startLocalS3>>;
    beforeAll(async () => {
      fake = new FakeSalesforce({
        orgId: ORG_ID,
        tables: testOrgTables(),
        clientId: CLIENT_ID,
        username: USERNAME,
        publicKey: keys.publicKey,
      });
      await fake.start();
      s3 = await startLocalS3();
      await s3.createBucket(LAMBDA_ENV.STAGING_BUCKET);
    });
    afterAll(async () => {
      await fake?.stop();
      await s3?.stop();
    });

    it('authenticates with the JWT bearer flow, pages through every query and stages the snapshot', async () => {
      // Arrange: no secret for the source, so the bundle uses the key from the environment (as the CLI does).
      const event = {
        runId: 'bundle-run',
        resumes: 0,
        source: {
          id: 'sfdc',
          system: 'salesforce',
          financiallySignificant: true,
          loginUrl: fake.url,
          clientId: CLIENT_ID,
          username: USERNAME,
          objects: ['Credit_Limit__c', 'Invoice__c'],
        },
      };

      // Act
      const out = await invoke(bundles['collect-salesforce']!, event, {
        SALESFORCE_PRIVATE_KEY: keys.privateKey,
        AWS_ENDPOINT_URL_S3: s3.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      });

      // Assert
      expect(out.startsWith('RESULT ok ')).toBe(true);
      const result = JSON.parse(out.slice('RESULT ok '.length)) as {
        done: boolean;
        result: { status: string; mode: string; tenant: string; counts: { principals: number } };
      };
      expect(result).toMatchObject({
        done: true,
        result: { status: 'complete', mode: 'api', tenant: ORG_ID, counts: { principals: 10 } },
      });
      expect(fake.requests[0]?.body).toContain(
        'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer',
      );
    }, 60_000);
  });
});
