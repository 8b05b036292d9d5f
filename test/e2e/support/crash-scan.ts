/**
 * Runs the CLI's scan pipeline and kills its own process (SIGKILL: no cleanup, no finally) at one
 * step boundary, as a power cut would. Usage: tsx crash-scan.ts CONFIG OUT POINT AS_OF
 */

import { loadConfig } from '../../../cli/config-loader';
import { localPaths } from '../../../cli/paths';
import { type RunCheckpoint, runLocalScan } from '../../../cli/scan-pipeline';
import { silentLogger } from '../../../core/connector';

const [config, out, point, asOf] = process.argv.slice(2) as [string, string, RunCheckpoint, string];
await runLocalScan({
  loaded: loadConfig(config),
  paths: localPaths(out, undefined),
  asOf: new Date(asOf),
  logger: silentLogger,
  hooks: {
    checkpoint: (at) => {
      if (at === point) process.kill(process.pid, 'SIGKILL');
    },
  },
});
// Reaching here means the point was never crossed: the test must notice.
process.exit(42);
