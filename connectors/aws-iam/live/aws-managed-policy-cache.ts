/**
 * AWS-managed policy documents are the same in every account, so a run fetches them once
 * (`GetAccountAuthorizationDetails Filter=AWSManagedPolicy`) and shares them across accounts.
 *
 * The cache lives OUTSIDE the per-source connector state: in the memory of the process that runs
 * collections (the CLI process; in AWS, the collect Lambda's execution environment, which the
 * Distributed Map reuses for many accounts). A cold environment simply misses and fetches the
 * catalogue again, so correctness never depends on the cache, only the call count does. Entries
 * are keyed by the IAM endpoint (partition) and the policy's default version id, so a policy AWS
 * updates mid-run is a miss, not a stale document; they expire after `maxAgeMs` so a warm
 * environment does not carry documents from one scheduled run into the next.
 */

import type { ManagedPolicyDetail } from '../authorization-details';

/** The default version of one AWS-managed policy, as the export shape carries it (document decoded). */
export type CachedPolicyVersion = ManagedPolicyDetail['PolicyVersionList'][number];

export interface AwsManagedPolicyCache {
  get(scope: string, arn: string, versionId: string, now: Date): CachedPolicyVersion | undefined;
  put(scope: string, arn: string, version: CachedPolicyVersion, now: Date): void;
}

/** Default: 6 hours, longer than a run, shorter than the gap between daily runs. */
export const DEFAULT_CACHE_MAX_AGE_MS = 6 * 60 * 60 * 1000;

/**
 * @example
 * const cache = createMemoryAwsManagedPolicyCache();
 * const connector = createAwsLiveConnector({ awsManagedPolicies: cache });
 */
export function createMemoryAwsManagedPolicyCache(
  maxAgeMs = DEFAULT_CACHE_MAX_AGE_MS,
): AwsManagedPolicyCache {
  const entries = new Map<string, { at: number; version: CachedPolicyVersion }>();
  const keyOf = (scope: string, arn: string, versionId: string) => `${scope}\u0000${arn}\u0000${versionId}`;
  return {
    get(scope, arn, versionId, now) {
      const hit = entries.get(keyOf(scope, arn, versionId));
      if (!hit) return undefined;
      if (now.getTime() - hit.at > maxAgeMs) {
        entries.delete(keyOf(scope, arn, versionId));
        return undefined;
      }
      return hit.version;
    },
    put(scope, arn, version, now) {
      entries.set(keyOf(scope, arn, version.VersionId), { at: now.getTime(), version });
    },
  };
}
