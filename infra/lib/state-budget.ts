/**
 * The largest state a scan run can carry, estimated at synth from what the deployment fixes, and
 * refused above 200 KB (Step Functions fails an execution past 256 KB with
 * `States.DataLimitExceeded`, which no Catch handles). The largest state is the one ReleaseRun and
 * Notify receive: `{ runConfig, plan, collected, scan, seal, failure }`.
 *
 *   runConfig   a reference (bucket, key, SHA-256): the config and rulesets are staged in S3
 *   plan        the run's fields, the planned sources (inline Map: each source's full config)
 *   collected   inline Map: one SourceResult per source, each bounded — except a source whose collect
 *               step threw: its error carries Step Functions' Cause, up to 32,768 characters;
 *               Distributed Map: a reference to the results in S3
 *   scan, seal  fixed-size results; failure: an Error and a Cause (32,768 characters at most)
 *
 * No CDK imports: plain numbers, so the check is tested on its own.
 */

export const STATE_LIMIT_BYTES = 200 * 1024;
/** Step Functions' cap on an error's Cause. */
export const MAX_CAUSE_CHARS = 32_768;
/** A SourceResult that returned normally: counts, queries, 5 warnings of ≤ 300 characters, the snapshot. */
export const MAX_RETURNED_SOURCE_BYTES = 8 * 1024;
/** A SourceResult the Catch path built: the error is `Error: Cause`. */
export const MAX_FAILED_SOURCE_BYTES = MAX_CAUSE_CHARS + 1024;
/** The run's own fields, the scan, seal and notify results, the Distributed Map's result reference. */
export const FIXED_STATE_BYTES = 16 * 1024;

export interface StateBudgetInput {
  /** Bytes of `$.runConfig` as the state machine carries it. */
  runConfigBytes: number;
  /** Bytes of the planned sources in `$.plan` (inline: full source configs; Distributed: their ids). */
  plannedSourcesBytes: number;
  /** Sources the inline Map iterates (their results ride in the state); undefined for a Distributed Map. */
  inlineSources?: number;
  /** Organization accounts the plan may carry (`maxOrganizationAccounts` × organization sources). */
  organizationAccounts?: number;
}

export interface StateBudget {
  bytes: number;
  parts: Record<'runConfig' | 'plan' | 'collected' | 'fixed' | 'failure', number>;
}

/**
 * @example
 * checkStateBudget({ runConfigBytes: 180, plannedSourcesBytes: 400, inlineSources: 2 }); // ok, or throws why
 */
export function checkStateBudget(input: StateBudgetInput): StateBudget {
  const parts = {
    runConfig: input.runConfigBytes,
    plan: input.plannedSourcesBytes,
    // A failed source may carry a whole Cause; any of them may fail.
    collected: input.inlineSources === undefined ? 0 : input.inlineSources * MAX_FAILED_SOURCE_BYTES,
    fixed: FIXED_STATE_BYTES,
    failure: MAX_CAUSE_CHARS + 512,
  };
  const bytes = Object.values(parts).reduce((a, b) => a + b, 0);
  if (bytes > STATE_LIMIT_BYTES) {
    const kb = (n: number) => `${Math.ceil(n / 1024)} KB`;
    const why =
      input.inlineSources !== undefined && parts.collected > parts.plan
        ? `${input.inlineSources} sources in an inline Map carry their results in the state, up to ${kb(MAX_FAILED_SOURCE_BYTES)} each when a collect step fails (its error Cause): set distributedMap: true so results go to S3, or split the sources across deployments`
        : input.organizationAccounts !== undefined
          ? `the planned sources take ${kb(parts.plan)}, ${input.organizationAccounts} of them Organization accounts at about ${Math.round(parts.plan / Math.max(1, input.organizationAccounts))} bytes each: lower maxOrganizationAccounts to about ${Math.max(0, Math.floor((input.organizationAccounts * (STATE_LIMIT_BYTES - (bytes - parts.plan))) / Math.max(1, parts.plan)))} or split the Organization across deployments`
          : `the planned sources take ${kb(parts.plan)}: split the sources across deployments`;
    throw new Error(
      `the scan run's state can reach ${kb(bytes)} (runConfig ${kb(parts.runConfig)}, plan ${kb(parts.plan)}, collected ${kb(parts.collected)}, step results ${kb(parts.fixed + parts.failure)}), over the ${kb(STATE_LIMIT_BYTES)} budget under Step Functions' 256 KB limit: ${why}`,
    );
  }
  return { bytes, parts };
}
