import { defineConfig } from 'vitest/config';

// `.ci/run` sets ACCESSPROOF_TEST_REPORT so that `npm test` (the README's command, unchanged)
// also writes vitest's JSON report, from which CI prints its "N passed, N failed" line.
const report = process.env.ACCESSPROOF_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CDK synths and CLI runs take tens of seconds each; on a shared 2-core machine several minutes.
    // A timeout is there to stop a hang, not to measure speed (`npm run bench` does that).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Builds the CLI once for the end-to-end tests (test/support/cli-bundle.ts).
    globalSetup: ['test/support/cli-bundle.ts'],
    pool: 'forks',
    maxWorkers: 2,
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
  },
});
