import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { crossCheckSod } from '../../../bench/cross-check';
import { generateEnterprise, TINY } from '../../../bench/generate';
import { loadConfig } from '../../../cli/config-loader';
import { localPaths } from '../../../cli/paths';
import { loadRulesets, runLocalScan } from '../../../cli/scan-pipeline';
import { silentLogger } from '../../../core/connector';
import type { Inventory } from '../../../core/inventory';

const dir = mkdtempSync(join(tmpdir(), 'accessproof-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the small bench tenant through the real scan, cross-checked with DuckDB', () => {
  it('finds exactly the conflicts DuckDB finds, and some', async () => {
    // Arrange
    const g = await generateEnterprise(TINY, join(dir, 'tenant'));
    const loaded = loadConfig(g.config);
    let inventory: Inventory | undefined;

    // Act
    const result = await runLocalScan({
      loaded,
      paths: localPaths(join(dir, 'out'), undefined),
      asOf: new Date('2026-10-01T00:00:00Z'),
      logger: silentLogger,
      hooks: { inventory: (inv) => (inventory = inv) },
    });
    const { compiled } = await loadRulesets(loaded.rulesetFiles);
    const check = await crossCheckSod(result.plan.runId, result.scan.findings, inventory!, compiled!);

    // Assert
    expect(check.ours.size).toBeGreaterThan(5);
    expect(check.missing).toEqual([]);
    expect(check.extra).toEqual([]);
    expect(check.evidenceDiffers).toEqual([]);
    expect(check.duck.pairs.size).toBe(check.ours.size);
    expect(result.sources.every((s) => s.status === 'complete')).toBe(true);
  });
});
