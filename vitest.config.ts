import { defaultExclude, defineConfig } from 'vitest/config';

// `.ci/run` sets ACCESSPROOF_TEST_REPORT so that `npm test` (the README's command, unchanged)
// also writes vitest's JSON report, from which CI prints its "N passed, N failed" line.
const report = process.env.ACCESSPROOF_TEST_REPORT;

/** CDK assertions: each file synthesizes apps with aws-cdk-lib and cdk-nag (see `infra` below). */
const INFRA = 'test/infra/**/*.test.ts';

export default defineConfig({
  test: {
    // CDK synths and CLI runs take tens of seconds each; on a shared 2-core machine several minutes.
    // A timeout is there to stop a hang, not to measure speed (`npm run bench` does that).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...defaultExclude, INFRA],
          // Builds the CLI once for the end-to-end tests (test/support/cli-bundle.ts).
          globalSetup: ['test/support/cli-bundle.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: [INFRA],
          // One worker runs file after file without re-importing aws-cdk-lib and cdk-nag (their first
          // synth in a fresh process costs tens of seconds of loading), and keeps the synths shared
          // through test/infra/synth.ts's cache. The files share no state but that cache: each builds
          // its own App, and nothing they do outlives a file (bundling restores CDK_DOCKER).
          isolate: false,
        },
      },
    ],
  },
});
