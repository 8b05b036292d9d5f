/**
 * `accessproof scan` keeps the records a collection serialized and the scan takes them instead of
 * parsing the snapshot again: that is only right if every kept record is exactly what its staged
 * line parses to. Checked for every source of the demo (every connector in files mode).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../cli/config-loader';
import { connectorFor } from '../../../connectors/registry';
import { silentLogger } from '../../../core/connector';
import { collectStep } from '../../../core/run/collect';
import { RECORD_KINDS } from '../../../core/snapshot';
import { LocalSnapshotStaging } from '../../../stores/local-staging/local-snapshot-staging';

const DEMO = resolve(import.meta.dirname, '../../../examples/demo/accessproof.yaml');
const dir = mkdtempSync(join(tmpdir(), 'accessproof-kept-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('records kept by the local staging', () => {
  it('are, for every demo source, exactly what their staged lines parse to, in order', async () => {
    const loaded = loadConfig(DEMO);
    const staging = new LocalSnapshotStaging(dir, { keepRecords: true });
    const plain = new LocalSnapshotStaging(join(dir, 'plain'));
    let compared = 0;
    for (const source of loaded.config.sources) {
      const connector = await connectorFor(source.system);
      const out = await collectStep({
        connector,
        source,
        key: source.id,
        staging,
        now: () => new Date('2026-10-01T00:00:00Z'),
        logger: silentLogger,
      });
      if (!out.done || !out.result.snapshot) throw new Error(`${source.id} not collected`);
      const location = out.result.snapshot.location;
      const kept = staging.takeRecords(location);
      expect(kept, source.id).toBeDefined();
      const lines: string[] = [];
      for await (const line of staging.lines(location)) lines.push(line);
      expect(kept?.header).toStrictEqual(JSON.parse(lines[0] as string));
      const values = kept?.parts.flatMap((p) => p.records) ?? [];
      const kinds = kept?.parts.flatMap((p) => [...p.kinds]) ?? [];
      expect(values).toHaveLength(lines.length - 1);
      for (let i = 1; i < lines.length; i++) {
        const parsed = JSON.parse(lines[i] as string) as Record<string, unknown>;
        const kind = RECORD_KINDS[kinds[i - 1] as number] as string;
        expect(Object.keys(parsed)).toEqual([kind]);
        // Own fields strictly (an undefined-valued field would differ); a kept ERP grant is a
        // DirectGrant (core/snapshot.ts), a plain record but for its prototype.
        expect({ ...(values[i - 1] as object) }).toStrictEqual(parsed[kind]);
        compared++;
      }
      // Handed out once; a staging without keepRecords keeps nothing.
      expect(staging.takeRecords(location)).toBeUndefined();
      expect(plain.takeRecords(location)).toBeUndefined();
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
