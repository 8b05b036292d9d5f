import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../../core/config';
import { silentLogger } from '../../../../core/connector';
import type { FindingDraft } from '../../../../core/findings/model';
import { MemoryRunStore } from '../../../../core/ports';
import { type ScanResult, scanStep } from '../../../../core/run/scan';
import { SqliteFindingsRepository } from '../../../../stores/sqlite-findings/sqlite-findings-repository';

// Issue 11: at 10,000 users holding every ERP role (about 200k SoD conflicts) every scan died with
// `RangeError: Maximum call stack size exceeded` at `drafts.push(...sodDrafts)`: a spread passes
// every item as an argument, and V8 gives up at about 150k. The drafts now stream into the
// lifecycle list by list. 300k drafts go through the very step that spread them.
const COUNT = 200_000;

function draft(i: number): FindingDraft {
  const principal = `erp:netsuite:U${i}`;
  return {
    rule: 'SOD-CONFLICT',
    severity: 'high',
    title: `conflict ${i}`,
    subject: { identity: `principal:${principal}`, principals: [principal] },
    detail: {},
    evidence: [],
    sources: ['netsuite'],
    key: `${principal}|R1`,
  };
}

describe('scan: drafts of unbounded count', () => {
  it(`reconciles ${COUNT.toLocaleString('en')} drafts from one producer without a RangeError`, async () => {
    // Arrange: no snapshot to read; the drafts come from the step's extra-drafts hook.
    const repo = SqliteFindingsRepository.open({ file: ':memory:' });
    const runStore = new MemoryRunStore();
    const drafts = Array.from({ length: COUNT }, (_, i) => draft(i));
    try {
      // Act
      const summary = await scanStep({
        plan: {
          runId: '20261001T000000Z-aaaaaa',
          organization: 'test',
          startedAt: '2026-10-01T00:00:00.000Z',
          asOf: '2026-10-01T00:00:00.000Z',
          configSha256: '0'.repeat(64),
          toolVersion: 'test',
          sources: [],
        },
        sources: [],
        policy: policySchema.parse({}),
        sod: undefined,
        snapshots: { lines: async function* () {} },
        repo,
        runStore,
        now: () => new Date('2026-10-01T00:00:00.000Z'),
        logger: silentLogger,
        extraDrafts: () => drafts,
      });

      // Assert: every draft became one open finding, sorted by id.
      expect(summary.findings).toBe(COUNT);
      expect(summary.open).toBe(COUNT);
      const result = (await runStore.get<ScanResult>(summary.resultKey))!;
      expect(result.changes.opened).toHaveLength(COUNT);
      const ids = result.findings.map((f) => f.id);
      expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
    } finally {
      await repo.close();
    }
  }, 120_000);
});
