/**
 * One scan shard in its own process (`scan --shards N`, cli/shard-runner.ts): argv is the job file
 * and the shard number. Exit 0 when its output is stored; anything else fails the attempt.
 */
import { readFile } from 'node:fs/promises';
import type { Finding } from '../core/findings/model';
import { scanShardStep } from '../core/run/shard-scan';
import { LocalRunStore } from '../stores/local-staging/local-run-store';
import { LocalSnapshotStaging } from '../stores/local-staging/local-snapshot-staging';
import { loadRulesets } from './scan-pipeline';
import type { ShardJob } from './shard-runner';

async function main(jobFile: string, shardText: string): Promise<void> {
  const job = JSON.parse(await readFile(jobFile, 'utf8')) as ShardJob;
  const shard = Number(shardText);
  const { compiled } = await loadRulesets(job.rulesetFiles);
  const previous = JSON.parse(await readFile(job.previousFile, 'utf8')) as Finding[];
  await scanShardStep({
    plan: job.plan,
    sources: job.sources,
    policy: job.policy,
    sod: compiled,
    snapshots: new LocalSnapshotStaging(job.snapshotsDir),
    runStore: new LocalRunStore(job.runStoreDir),
    shard,
    count: job.count,
    previous,
    ...(job.watch ? { watch: job.watch } : {}),
    ...(job.rulesetHashes ? { lifecycle: { rulesetHashes: job.rulesetHashes } } : {}),
  });
}

/** Peak RSS (maxRSS is in kilobytes) and CPU time to the parent, then exit once the message is out. */
function finish(): void {
  const usage = process.resourceUsage();
  const message = {
    maxRssMb: Math.round(usage.maxRSS / 1024),
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
  };
  if (process.send) process.send(message, () => process.exit(0));
  else process.exit(0);
}

const [jobFile, shard] = process.argv.slice(2);
main(jobFile ?? '', shard ?? '').then(
  () => finish(),
  (err: unknown) => {
    process.stderr.write(`accessproof scan-shard ${shard}: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
