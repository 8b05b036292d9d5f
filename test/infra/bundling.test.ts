import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synth } from './synth';

/** Environment the bind helpers would set, with well-formed placeholder values. */
const LAMBDA_ENV = {
  STAGING_BUCKET: 'accessproof-staging-111122223333-eu-west-1',
  STAGING_BUCKET_OWNER: '111122223333',
  EVIDENCE_BUCKET: 'accessproof-evidence-111122223333-eu-west-1',
  EVIDENCE_BUCKET_OWNER: '111122223333',
  EVIDENCE_RETENTION_DAYS: '2557',
  FINDINGS_TABLE: 'findings',
  SIGNING_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1',
  FINDINGS_EVENT_BUS: 'accessproof-findings',
  NOTIFY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:t',
  AWS_REGION: 'eu-west-1',
  POWERTOOLS_SERVICE_NAME: 'bundle-probe',
  POWERTOOLS_METRICS_NAMESPACE: 'AccessProof',
};

/** Load a bundle in a fresh Node process and invoke its handler with an empty event. */
function invokeWithEmptyEvent(dir: string): string {
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    try { await handler({}, { getRemainingTimeInMillis: () => 60000, functionName: 'probe', awsRequestId: 'r1' }); console.log('RESULT ok'); }
    catch (e) { console.log('RESULT', e.name, e.message); }`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV },
    encoding: 'utf8',
    // The handlers' Powertools error logs go to stderr: keep them out of the test output.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.split('\n').find((l) => l.startsWith('RESULT')) ?? out;
}

describe('bundling', () => {
  it('bundles every step handler with the local esbuild, never Docker, into ESM that loads and validates events', () => {
    // Arrange: a docker binary that does not exist, so any Docker fallback would throw.
    const saved = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker-must-not-be-used';
    let outdir: string;
    let assets: Record<string, { source: { path: string } }>;
    try {
      // Act
      const { app, accessProof } = synth({ bundle: true });
      outdir = app.outdir;
      const manifest = JSON.parse(
        readFileSync(join(outdir, `${accessProof.runtime.artifactId}.assets.json`), 'utf8'),
      ) as { files: Record<string, { source: { path: string } }> };
      assets = manifest.files;
    } finally {
      if (saved === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = saved;
    }

    // Assert: five ESM bundles with source maps; collect and scan also carry the IAM action catalogue.
    const bundles = Object.values(assets)
      .map((a) => join(outdir, a.source.path))
      .filter((p) => statSync(p).isDirectory() && existsSync(join(p, 'index.mjs')));
    expect(bundles).toHaveLength(5);
    const withCatalogue = bundles.filter((dir) =>
      existsSync(join(dir, 'iam-data', 'data', 'actions', 's3.json')),
    );
    expect(withCatalogue).toHaveLength(2);
    for (const dir of withCatalogue) {
      expect(
        readFileSync(join(dir, 'index.mjs'), 'utf8').includes('IAM_DATA_ROOT:"/var/task/iam-data/"'),
      ).toBe(true);
    }
    const results: string[] = [];
    for (const dir of bundles) {
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
      results.push(invokeWithEmptyEvent(dir));
    }
    // Each bundle starts, reads its environment and refuses the empty event with an InputError naming its step.
    expect(results.map((r) => /RESULT InputError .*?(\w+) event:/.exec(r)?.[1]).sort()).toEqual([
      'collect',
      'notify',
      'plan',
      'scan',
      'seal',
    ]);
  }, 180_000);
});
