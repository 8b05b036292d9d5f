/**
 * The one connector interface (CONVENTIONS.md #3).
 *
 * A connector is a small state machine: `begin` opens a collection, each `step` does about one
 * upstream page of work and returns records plus the next state. The driver (`collect-driver.ts`)
 * owns the loop, checkpoints the state, records counts and stops before a deadline. A connector's
 * state never leaves the driver's checkpoint store: the cursor handed to callers is an opaque
 * reference, so upstream tokens (`Marker`, `@odata.nextLink`, `nextRecordsUrl`) never reach a
 * Step Functions payload or an evidence pack.
 */
import type { Entitlement, Grant, Person, PersonLink, Principal, System } from './model';
import type { QueryRecord, SnapshotEvaluation } from './snapshot';

/** Records produced by one step. */
export interface Page {
  principals?: Principal[];
  entitlements?: Entitlement[];
  grants?: Grant[];
  /** HR sources only: people of the system of record and manual correlation links. */
  people?: Person[];
  links?: PersonLink[];
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Records the upstream calls a collection makes; persisted across resumes by the driver. */
export interface CallLog {
  /** Add to the record for `operation` (+ params): calls made, pages and records received. */
  record(
    operation: string,
    delta: { calls?: number; pages?: number; records?: number; expected?: number },
    params?: Record<string, string>,
  ): void;
  snapshot(): QueryRecord[];
}

export interface CollectContext<Source> {
  /** The source's configuration (validated). Paths in files mode are already absolute. */
  readonly source: Source;
  /** The run's clock. Connectors use it only for the timing of their own requests and report age. */
  readonly now: () => Date;
  readonly calls: CallLog;
  readonly logger: Logger;
  /** A warning for the snapshot header (e.g. “sign-in data not licensed: activity unknown”). */
  warn(message: string): void;
  /** The snapshot cannot prove completeness (e.g. `totalSize` mismatch); findings will not be resolved. */
  markIncomplete(reason: string): void;
  /** Aborted when the run is cancelled. */
  readonly signal?: AbortSignal;
  /**
   * A secret value the connector holds (a client secret, key or token read when its session
   * opens): scrubbed from every message, log, record and failure of the run. Optional so that
   * contexts built by tests need not provide it.
   */
  secret?(value: string): void;
  /**
   * The run this collection belongs to (the staging key's first segment): what a connector may key
   * a cache shared by the run's sources with, so nothing read for one run serves another.
   */
  readonly run?: string;
}

export interface Opened<State> {
  state: State;
  tenant: string;
  mode: 'api' | 'files';
}

export interface Stepped<State> {
  page: Page;
  /** `null` when the collection is complete. */
  next: State | null;
  /** What the records' access answers take into account; the last one given goes in the header. */
  evaluation?: SnapshotEvaluation;
}

/**
 * @example
 * const erp: Connector<ErpSource, ErpState> = { name: 'erp-extract', version: '1.0.0', system: 'erp', begin, step };
 */
export interface Connector<Source, State> {
  /** Folder name, e.g. `aws-iam`. */
  readonly name: string;
  readonly version: string;
  readonly system: System;
  begin(ctx: CollectContext<Source>): Promise<Opened<State>>;
  /** About one upstream page of work. Must be JSON-serializable state in, JSON-serializable state out. */
  step(ctx: CollectContext<Source>, state: State): Promise<Stepped<State>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds connectors of every source and state type
export type AnyConnector = Connector<any, any>;
