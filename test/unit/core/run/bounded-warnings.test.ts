import { describe, expect, it } from 'vitest';
import { boundedWarnings, MAX_WARNINGS_IN_STATE, toSourceResult } from '../../../../core/run/collect';

describe('warnings between steps: the count and the first few', () => {
  it('a source with 5,000 long warnings travels as 5 shortened ones and the count, well under 4 KB', () => {
    // Arrange: warnings that join every affected user name, as some connectors write them.
    const names = Array.from({ length: 400 }, (_, i) => `user${i}@example.com`).join(', ');
    const warnings = Array.from({ length: 5_000 }, (_, i) => `warning ${i}: no activity data for ${names}`);

    // Act
    const result = toSourceResult('entra', 'entra', {
      status: 'complete',
      header: {
        complete: true,
        tenant: 't',
        counts: { principals: 1, entitlements: 1, grants: 1 },
        collectedAt: '2026-10-01T00:00:00Z',
        mode: 'api',
        calls: 1,
        queries: [],
        warnings,
      },
      snapshot: { location: 's3://staging/snapshots/x', sha256: 'a'.repeat(64), bytes: 1, records: 1 },
    } as unknown as Parameters<typeof toSourceResult>[2]);

    // Assert
    expect(result.warnings).toHaveLength(MAX_WARNINGS_IN_STATE);
    expect(result.warnings?.[0]?.startsWith('warning 0: no activity data for user0@example.com')).toBe(true);
    expect(result.warnings?.[0]?.endsWith('…')).toBe(true);
    expect(result.warningCount).toBe(5_000);
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(4 * 1024);
    // Before: the whole list rode along (about 64 MB here).
    expect(Buffer.byteLength(JSON.stringify(warnings))).toBeGreaterThan(200 * 1024);
  });

  it('a few short warnings pass as they are, with no count', () => {
    expect(boundedWarnings(['a', 'b'])).toEqual({ warnings: ['a', 'b'] });
    expect(boundedWarnings([])).toEqual({});
    expect(boundedWarnings(undefined)).toEqual({});
  });
});
