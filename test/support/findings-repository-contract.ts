/**
 * The one contract every FindingsRepository adapter passes (core/findings/repository.ts).
 * An adapter's integration test calls `describeFindingsRepositoryContract` with a factory that
 * makes a fresh, empty store; `open()` may be called more than once to get a second, independent
 * writer (another connection or client) on the same store.
 */
import { describe, expect, it } from 'vitest';
import { type Finding, findingId, type RuleId } from '../../core/findings/model';
import { ChainConflictError, type ChainHead, type FindingsRepository } from '../../core/findings/repository';

export interface StoreFixture {
  /** A new repository instance on this fixture's store. */
  open(): Promise<FindingsRepository>;
  /** Close what `open()` returned and remove the store. */
  dispose(): Promise<void>;
}

/** Test-data factory: a complete, valid finding; `key` decides the id. */
export function makeFinding(overrides: Partial<Finding> & { key?: string } = {}): Finding {
  const rule: RuleId = overrides.rule ?? 'NHI-DORMANT';
  const key = overrides.key ?? 'aws:123456789012:arn:aws:iam::123456789012:role/batch';
  const base: Finding = {
    id: findingId({ rule, key, subject: { identity: 'x', principals: [] } }),
    rule,
    severity: 'high',
    title: 'Dormant non-human identity batch',
    subject: { identity: `principal:${key}`, principals: [key] },
    detail: { days: 120 },
    evidence: [
      {
        kind: 'activity',
        principal: key,
        signal: 'RoleLastUsed',
        at: '2026-05-01T00:00:00.000Z',
        text: 'last used 2026-05-01',
      },
    ],
    sources: ['aws-prod'],
    key,
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-1',
    status: 'open',
    dueAt: '2026-10-31T00:00:00.000Z',
    history: [{ at: '2026-10-01T00:00:00.000Z', runId: 'run-1', event: 'opened' }],
  };
  return { ...base, ...overrides };
}

/** `count` distinct findings. */
export function makeFindings(count: number, overrides: Partial<Finding> = {}): Finding[] {
  return Array.from({ length: count }, (_, i) =>
    makeFinding({ key: `erp:netsuite:user-${i}`, ...overrides }),
  );
}

/** A chain head for the `sequence`-th pack of `runId`. */
export function makeHead(sequence: number, runId: string): ChainHead {
  const hex = Buffer.from(`${runId}#${sequence}`).toString('hex').padEnd(64, '0').slice(0, 64);
  return {
    sequence,
    runId,
    manifestSha256: hex,
    location: `packs/2026/10/0${sequence % 10}/${runId}/`,
    sealedAt: `2026-10-0${sequence % 10}T01:00:00.000Z`,
  };
}

const AT = '2026-10-01T00:00:00.000Z';

/** Reserve, then commit `changed` as the next pack of `runId`. */
export async function commitNext(
  repo: FindingsRepository,
  runId: string,
  changed: Finding[],
): Promise<ChainHead> {
  const head = await repo.getChainHead();
  expect(await repo.reserve(runId, head, AT)).toBe('reserved');
  const next = makeHead((head?.sequence ?? 0) + 1, runId);
  await repo.commitRun(runId, changed, next);
  return next;
}

export function describeFindingsRepositoryContract(
  name: string,
  makeStore: () => Promise<StoreFixture>,
): void {
  describe(`FindingsRepository contract: ${name}`, () => {
    async function withStore(fn: (store: StoreFixture, repo: FindingsRepository) => Promise<void>) {
      const store = await makeStore();
      try {
        await fn(store, await store.open());
      } finally {
        await store.dispose();
      }
    }

    it('starts empty', async () => {
      await withStore(async (_store, repo) => {
        // Arrange / Act
        const [all, head, pending, one] = await Promise.all([
          repo.loadAll(),
          repo.getChainHead(),
          repo.pendingReservation(),
          repo.get('nope'),
        ]);
        // Assert
        expect(all).toEqual([]);
        expect(head).toBeNull();
        expect(pending).toBeNull();
        expect(one).toBeUndefined();
      });
    });

    it('round-trips findings with every optional field and moves the head', async () => {
      await withStore(async (store, repo) => {
        // Arrange
        const full = makeFinding({
          key: 'sod|person:ana@example.com|P2P-01',
          rule: 'SOD-CONFLICT',
          severity: 'critical',
          title: 'Maintain vendors and release payments — Ana Søren',
          detail: {
            riskId: 'P2P-01',
            functions: ['AP-VENDOR-MAINT', 'AP-PAYMENT'],
            nested: { n: 1, z: null },
          },
          owner: 'ap-lead@example.com',
          status: 'risk-accepted',
          exception: {
            approver: 'cfo@example.com',
            rationale: 'Small team; monthly review of vendor changes',
            compensatingControl: 'monthly vendor master change report',
            expiresAt: '2027-03-31T00:00:00.000Z',
            grantedAt: AT,
          },
          history: [
            { at: AT, runId: 'run-1', event: 'opened' },
            { at: AT, event: 'risk-accepted', by: 'cfo@example.com', note: 'until 2027-03-31' },
          ],
        });
        const resolved = makeFinding({
          key: 'erp:netsuite:svc-old',
          status: 'resolved',
          resolution: { runId: 'run-1', how: 'not seen in complete collection of netsuite', at: AT },
        });
        const plain = makeFinding();
        // Act
        const next = await commitNext(repo, 'run-1', [plain, full, resolved]);
        const again = await store.open();
        // Assert
        const expected = [plain, full, resolved].sort((a, b) => a.id.localeCompare(b.id));
        expect(await repo.loadAll()).toEqual(expected);
        expect(await again.loadAll()).toEqual(expected);
        expect(await again.get(full.id)).toEqual(full);
        expect(await again.getChainHead()).toEqual(next);
        expect(await again.pendingReservation()).toBeNull();
      });
    });

    it('lets exactly one of two writers reserve the same head; the other gets a ChainConflictError naming the winner', async () => {
      await withStore(async (store, a) => {
        // Arrange
        await commitNext(a, 'run-1', [makeFinding()]);
        const b = await store.open();
        const head = await a.getChainHead();
        // Act
        const results = await Promise.allSettled([
          a.reserve('run-a', head, AT),
          b.reserve('run-b', head, AT),
        ]);
        // Assert
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        const winner = results[0]?.status === 'fulfilled' ? 'run-a' : 'run-b';
        const loser = winner === 'run-a' ? 'run-b' : 'run-a';
        expect(lost[0]?.reason).toBeInstanceOf(ChainConflictError);
        expect(String(lost[0]?.reason.message)).toContain(winner);
        expect(lost[0]?.reason.heldBy).toBe(winner);
        // The loser cannot commit either, and the winner still can.
        const loserRepo = loser === 'run-a' ? a : b;
        await expect(
          loserRepo.commitRun(loser, [makeFinding({ title: 'fork' })], makeHead(2, loser)),
        ).rejects.toThrow(ChainConflictError);
        const winnerRepo = winner === 'run-a' ? a : b;
        await winnerRepo.commitRun(winner, [], makeHead(2, winner));
        expect((await b.getChainHead())?.runId).toBe(winner);
        expect((await b.get(makeFinding().id))?.title).not.toBe('fork');
      });
    });

    it('refuses a reservation against a head that has moved on', async () => {
      await withStore(async (store, repo) => {
        // Arrange
        const late = await store.open();
        const seenByLate = await late.getChainHead();
        await commitNext(repo, 'run-1', []);
        // Act
        const attempt = late.reserve('run-late', seenByLate, AT);
        // Assert
        await expect(attempt).rejects.toThrow(ChainConflictError);
        await expect(late.reserve('run-late', seenByLate, AT)).rejects.toThrow(/ends at #1 run-1/);
      });
    });

    it('treats a re-delivered reserve and commitRun of the same run as harmless', async () => {
      await withStore(async (_store, repo) => {
        // Arrange
        const f = makeFinding();
        expect(await repo.reserve('run-1', null, AT)).toBe('reserved');
        // Act
        const reserveAgain = await repo.reserve('run-1', null, AT);
        await repo.commitRun('run-1', [f], makeHead(1, 'run-1'));
        await repo.commitRun('run-1', [f], makeHead(1, 'run-1'));
        const reserveAfterCommit = await repo.reserve('run-1', null, AT);
        const reserveOwnHead = await repo.reserve('run-1', makeHead(1, 'run-1'), AT);
        // Assert
        expect(reserveAgain).toBe('reserved');
        expect(reserveAfterCommit).toBe('already-committed');
        expect(reserveOwnHead).toBe('already-committed');
        expect(await repo.getChainHead()).toEqual(makeHead(1, 'run-1'));
        expect(await repo.loadAll()).toEqual([f]);
        expect(await repo.pendingReservation()).toBeNull();
      });
    });

    it('ignores a late re-delivery of an older run instead of overwriting newer state', async () => {
      await withStore(async (_store, repo) => {
        // Arrange
        const first = makeFinding();
        const later = makeFinding({
          status: 'resolved',
          lastSeenRun: 'run-1',
          resolution: { runId: 'run-2', how: 'not seen in complete collection of aws-prod', at: AT },
        });
        await commitNext(repo, 'run-1', [first]);
        await commitNext(repo, 'run-2', [later]);
        // Act
        await repo.commitRun('run-1', [first], makeHead(1, 'run-1'));
        // Assert
        expect(await repo.get(first.id)).toEqual(later);
        expect(await repo.getChainHead()).toEqual(makeHead(2, 'run-2'));
      });
    });

    it('refuses a commit without a reservation, or to the wrong sequence, and writes nothing', async () => {
      await withStore(async (_store, repo) => {
        // Arrange
        const f = makeFinding();
        // Act / Assert
        await expect(repo.commitRun('run-x', [f], makeHead(1, 'run-x'))).rejects.toThrow(
          /holds no reservation/,
        );
        await repo.reserve('run-1', null, AT);
        await expect(repo.commitRun('run-1', [f], makeHead(2, 'run-1'))).rejects.toThrow(ChainConflictError);
        await expect(repo.commitRun('run-1', [f], makeHead(1, 'run-other'))).rejects.toThrow(
          ChainConflictError,
        );
        expect(await repo.loadAll()).toEqual([]);
        expect(await repo.getChainHead()).toBeNull();
        expect((await repo.pendingReservation())?.runId).toBe('run-1');
      });
    });

    it('exposes a crashed run’s reservation so the next run can find and clear it', async () => {
      await withStore(async (store, crashed) => {
        // Arrange
        await commitNext(crashed, 'run-1', [makeFinding()]);
        const head = await crashed.getChainHead();
        await crashed.reserve('run-crashed', head, '2026-10-02T00:00:00.000Z');
        await crashed.close();
        const next = await store.open();
        // Act
        const pending = await next.pendingReservation();
        // Assert
        expect(pending).toEqual({
          runId: 'run-crashed',
          expected: head,
          reservedAt: '2026-10-02T00:00:00.000Z',
        });
        await expect(next.reserve('run-next', head, AT)).rejects.toThrow(/run-crashed/);
        await expect(next.putFinding(makeFinding({ owner: 'x@example.com' }))).rejects.toThrow(
          ChainConflictError,
        );
        await expect(next.clearReservation('run-next')).rejects.toThrow(ChainConflictError);
        await next.clearReservation('run-crashed');
        await next.clearReservation('run-crashed'); // idempotent
        expect(await next.pendingReservation()).toBeNull();
        await expect(next.commitRun('run-crashed', [], makeHead(2, 'run-crashed'))).rejects.toThrow(
          ChainConflictError,
        );
        expect(await next.reserve('run-next', head, AT)).toBe('reserved');
        await next.commitRun('run-next', [], makeHead(2, 'run-next'));
        expect((await next.getChainHead())?.runId).toBe('run-next');
      });
    });

    it('stores a finding changed outside a run', async () => {
      await withStore(async (store, repo) => {
        // Arrange
        const f = makeFinding();
        await commitNext(repo, 'run-1', [f]);
        const owned = {
          ...f,
          owner: 'ap-lead@example.com',
          history: [...f.history, { at: AT, event: 'owner-set' }],
        };
        // Act
        await repo.putFinding(owned);
        // Assert
        expect(await (await store.open()).get(f.id)).toEqual(owned);
        expect((await repo.getChainHead())?.runId).toBe('run-1');
      });
    });

    it('keeps run records, oldest first, and marks them sealed once without rewriting a sealed one', async () => {
      await withStore(async (store, repo) => {
        // Arrange
        const failed = {
          id: 'run-2/failed/0',
          runId: 'run-2',
          kind: 'failed' as const,
          at: '2026-10-02T03:00:00.000Z',
          step: 'seal',
          error: 'States.TaskFailed: boom',
          reservation: 'released' as const,
        };
        const released = {
          id: 'run-3/released/0',
          runId: 'run-3',
          kind: 'released' as const,
          at: '2026-10-01T03:00:00.000Z',
          reason: 'stuck',
          by: 'ops@example.com',
          reservation: 'none' as const,
        };
        // Act
        await repo.putRunRecord(failed);
        await repo.putRunRecord(released);
        await repo.putRunRecord(failed); // re-delivered
        await repo.markRunRecordsSealed(['run-2/failed/0', 'unknown'], 'run-4');
        await repo.markRunRecordsSealed(['run-2/failed/0'], 'run-5'); // already sealed: kept
        await repo.putRunRecord({ ...failed, error: 'rewritten' }); // sealed: never rewritten
        const records = await (await store.open()).listRunRecords();
        // Assert
        expect(records).toEqual([released, { ...failed, sealedIn: 'run-4' }]);
      });
    });

    it('commits 5,000 findings in one run and reads them all back in id order', async () => {
      await withStore(async (store, repo) => {
        // Arrange
        const many = makeFindings(5000);
        // Act
        await commitNext(repo, 'run-big', many);
        const all = await (await store.open()).loadAll();
        // Assert
        expect(all).toHaveLength(5000);
        const ids = all.map((f) => f.id);
        expect(ids).toEqual([...ids].sort());
        expect(new Set(ids).size).toBe(5000);
        const sample = many[1234]!;
        expect(all.find((f) => f.id === sample.id)).toEqual(sample);
      });
    });
  });
}
