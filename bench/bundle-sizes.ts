/**
 * Size of every Lambda entry bundled the way the CDK app bundles it (esbuild, ESM, minified, the
 * same aliases): the entry list and bundling options come from infra/lib/lambda-entries.ts, so a new
 * function is measured without touching this file. Target (issue 7): each ≤ 2 MB.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import {
  BUNDLE_ALIASES,
  BUNDLE_MAIN_FIELDS,
  BUNDLE_TARGET,
  handlerEntry,
  LAMBDA_STEPS,
} from '../infra/lib/lambda-entries';

export { LAMBDA_STEPS };

/** Issue 7: each Lambda bundle ≤ 2 MB minified. */
export const BUNDLE_LIMIT_BYTES = 2 * 1024 * 1024;

export interface BundleSize {
  name: string;
  bytes?: number;
  error?: string;
}

/**
 * @example
 * for (const b of await bundleSizes()) console.log(b.name, b.bytes);
 */
export async function bundleSizes(): Promise<BundleSize[]> {
  const out: BundleSize[] = [];
  for (const name of LAMBDA_STEPS) {
    const entry = resolve(handlerEntry(name));
    if (!existsSync(entry)) {
      out.push({ name, error: `${entry} does not exist` });
      continue;
    }
    try {
      const r = await build({
        entryPoints: [entry],
        bundle: true,
        minify: true,
        platform: 'node',
        format: 'esm',
        target: BUNDLE_TARGET,
        write: false,
        mainFields: BUNDLE_MAIN_FIELDS,
        alias: BUNDLE_ALIASES[name] ?? {},
        logLevel: 'silent',
      });
      out.push({ name, bytes: r.outputFiles.reduce((n, f) => n + f.contents.length, 0) });
    } catch (err) {
      out.push({ name, error: (err as Error).message.split('\n')[0] ?? 'build failed' });
    }
  }
  return out;
}
