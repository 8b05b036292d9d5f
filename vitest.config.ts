import { defineConfig } from 'vitest/config';

// `.ci/run` sets ACCESSPROOF_TEST_REPORT so that `npm test` (the README's command, unchanged)
// also writes vitest's JSON report, from which CI prints its "N passed, N failed" line.
const report = process.env.ACCESSPROOF_TEST_REPORT;

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: report ? ['default', 'json'] : ['default'],
    ...(report ? { outputFile: { json: report } } : {}),
  },
});
