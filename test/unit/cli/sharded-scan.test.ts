/**
 * `scan --shards N` sizes its own heap for reconcile and seal (issue 18): at 10x they hold ~1.1M
 * findings at once (4.8 GB RSS), past V8's default limit, and nobody should have to pass
 * NODE_OPTIONS by hand.
 */
import { describe, expect, it } from 'vitest';
import { reconcileHeapMb } from '../../../cli/sharded-scan';
import { TEN_X_RECONCILE_HEAP_MB } from '../../../core/run/shard-plan';

describe('reconcileHeapMb', () => {
  it("asks for the 10x heap under V8's default limit, at most 3/4 of the machine", () => {
    expect(reconcileHeapMb({ limitMb: 4144, totalMb: 23_000, env: {} })).toBe(TEN_X_RECONCILE_HEAP_MB);
    expect(reconcileHeapMb({ limitMb: 2096, totalMb: 8192, env: {} })).toBe(6144);
  });

  it('leaves a heap that is already as large (NODE_OPTIONS, a small machine) or was set for it', () => {
    expect(reconcileHeapMb({ limitMb: 16_384, totalMb: 64_000, env: {} })).toBeUndefined();
    expect(reconcileHeapMb({ limitMb: 4144, totalMb: 4096, env: {} })).toBeUndefined();
    expect(
      reconcileHeapMb({ limitMb: 4144, totalMb: 23_000, env: { ACCESSPROOF_RECONCILE_HEAP_SET: '12288' } }),
    ).toBeUndefined();
  });
});
