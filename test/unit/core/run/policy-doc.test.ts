import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../../core/config';
import { effectivePolicy } from '../../../../core/run/policy-doc';

function config(extra: { policy?: Record<string, unknown>; sourcePolicy?: Record<string, unknown> } = {}) {
  return configSchema.parse({
    organization: 'Example',
    sources: [
      {
        id: 'netsuite',
        system: 'erp',
        files: { users: '/home/me/erp/users.csv', roles: 'r.csv', assignments: 'a.csv' },
        ...(extra.sourcePolicy ? { policy: extra.sourcePolicy } : {}),
      },
    ],
    policy: extra.policy ?? {},
  });
}

describe('policy.json', () => {
  it('holds every threshold, the per-kind thresholds and each source’s own, never a local path', () => {
    // Arrange
    const c = config({
      policy: { dormantDays: 120, byKind: { nonhuman: { dormantDays: 45 } }, leaverGraceDays: 3 },
      sourcePolicy: { dormantDays: 30 },
    });
    // Act
    const { document, bytes } = effectivePolicy(c, []);
    // Assert
    expect(document.thresholds).toMatchObject({
      dormantDays: 120,
      leaverGraceDays: 3,
      rootUseDays: 30,
      unmatchedHumans: 'financial',
      byKind: { nonhuman: { dormantDays: 45 } },
    });
    expect(document.sources[0]).toMatchObject({ id: 'netsuite', policy: { dormantDays: 30 } });
    expect(new TextDecoder().decode(bytes)).not.toContain('/home/me');
  });

  it('omits a source policy that is not set, and changes its hash when one is', () => {
    // Act
    const plain = effectivePolicy(config(), []);
    const tuned = effectivePolicy(config({ sourcePolicy: { dormantDays: 30 } }), []);
    // Assert
    expect(plain.document.sources[0]).not.toHaveProperty('policy');
    expect(tuned.sha256).not.toBe(plain.sha256);
  });
});
