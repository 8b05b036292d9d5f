import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import { reconcile } from '../../../../core/findings/lifecycle';
import { assignOwner } from '../../../../core/findings/ownership';
import { makeDraft, SLA } from './draft-factory';

describe('assignOwner', () => {
  it('sets the owner and records who changed it', () => {
    // Arrange
    const [f] = reconcile({
      previous: [],
      drafts: [makeDraft()],
      runId: 'run-1',
      asOf: new Date('2026-10-01T00:00:00Z'),
      completeSources: new Set(),
      failedOrIncompleteSources: new Set(),
      slaDays: SLA,
    }).findings;
    const at = new Date('2026-10-02T00:00:00Z');
    // Act
    const owned = assignOwner(f!, ' ap-lead@example.com ', 'ciso@example.com', at);
    // Assert
    expect(owned.owner).toBe('ap-lead@example.com');
    expect(owned.history.at(-1)).toEqual({
      at: at.toISOString(),
      event: 'owner-set',
      by: 'ciso@example.com',
      note: 'owner (none) → ap-lead@example.com',
    });
    expect(() => assignOwner(f!, ' ', 'ciso@example.com', at)).toThrow(InputError);
  });
});
