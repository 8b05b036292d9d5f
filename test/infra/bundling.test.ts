import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synth } from './synth';

describe('bundling', () => {
  it('bundles every step handler with the local esbuild, never Docker', () => {
    // Arrange: a docker binary that does not exist, so any Docker fallback would throw.
    const saved = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker-must-not-be-used';
    let outdir: string;
    let assets: Record<string, { source: { path: string } }>;
    try {
      // Act
      const { app, accessProof } = synth({ bundle: true });
      outdir = app.outdir;
      const manifest = JSON.parse(
        readFileSync(join(outdir, `${accessProof.runtime.artifactId}.assets.json`), 'utf8'),
      ) as { files: Record<string, { source: { path: string } }> };
      assets = manifest.files;
    } finally {
      if (saved === undefined) delete process.env.CDK_DOCKER;
      else process.env.CDK_DOCKER = saved;
    }

    // Assert: five code assets, each an ESM bundle with its source map and the createRequire banner.
    const bundles = Object.values(assets)
      .map((a) => join(outdir, a.source.path))
      .filter((p) => statSync(p).isDirectory() && existsSync(join(p, 'index.mjs')));
    expect(bundles).toHaveLength(5);
    for (const dir of bundles) {
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toMatch(
        /^import\{createRequire\}from"module"|^import \{ createRequire \}/,
      );
    }
  }, 180_000);
});
