import { describe, expect, it } from 'vitest';
import { dropFutureActivity } from '../../../core/activity';
import { makeNhi } from '../../support/factories';

const AS_OF = Date.parse('2026-10-01T00:00:00Z');

describe('dropFutureActivity (issue 10, defect 6)', () => {
  it('drops a last activity more than a day after the as-of: activity unknown, a warning names principal and date', () => {
    const p = makeNhi({ lastActivity: { at: '2030-01-01T00:00:00.000Z', source: 'LastLoginDate' } });
    const warnings = dropFutureActivity(p, AS_OF);
    expect(p.lastActivity).toBeUndefined();
    expect(p.tags['accessproof:activity']).toBe('unknown');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(p.uid);
    expect(warnings[0]).toContain('2030-01-01T00:00:00.000Z');
  });

  it('keeps activity up to a day after the as-of, and drops a credential use in the future', () => {
    const p = makeNhi({
      lastActivity: { at: '2026-10-01T23:00:00.000Z', source: 'LastLoginDate' },
      credentials: [
        { id: 'AKIA1', type: 'access-key', active: true, lastUsedAt: '2027-05-01T00:00:00.000Z' },
      ],
    });
    const warnings = dropFutureActivity(p, AS_OF);
    expect(p.lastActivity?.at).toBe('2026-10-01T23:00:00.000Z');
    expect(p.credentials[0]!.lastUsedAt).toBeUndefined();
    expect(p.tags['accessproof:credential-activity']).toBe('unknown');
    expect(warnings).toHaveLength(1);
  });
});
