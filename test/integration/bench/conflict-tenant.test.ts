import { describe, expect, it } from 'vitest';
import { scanConflictTenant } from '../../../bench/conflict-tenant';

// The 10,000-user tenant (about 200k conflicts) is measured by `npm run bench:conflicts`; this
// checks the same tenant's findings at a size the suite can afford: every user holds all 31 ERP
// roles, so each raises the same SoD conflicts, on top of the demo's other findings.
describe('the conflict-heavy tenant', () => {
  it('gives each all-roles user the same conflicts, so findings grow by a fixed count per user', async () => {
    const small = await scanConflictTenant(20);
    const larger = await scanConflictTenant(60);
    const perUser = (larger.findings - small.findings) / 40;
    // 20 SoD conflicts, plus USER-PRIVILEGED and USER-NO-HR-RECORD since the demo has an HR source (issue 12).
    expect(perUser).toBe(22);
    expect(small.findings - 20 * perUser).toBe(larger.findings - 60 * perUser);
  }, 120_000);
});
