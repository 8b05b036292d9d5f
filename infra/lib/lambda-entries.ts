/**
 * Every Lambda entry the runtime stack deploys and how esbuild bundles it — one list, read by the
 * CDK app (runtime-stack.ts) and by the bundle-size benchmark (bench/bundle-sizes.ts), so the bench
 * measures exactly what is deployed. No CDK imports here: the bench loads this file too.
 */

/** One Lambda per step; collect is one per live system, so each bundle carries one connector's SDKs. */
export const LAMBDA_STEPS = [
  'plan',
  'collect-aws',
  'collect-entra',
  'collect-salesforce',
  'scan',
  'seal',
  'notify',
  'release',
] as const;
/** The sharded scan's steps (issue 18): deployed only when the construct's `sharding` is on. */
export const SHARD_STEPS = ['plan-shards', 'scan-shard', 'reconcile'] as const;
export type StepName = (typeof LAMBDA_STEPS)[number] | (typeof SHARD_STEPS)[number];

/** The systems collected live in AWS; ERP extracts are files, refused at synth (run-config.ts). */
export type LiveSystem = 'aws' | 'entra' | 'salesforce';

/** `functions/<step>/handler.ts`, relative to the repository root. */
export function handlerEntry(step: StepName): string {
  return `functions/${step}/handler.ts`;
}

/**
 * Module aliases esbuild applies to one entry. The Salesforce connector uses only jsforce's core
 * `Connection` (OAuth, REST, paged SOQL; Bulk API 2.0 over plain REST), and `jsforce/core` is that
 * same class without the API plugins the package entry registers (bulk, soap, streaming, metadata,
 * tooling, …) and their dependencies: about 560 KB less. The bundling test runs the aliased bundle
 * against a local Salesforce imitation, so a connector that starts using a plugin fails there.
 */
export const BUNDLE_ALIASES: Partial<Record<StepName, Record<string, string>>> = {
  'collect-salesforce': { jsforce: 'jsforce/core' },
};

/** The esbuild options every entry shares (ESM, minified, Node 22 syntax). */
export const BUNDLE_TARGET = 'node22';
export const BUNDLE_MAIN_FIELDS = ['module', 'main'];
