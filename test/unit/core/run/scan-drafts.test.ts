import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../../core/config';
import { silentLogger } from '../../../../core/connector';
import type { FindingDraft } from '../../../../core/findings/model';
import { MemoryRunStore } from '../../../../core/ports';
import { FindingsLimitError, type ScanResult, scanStep } from '../../../../core/run/scan';
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

/** A scan of `count` drafts from the step's extra-drafts hook, with no snapshot to read. */
function scanDrafts(count: number, maxFindings?: number) {
  const repo = SqliteFindingsRepository.open({ file: ':memory:' });
  const runStore = new MemoryRunStore();
  const drafts = Array.from({ length: count }, (_, i) => draft(i));
  const run = scanStep({
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
    ...(maxFindings !== undefined ? { maxFindings } : {}),
  });
  return { repo, runStore, run };
}

describe('scan: drafts of unbounded count', () => {
  it(`reconciles ${COUNT.toLocaleString('en')} drafts from one producer without a RangeError`, async () => {
    // Arrange + Act
    const { repo, runStore, run } = scanDrafts(COUNT);
    try {
      const summary = await run;

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

// Issue 11: a 250k-user tenant (about 5.5M findings) ran the heap out after minutes. A run with
// more findings than `maxFindings` now stops before the chain is reserved: exit 2 (an InputError),
// nothing reserved, nothing stored, the limit and what to do named in the message.
describe('scan: findings limit', () => {
  it('stops a run above maxFindings before reserving anything, naming the limit and what to do', async () => {
    const { repo, run } = scanDrafts(11, 10);
    try {
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FindingsLimitError);
      const message = (err as Error).message;
      expect(message).toContain('11 findings');
      expect(message).toContain('limits.maxFindings (10)');
      expect(message).toContain('Nothing of this run was reserved, kept or sealed');
      expect(message).toContain('--max-old-space-size');
      // Nothing reserved, nothing stored.
      expect(await repo.pendingReservation()).toBeNull();
      expect(await repo.getChainHead()).toBeNull();
      expect(await repo.loadAll()).toHaveLength(0);
    } finally {
      await repo.close();
    }
  });

  it('scans a run at the limit', async () => {
    const { repo, run } = scanDrafts(10, 10);
    try {
      expect((await run).findings).toBe(10);
    } finally {
      await repo.close();
    }
  });
});
