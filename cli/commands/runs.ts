/**
 * `accessproof runs list` and `accessproof runs release RUN --reason T`: see and release stuck runs,
 * in the local state (`--out DIR`) or in the deployed findings table (`--table NAME`, with the
 * evidence bucket as `--evidence s3://bucket/prefix`). A release is recorded in the findings store
 * and sealed into the next pack (`runs.jsonl`); a run whose pack was sealed is adopted, not released.
 */
import { userInfo } from 'node:os';
import { InputError } from '../../core/errors';
import type { PackReader } from '../../core/evidence/ports';
import type { FindingsRepository } from '../../core/findings/repository';
import { releaseRun } from '../../core/run/run-record';
import { DynamoDbFindingsRepository } from '../../stores/dynamodb-findings';
import { openPackReader } from '../../stores/s3-evidence/open-pack-reader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { localPaths } from '../paths';
import { lockStateFolder } from '../state-lock';
import { openExistingRepo } from './findings';

export interface RunsTarget {
  out?: string;
  /** The deployed findings table (DynamoDB). */
  table?: string;
  /** The deployed evidence location, `s3://bucket/prefix` (with `--table`). */
  evidence?: string;
  region?: string;
}

export interface RunsListOptions extends RunsTarget {
  format: 'table' | 'json';
}

export interface RunsReleaseOptions extends RunsTarget {
  reason: string;
  by?: string;
}

interface Opened {
  repo: FindingsRepository;
  packs?: PackReader;
  close(): Promise<void>;
}

async function open(target: RunsTarget, forWrite: boolean): Promise<Opened> {
  if (target.table) {
    if (target.out) throw new InputError('give --out or --table, not both', { field: '--table' });
    const repo = new DynamoDbFindingsRepository({
      tableName: target.table,
      clientConfig: target.region ? { region: target.region } : {},
    });
    if (forWrite && !target.evidence?.startsWith('s3://')) {
      throw new InputError(
        'releasing a deployed run needs --evidence s3://bucket/prefix: a run whose pack was sealed is adopted, never released',
        { field: '--evidence' },
      );
    }
    const packs = target.evidence
      ? openPackReader(target.evidence, target.region ? { region: target.region } : {})
      : undefined;
    return { repo, ...(packs ? { packs } : {}), close: () => repo.close() };
  }
  const outDir = target.out ?? 'accessproof-out';
  const paths = localPaths(outDir, undefined);
  // A local scan holds this lock while it runs: never release a live run's reservation.
  const lock = forWrite ? await lockStateFolder(paths.state) : undefined;
  try {
    const repo = await openExistingRepo(outDir);
    return {
      repo,
      packs: openPackReader(paths.evidence),
      close: async () => {
        await repo.close();
        lock?.release();
      },
    };
  } catch (err) {
    lock?.release();
    throw err;
  }
}

export async function runRunsList(opts: RunsListOptions, out: Output): Promise<number> {
  const { repo, close } = await open(opts, false);
  try {
    const [pending, head, records] = await Promise.all([
      repo.pendingReservation(),
      repo.getChainHead(),
      repo.listRunRecords(),
    ]);
    if (opts.format === 'json') {
      out.line(JSON.stringify({ head, reservation: pending, records }));
      return EXIT.ok;
    }
    out.line(
      head ? `chain head: #${head.sequence} ${head.runId} sealed ${head.sealedAt}` : 'chain head: none',
    );
    out.line(
      pending
        ? `reserved by: ${pending.runId} since ${pending.reservedAt} (a run in progress, or a stuck one: see docs/operations.md)`
        : 'reserved by: nobody',
    );
    for (const r of records) {
      const what =
        r.kind === 'failed' ? `failed at ${r.step ?? '?'}: ${r.error ?? ''}` : `released: ${r.reason ?? ''}`;
      out.line(
        `${r.at}  ${r.runId}  ${r.kind.padEnd(8)}  reservation ${r.reservation.padEnd(13)}  ${r.sealedIn ? `sealed in ${r.sealedIn}` : 'not sealed yet'}  ${what}`,
      );
    }
    out.line(`${records.length} run record(s)`);
    return EXIT.ok;
  } finally {
    await close();
  }
}

export async function runRunsRelease(runId: string, opts: RunsReleaseOptions, out: Output): Promise<number> {
  if (!opts.reason.trim()) throw new InputError('a release needs a reason', { field: '--reason' });
  const { repo, packs, close } = await open(opts, true);
  try {
    const pending = await repo.pendingReservation();
    if (pending?.runId !== runId) {
      throw new InputError(
        pending
          ? `run ${runId} holds no reservation: run ${pending.runId} does (since ${pending.reservedAt}); nothing recorded`
          : `run ${runId} holds no reservation: the chain is free; nothing recorded`,
        { field: 'RUN' },
      );
    }
    const record = await releaseRun({
      repo,
      packs: packs!,
      runId,
      kind: 'released',
      reason: opts.reason,
      by: opts.by ?? userInfo().username,
      at: new Date().toISOString(),
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    out.line(
      record.reservation === 'adopted'
        ? `${runId}: its pack was already sealed (${record.location}); adopted as the chain head instead of released`
        : `${runId}: reservation released (reserved since ${pending.reservedAt}); recorded as ${record.id}`,
    );
    out.line(`The next scan seals the record into its evidence pack (runs.jsonl).`);
    return EXIT.ok;
  } finally {
    await close();
  }
}
