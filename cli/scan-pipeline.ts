/**
 * The whole run on one machine: plan → collect → scan → seal → notify, with the same core steps
 * the Lambda functions call. `accessproof scan` and `npm run bench` both run exactly this.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { compileRunRulesets, plannedSource, planSources } from '../connectors/plan-sources';
import { connectorFor } from '../connectors/registry';
import { decodeInputText } from '../connectors/shared/decode-text';
import { withInputRoots } from '../connectors/shared/input-roots';
import type { SourceConfig } from '../core/config';
import { sourceFieldLocation } from '../core/config-text';
import type { Logger } from '../core/connector';
import { InputError } from '../core/errors';
import { CHAIN_EVENT_FILE, type ChainEvent } from '../core/evidence/chain-event';
import { canonicalJson, MANIFEST_FILE, parseManifest } from '../core/evidence/manifest';
import type { EvidenceWriter } from '../core/evidence/ports';
import { findChainHead } from '../core/evidence/verify';
import type { FindingsRepository } from '../core/findings/repository';
import type { Inventory } from '../core/inventory';
import { MemoryRunStore, type RunStore } from '../core/ports';
import { reportCampaigns } from '../core/reviews/evidence';
import { collectStep, failedSource } from '../core/run/collect';
import { type RunDigest, runDigest } from '../core/run/notify';
import { planRun } from '../core/run/plan';
import { effectivePolicy } from '../core/run/policy-doc';
import { settleCrashedRun } from '../core/run/recover';
import { type ScanResult, type ScanStage, type ScanSummary, scanStep } from '../core/run/scan';
import { type SealedRun, sealStep } from '../core/run/seal';
import type { RunPlan, SourceResult } from '../core/run/types';
import { type CompiledRuleset, parseRulesets } from '../core/sod';
import { LocalSigner } from '../stores/local-signer/local-signer';
import { LocalSnapshotStaging } from '../stores/local-staging/local-snapshot-staging';
import { LocalPackReader, STAGING_DIR } from '../stores/local-vault/local-pack-reader';
import { LocalVault } from '../stores/local-vault/local-vault';
import { OcsfThread } from '../stores/local-vault/ocsf-thread';
import {
  findingsDbFile,
  SqliteFindingsRepository,
} from '../stores/sqlite-findings/sqlite-findings-repository';
import { markAuditSealed, unsealedAudit } from '../stores/sqlite-reviews/review-app-files';
import { ReviewEvidence, type RevocationTotals } from '../stores/sqlite-reviews/review-evidence';
import { type CollectThreadRun, collectInThread, threadedSources } from './collect-thread';
import { type LoadedConfig, readInputFile } from './config-loader';
import type { LocalPaths } from './paths';
import { addConfiguredSecrets, cliScrubber } from './secrets';
import type { ShardProcess, ShardRunReport } from './shard-runner';
import { type ShardPhase, shardedScan } from './sharded-scan';
import { lockStateFolder } from './state-lock';
import { TOOL_VERSION } from './version';

export type PipelineStage = 'collect' | ScanStage | ShardPhase | 'seal' | 'notify';

export interface PipelineHooks {
  /** A stage finished: its name, records handled, and the source for `collect`. */
  stage?(stage: PipelineStage, records: number, sourceId?: string): void;
  /** Human progress (shown on a terminal only). */
  progress?(text: string): void;
  /** A source's collection read another upstream page. */
  sourcePage?(sourceId: string, pages: number, records: number): void;
  /** The correlated inventory, for a caller that cross-checks the engine (the benchmark). */
  inventory?(inventory: Inventory): void;
  /**
   * The run crossed a step boundary of the chain: `reserved` (the chain is reserved, nothing
   * written), `staged` (every pack file written to staging), `sealed` (the pack is in place, not
   * yet committed) and `committed`. The crash tests stop the process at each one.
   */
  checkpoint?(point: RunCheckpoint): void | Promise<void>;
}

export type RunCheckpoint = 'reserved' | 'staged' | 'sealed' | 'committed';

export interface LocalScanRequest {
  loaded: LoadedConfig;
  paths: LocalPaths;
  asOf: Date;
  logger: Logger;
  hooks?: PipelineHooks;
  /** The real clock; injectable for tests. */
  now?: () => Date;
  /** A deliberate break of the evidence chain (`scan --new-chain` / `--rotate-key`, with a reason). */
  chainBreak?: ChainBreak;
  /**
   * `scan --shards N`: N > 1 scans in N child processes (cli/sharded-scan.ts) with the same result;
   * 1 or absent is the single scan.
   */
  shards?: number;
  /** Runs one shard once (tests inject failing shards here). */
  shardProcess?: ShardProcess;
  /** The sharded scan's figures (peak RSS of the largest shard), for the benchmark. */
  onShards?: (report: ShardRunReport & { count: number }) => void;
  /**
   * Input bytes the files-mode sources besides the largest must reach to be collected on a worker
   * thread meanwhile (default `COLLECT_THREAD_MIN_BYTES`, cli/collect-thread.ts); tests force or
   * forbid it. With an injected `now`, no worker unless this is given (its sources read that clock once).
   */
  collectThreadMinBytes?: number;
  /**
   * The run id's suffix (6 hex digits), for tests that compare two runs' packs byte for byte. Not
   * reachable from the command line: `accessproof scan` always draws a random one.
   */
  runNonce?: string;
}

export interface ChainBreak {
  newChain?: boolean;
  rotateKey?: boolean;
  reason?: string;
}

export interface LocalScanResult {
  plan: RunPlan;
  sources: SourceResult[];
  summary: ScanSummary;
  sealed: SealedRun;
  digest: RunDigest;
  scan: ScanResult;
  /** Revocations of every access review as this run proved them; undefined when none was decided. */
  revocations?: RevocationTotals;
}

/** Parse and compile every ruleset the config names; errors name the file and line. */
export async function loadRulesets(
  files: string[],
): Promise<{ compiled: CompiledRuleset | undefined; bytes: Buffer[] }> {
  const bytes = files.map((f) => readInputFile(f, f, 'ruleset'));
  const rulesets = parseRulesets(files.map((f, i) => ({ text: decodeInputText(bytes[i]!, f), file: f })));
  return { compiled: await compileRunRulesets(rulesets), bytes };
}

/**
 * Run the five steps. Bad input (`InputError`) aborts before anything is sealed or stored;
 * a failed source is recorded and the run goes on.
 */
export async function runLocalScan(req: LocalScanRequest): Promise<LocalScanResult> {
  const lock = await lockStateFolder(req.paths.state);
  try {
    // Every file the run opens (rulesets, exports, files found in export folders) must be inside
    // the config's folder or its inputRoots, symlinks resolved (connectors/shared/input-roots.ts).
    return await withInputRoots(req.loaded.inputRoots, () => scanLocked(req));
  } finally {
    lock.release();
  }
}

async function scanLocked(req: LocalScanRequest): Promise<LocalScanResult> {
  const now = req.now ?? (() => new Date());
  const { loaded, paths, logger } = req;
  const hooks = req.hooks ?? {};
  const config = loaded.config;

  // Everything the user wrote is read and checked before any state changes.
  const { compiled, bytes: rulesetBytes } = await loadRulesets(loaded.rulesetFiles);
  addConfiguredSecrets(config.sources);
  const configBytes = readInputFile(loaded.file);
  const policy = effectivePolicy(
    config,
    loaded.rulesetFiles.map((path, i) => ({ path, text: rulesetBytes[i]!.toString('utf8') })),
  );
  const startedAt = now();
  const { sources: planned, failed } = await planSources(config.sources, {
    rulesets: compiled ? [compiled] : [],
  });
  const plan = planRun({
    config,
    inputs: [configBytes, ...rulesetBytes],
    policySha256: policy.sha256,
    startedAt,
    asOf: req.asOf,
    nonce: req.runNonce ?? randomBytes(3).toString('hex'),
    toolVersion: TOOL_VERSION,
    sources: planned.map(plannedSource),
  });

  const runDir = join(paths.state, 'runs', plan.runId);
  const sharded = (req.shards ?? 1) > 1;
  // Collect and scan share this process: the scan takes the collected records instead of parsing
  // them again. (A sharded scan reads the snapshots in its child processes: nothing to keep.)
  const staging = new LocalSnapshotStaging(join(runDir, 'snapshots'), { keepRecords: !sharded });
  const sources: SourceResult[] = [...failed];
  // Files-mode sources but the largest are collected meanwhile on a worker thread (cli/collect-thread.ts).
  // Not in a sharded scan (its key indexes are written beside the snapshots by the main thread),
  // nor with a test's clock unless the test asks (the worker then reads that clock once, here).
  const threaded =
    sharded || (req.now && req.collectThreadMinBytes === undefined)
      ? new Set<string>()
      : threadedSources(planned, req.collectThreadMinBytes);
  const systemOf = new Map(planned.map((s) => [s.id, s.system]));
  let thread: CollectThreadRun | undefined;
  try {
    if (threaded.size > 0) {
      thread = collectInThread(
        {
          sources: planned.filter((s) => threaded.has(s.id)),
          configured: config.sources,
          stagingDir: join(runDir, 'snapshots'),
          inputRoots: loaded.inputRoots,
          ...(req.now ? { clockMs: req.now().getTime() } : {}),
        },
        {
          logger,
          secret: (value) => cliScrubber.add(value),
          started: (id) => hooks.progress?.(`collecting ${id} (${systemOf.get(id)})`),
          page: (id, pages, records) => hooks.sourcePage?.(id, pages, records),
        },
      );
    }
    const collected = new Map<string, SourceResult>();
    for (const source of planned) {
      if (threaded.has(source.id)) continue;
      hooks.progress?.(`collecting ${source.id} (${source.system})`);
      const onPage = hooks.sourcePage
        ? (p: { pages: number; records: number }) => hooks.sourcePage?.(source.id, p.pages, p.records)
        : undefined;
      const result = await collectOne(source, staging, logger, now, onPage, sharded);
      collected.set(source.id, result);
      hooks.stage?.('collect', sumCounts(result), source.id);
    }
    if (thread) {
      for (const [id, result] of await thread.done) {
        collected.set(id, result);
        hooks.stage?.('collect', sumCounts(result), id);
      }
    }
    for (const source of planned) sources.push(collected.get(source.id) as SourceResult);
  } catch (err) {
    // Bad input in an export: nothing is sealed and the state is left as it was.
    await thread?.stop();
    await rm(runDir, { recursive: true, force: true });
    throw locateInConfig(err, configBytes, loaded.file);
  }

  const repo = SqliteFindingsRepository.open({ file: findingsDbFile(paths.state) });
  // Before the first pack there is no evidence folder: an empty vault, not an error (a run that
  // crashed right after reserving must not wedge every later run).
  const packs = new LocalPackReader(paths.evidence, { mustExist: false });
  try {
    let runStore: RunStore = new MemoryRunStore();
    let reservedSeen = false;
    // Everything that can refuse the run is opened before the chain is reserved.
    const reviews = await ReviewEvidence.open(paths.state);
    const signer = await LocalSigner.open(paths.state);
    // Settle a crashed run first (its sealed pack becomes the head), then check that this run
    // continues the chain in the evidence folder with the chain's key, or says why it does not.
    await settleCrashedRun(repo, packs, logger, now().toISOString(), 0);
    const chainEvent = await checkChainContinuity(repo, packs, signer, req.chainBreak ?? {}, now());
    hooks.progress?.('correlating identities and evaluating rules');
    const rulesetHashes = Object.fromEntries(policy.document.rulesets.map((r) => [r.id, r.sha256]));
    const summary = sharded
      ? await (async () => {
          const out = await shardedScan({
            plan,
            sources,
            policy: config.policy,
            rulesetFiles: loaded.rulesetFiles,
            rulesetHashes,
            count: req.shards!,
            runDir,
            staging,
            stagingDir: join(runDir, 'snapshots'),
            repo,
            packs,
            now,
            logger,
            reviews,
            asOf: req.asOf,
            ...(req.shardProcess ? { shardProcess: req.shardProcess } : {}),
            onPhase: (phase, n) => hooks.stage?.(phase, n),
          });
          runStore = out.runStore;
          reservedSeen = true;
          req.onShards?.({ ...out.report, count: req.shards! });
          return out.summary;
        })()
      : await scanStep({
          plan,
          sources,
          policy: config.policy,
          sod: compiled,
          snapshots: staging,
          repo,
          runStore,
          now,
          logger,
          packs,
          // The state folder is locked for this scan: a reservation found now is a dead run's.
          reservationLeaseMs: 0,
          rulesetHashes,
          onStage: (stage, n) => {
            hooks.stage?.(stage, n);
            if (stage === 'parse') reservedSeen = true;
          },
          onInventory: (inventory) => {
            reviews.observe(inventory, plan.runId, { asOf: req.asOf, slaDays: config.policy.slaDays });
            hooks.inventory?.(inventory);
          },
          // Revocations decided in access reviews and still present past their SLA (REVIEW-REVOKE-NOT-DONE).
          extraDrafts: (inventory) => reviews.drafts(inventory),
          maxFindings: config.limits?.maxFindings ?? defaultMaxFindings(),
        });
    if (reservedSeen) await hooks.checkpoint?.('reserved');
    hooks.progress?.('sealing the evidence pack');
    const reviewArtefacts = reviews.artefacts(req.asOf);
    // The reviewer app's requests since the last pack (issue 17): sealed, then marked sealed.
    const requestsAudit = await unsealedAudit(paths.state);
    const sealed = await sealStep({
      plan,
      sources,
      resultKey: summary.resultKey,
      runStore,
      snapshots: { bytes: (location) => staging.bytes(location) },
      writer: withCheckpoints(new LocalVault(paths.evidence), hooks),
      signer,
      repo,
      finishedAt: now(),
      logger,
      packs,
      campaigns: reportCampaigns(reviewArtefacts),
      // The OCSF events on the other core while findings.jsonl is written (issue 11).
      ocsf: new OcsfThread(),
      extraArtefacts: [
        { path: 'policy.json', content: policy.bytes, records: 0 },
        ...reviewArtefacts,
        ...(requestsAudit ? [requestsAudit] : []),
        ...(chainEvent
          ? [
              {
                path: CHAIN_EVENT_FILE,
                content: new TextEncoder().encode(canonicalJson(chainEvent)),
                records: 1,
              },
            ]
          : []),
      ],
    });
    hooks.stage?.('seal', sealed.files);
    if (requestsAudit) await markAuditSealed(paths.state, requestsAudit);
    await hooks.checkpoint?.('committed');
    const scan = (await runStore.get<ScanResult>(summary.resultKey))!;
    const digest = runDigest(scan, sealed, sources, req.asOf);
    hooks.stage?.('notify', digest.opened + digest.reopened);
    await rm(runDir, { recursive: true, force: true });
    await removeDebris(paths);
    const revocations = reviews.totals();
    return { plan, sources, summary, sealed, digest, scan, ...(revocations ? { revocations } : {}) };
  } catch (err) {
    // Nothing sealed: give the chain back and leave no trace of the run. (A sealed pack keeps the
    // reservation, so the next scan adopts the pack instead of forking the chain.)
    if (!(await sealedPackExists(packs, plan.runId))) {
      if ((await repo.pendingReservation())?.runId === plan.runId) await repo.clearReservation(plan.runId);
      await rm(runDir, { recursive: true, force: true });
    }
    throw err;
  } finally {
    await repo.close();
  }
}

async function collectOne(
  source: SourceConfig,
  staging: LocalSnapshotStaging,
  logger: Logger,
  now: () => Date,
  onPage?: (p: { pages: number; records: number }) => void,
  keyIndex = false,
): Promise<SourceResult> {
  let connector: Awaited<ReturnType<typeof connectorFor>>;
  try {
    connector = await connectorFor(source.system);
  } catch (err) {
    return failedSource(source.id, source.system, `connector unavailable: ${(err as Error).message}`);
  }
  const out = await collectStep({
    connector,
    source,
    key: source.id,
    staging,
    now,
    logger,
    scrubber: cliScrubber,
    ...(onPage ? { onPage } : {}),
    ...(keyIndex ? { keyIndex } : {}),
  });
  if (!out.done) throw new Error(`${source.id}: collection paused without a deadline`);
  return out.result;
}

/**
 * A connector that finds a source setting missing (Entra `clientId`, …) names the field
 * `sources.<id>.<key>` but knows no file: point it at the config file and line where it belongs.
 */
function locateInConfig(err: unknown, configBytes: Buffer, file: string): unknown {
  if (!(err instanceof InputError) || err.location.file !== undefined) return err;
  const m = /^sources\.([^.]+)(?:\.(.+))?$/.exec(err.location.field ?? '');
  if (!m) return err;
  const where = sourceFieldLocation(decodeInputText(configBytes, file), m[1]!, m[2]);
  if (!where) return err;
  const message = err.message.slice(`${err.location.field}: `.length);
  return new InputError(message, { file, ...(where.line ? { line: where.line } : {}), field: where.field });
}

function sumCounts(s: SourceResult): number {
  return s.counts.principals + s.counts.entitlements + s.counts.grants + (s.counts.people ?? 0);
}

/** Whether `runId` has a sealed pack; false when the evidence folder does not exist yet. */
async function sealedPackExists(packs: LocalPackReader, runId: string): Promise<boolean> {
  try {
    return (await packs.listPacks()).some((p) => p.runId === runId);
  } catch (err) {
    if (err instanceof InputError) return false;
    throw err;
  }
}

/** The vault, telling `hooks.checkpoint` when the pack is staged and when it is sealed. */
function withCheckpoints(vault: LocalVault, hooks: PipelineHooks): EvidenceWriter {
  if (!hooks.checkpoint) return vault;
  return {
    get location() {
      return vault.location;
    },
    async begin(runId, startedAt) {
      const pack = await vault.begin(runId, startedAt);
      return {
        runId: pack.runId,
        add: (path, content, records) => pack.add(path, content, records),
        abort: () => pack.abort(),
        async seal(draft, signer) {
          await hooks.checkpoint?.('staged');
          const sealed = await pack.seal(draft, signer);
          await hooks.checkpoint?.('sealed');
          return sealed;
        },
      };
    },
  };
}

/**
 * After a successful run, remove what runs that died left behind: their collected snapshots in
 * `state/runs/` and their unsealed pack folders in `evidence/.staging/`. The state folder is
 * locked and this run has committed, so every such folder belongs to a run that can never finish
 * (a crashed run's sealed pack was adopted before this run reserved the chain).
 */
async function removeDebris(paths: LocalPaths): Promise<void> {
  for (const dir of [join(paths.state, 'runs'), join(paths.evidence, STAGING_DIR)]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const name of names) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * The chain this run will extend must be the one in the evidence folder, signed with the same key.
 * Losing `state/` (the findings store records the head) or `state/keys` (the key) would otherwise
 * start a second chain beside the first, or change the key inside it, with exit 0; `verify` then
 * fails for good. Both are refused (exit 2) unless asked for with a reason, and then sealed in
 * this run's pack as `chain-event.json` so `verify` reports them as documented.
 */
async function checkChainContinuity(
  repo: FindingsRepository,
  packs: LocalPackReader,
  signer: LocalSigner,
  ask: ChainBreak,
  now: Date,
): Promise<ChainEvent | undefined> {
  const flag = ask.newChain ? '--new-chain' : ask.rotateKey ? '--rotate-key' : undefined;
  if (ask.newChain && ask.rotateKey)
    throw new InputError('give --new-chain or --rotate-key, not both', { field: '--rotate-key' });
  if (flag && !ask.reason?.trim())
    throw new InputError(`${flag} needs --reason TEXT: the reason is sealed in the next pack`, {
      field: '--reason',
    });
  if (!flag && ask.reason !== undefined)
    throw new InputError('--reason goes with --new-chain or --rotate-key', { field: '--reason' });
  const reason = ask.reason?.trim() ?? '';

  const recorded = await repo.getChainHead();
  const stored = await findChainHead(packs);
  const storedKey = stored ? await packKeyFingerprint(packs, stored.runId) : undefined;
  const at = now.toISOString();

  if (!recorded && stored) {
    if (!ask.newChain)
      throw new InputError(
        `the evidence folder holds a chain ending at pack #${stored.sequence} ${stored.runId}, but the state folder ` +
          'records no chain (was it lost or replaced?): a scan now would start a second chain beside it. ' +
          'Restore the state folder, or give --new-chain --reason TEXT to start a new chain on purpose',
        { file: packs.location },
      );
    return {
      event: 'new-chain',
      reason,
      at,
      previousChain: {
        runId: stored.runId,
        sequence: stored.sequence,
        manifestSha256: stored.manifestSha256,
        ...(storedKey ? { keyFingerprint: storedKey } : {}),
      },
      keyFingerprint: signer.fingerprint,
    };
  }
  if (ask.newChain)
    throw new InputError(
      stored
        ? `--new-chain: the state folder continues the chain ending at pack #${stored.sequence} ${stored.runId}; there is nothing to restart`
        : '--new-chain: the evidence folder holds no chain yet',
      { field: '--new-chain' },
    );
  // The key of the chain this run extends: that of the head the state records.
  const headKey = recorded ? await packKeyFingerprint(packs, recorded.runId) : undefined;
  if (headKey && headKey !== signer.fingerprint) {
    if (!ask.rotateKey)
      throw new InputError(
        `the chain's last pack ${recorded!.runId} is signed with key ${headKey}, but this state folder's key is ` +
          `${signer.fingerprint} (was the key lost or replaced?). Restore the key, or give --rotate-key --reason TEXT ` +
          'to change it on purpose',
        { file: signer.keyPath },
      );
    return {
      event: 'key-rotation',
      reason,
      at,
      fromKeyFingerprint: headKey,
      toKeyFingerprint: signer.fingerprint,
    };
  }
  if (ask.rotateKey)
    throw new InputError(
      `--rotate-key: the chain is already signed with this key (${signer.fingerprint}); there is nothing to rotate`,
      { field: '--rotate-key' },
    );
  return undefined;
}

async function packKeyFingerprint(packs: LocalPackReader, runId: string): Promise<string | undefined> {
  const ref = (await packs.listPacks()).find((p) => p.runId === runId);
  const bytes = ref ? await packs.readFile(ref, MANIFEST_FILE) : undefined;
  const parsed = bytes ? parseManifest(bytes) : undefined;
  return parsed?.ok ? parsed.value.signing.keyFingerprint : undefined;
}

/**
 * The findings one single scan may hold without running out of heap: one per 8 KiB of V8's heap
 * limit (a finding with its draft, JSON line and store row takes 3-6 KiB at its peak; the rest is
 * the inventory). About 520k under node's default 4 GiB heap (docs/limits.md).
 */
export function defaultMaxFindings(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 8192);
}
