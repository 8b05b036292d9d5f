import { describe, expect, it } from 'vitest';
import { membershipPaths } from '../../../../connectors/entra-id/groups';

describe('membershipPaths', () => {
  it('names the nested groups a member comes through, outermost first', () => {
    // Arrange: G ⊃ N1 ⊃ N2 ∋ u2; G ∋ u1 directly
    const direct = { G: ['u1', 'N1'], N1: ['N2'], N2: ['u2'] };

    // Act
    const paths = membershipPaths('G', ['u1', 'u2'], ['N1', 'N2'], direct);

    // Assert
    expect(paths.get('u1')).toEqual([]);
    expect(paths.get('u2')).toEqual(['N1', 'N2']);
  });

  it('treats every member as direct when the closure has no nested group', () => {
    const paths = membershipPaths('G', ['u1', 'u2'], [], {});
    expect([...paths.values()]).toEqual([[], []]);
  });

  it('keeps the shortest path when a member is reachable twice, and survives cycles', () => {
    const direct = { G: ['N1', 'N2'], N1: ['N2', 'u'], N2: ['N1', 'u'] };
    expect(membershipPaths('G', ['u'], ['N1', 'N2'], direct).get('u')).toEqual(['N1']);
  });

  it('counts a member the direct lists do not reach as direct (membership changed between reads)', () => {
    expect(membershipPaths('G', ['ghost'], ['N1'], { G: ['N1'], N1: [] }).get('ghost')).toEqual([]);
  });
});
