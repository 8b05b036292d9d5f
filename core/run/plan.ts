/**
 * Step 1 of a run: fix the run's identity, clock and the list of sources to collect.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config';
import type { PlannedSource, RunPlan } from './types';

export interface PlanInput {
  config: Config;
  /** Config file bytes then each ruleset file's bytes: hashed into `configSha256` when `policySha256` is absent. */
  inputs: Uint8Array[];
  /** SHA-256 of the run's `policy.json` (core/run/policy-doc.ts): the `configSha256` an auditor can recompute from the pack. */
  policySha256?: string;
  startedAt: Date;
  asOf: Date;
  /** Random suffix so two runs started in the same second differ (e.g. 6 hex chars). */
  nonce: string;
  toolVersion: string;
  /** Sources after expansion (an AWS Organization becomes one source per account); default: config.sources. */
  sources?: PlannedSource[];
}

/**
 * @example
 * const plan = planRun({ config, inputs: [configBytes], startedAt: new Date(), asOf, nonce: 'a1b2c3', toolVersion });
 */
export function planRun(input: PlanInput): RunPlan {
  const hash = createHash('sha256');
  for (const bytes of input.inputs) hash.update(bytes);
  const sources =
    input.sources ??
    input.config.sources.map((s) => ({
      id: s.id,
      system: s.system,
      financiallySignificant: s.financiallySignificant,
      ...(s.policy ? { policy: s.policy } : {}),
    }));
  return {
    runId: runIdFor(input.startedAt, input.nonce),
    organization: input.config.organization,
    startedAt: input.startedAt.toISOString(),
    asOf: input.asOf.toISOString(),
    configSha256: input.policySha256 ?? hash.digest('hex'),
    toolVersion: input.toolVersion,
    sources,
  };
}

/** `20261001T000000Z-a1b2c3`: sorts by time, safe in paths and S3 keys. */
export function runIdFor(startedAt: Date, nonce: string): string {
  if (!/^[a-z0-9]{4,16}$/.test(nonce))
    throw new Error(`run nonce must be 4-16 lowercase alphanumerics, got "${nonce}"`);
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${nonce}`;
}
