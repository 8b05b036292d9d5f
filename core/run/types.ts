/**
 * What the five steps of a run (docs/architecture.md) hand each other. The CLI passes them in memory;
 * the Step Functions state machine passes them as JSON between Lambdas, so they stay small:
 * records live in snapshots and in the run store, never in these objects.
 */
import type { Thresholds } from '../config';
import type { System } from '../model';
import type { SnapshotRef } from '../ports';
import type { QueryRecord, SnapshotCounts } from '../snapshot';

export interface RunPlan {
  runId: string;
  organization: string;
  startedAt: string;
  /** The clock rules evaluate against (`--as-of`). */
  asOf: string;
  /**
   * SHA-256 of the pack's `policy.json` (`accessproof scan`); runs planned without one (the
   * Lambda plan step) keep the older definition, SHA-256 over the config file and every ruleset file.
   */
  configSha256: string;
  toolVersion: string;
  sources: PlannedSource[];
}

export interface PlannedSource {
  id: string;
  system: System;
  financiallySignificant: boolean;
  /** The source's own thresholds (config `sources[].policy`), when it sets any. */
  policy?: Thresholds;
}

export type SourceStatus = 'complete' | 'incomplete' | 'failed';

/** One source after collection. `incomplete`: collected, but the snapshot cannot prove completeness. */
export interface SourceResult {
  id: string;
  system: System;
  status: SourceStatus;
  tenant?: string;
  error?: string;
  counts: SnapshotCounts;
  collectedAt?: string;
  mode?: 'api' | 'files';
  calls?: number;
  queries?: QueryRecord[];
  /** The first few warnings (see `boundedWarnings`); the snapshot header has them all. */
  warnings?: string[];
  /** How many warnings there are in all, when `warnings` holds fewer or shortened ones. */
  warningCount?: number;
  snapshot?: SnapshotRef;
  /** The source's key index (core/run/shard-keys.ts), when collect wrote one for a sharded scan. */
  keyIndex?: SnapshotRef;
}
