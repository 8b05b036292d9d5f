/** Size of each Lambda entry bundled the way the CDK app bundles it (esbuild, ESM, minified). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

export const LAMBDA_STEPS = ['plan', 'collect', 'scan', 'seal', 'notify'] as const;

export async function bundleSizes(): Promise<Array<{ name: string; bytes?: number; error?: string }>> {
  const out: Array<{ name: string; bytes?: number; error?: string }> = [];
  for (const name of LAMBDA_STEPS) {
    const entry = resolve('functions', name, 'handler.ts');
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
        target: 'node22',
        write: false,
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      });
      out.push({ name, bytes: r.outputFiles.reduce((n, f) => n + f.contents.length, 0) });
    } catch (err) {
      out.push({ name, error: (err as Error).message.split('\n')[0] ?? 'build failed' });
    }
  }
  return out;
}
