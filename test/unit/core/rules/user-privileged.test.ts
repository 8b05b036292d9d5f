import { describe, expect, it } from 'vitest';
import { userPrivileged } from '../../../../core/rules/user-privileged';
import { userPrivilegedNoMfa } from '../../../../core/rules/user-privileged-no-mfa';
import { makeEntitlement, makeGrant, makeNhi, makePrincipal } from '../../../support/factories';
import { contextFor } from './rule-harness';

describe('USER-PRIVILEGED and USER-PRIVILEGED-NO-MFA', () => {
  const admin = makeEntitlement({
    name: 'ERP User Admin',
    privileged: true,
    privilegedReason: 'roles.csv: privileged=true',
  });
  const plain = makeEntitlement({ name: 'Display' });
  const mfa = (v: string) => ({
    'accessproof:mfa': v,
    'accessproof:mfa-source': 'credential-report:mfa_active',
  });

  it('is compliant for a person with only ordinary entitlements', () => {
    const p = makePrincipal({ tags: mfa('false') });
    const c = contextFor({ principals: [p], entitlements: [plain], grants: [makeGrant(p, plain)] });
    expect(userPrivileged(p, c)).toEqual([]);
    expect(userPrivilegedNoMfa(p, c)).toEqual([]);
  });

  it('marks a privileged person medium, and high without MFA', () => {
    const p = makePrincipal({ tags: mfa('false') });
    const c = contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] });
    expect(userPrivileged(p, c)[0]?.severity).toBe('medium');
    const [d] = userPrivilegedNoMfa(p, c);
    expect(d?.severity).toBe('high');
    expect(d?.evidence[0]?.text).toMatch(/credential-report:mfa_active: MFA is not active/);
  });

  it('does not call unknown or active MFA off, and leaves non-human identities to NHI-PRIVILEGED', () => {
    for (const tags of [{}, mfa('true')]) {
      const p = makePrincipal({ tags });
      const c = contextFor({ principals: [p], entitlements: [admin], grants: [makeGrant(p, admin)] });
      expect(userPrivilegedNoMfa(p, c)).toEqual([]);
    }
    const svc = makeNhi();
    const c = contextFor({ principals: [svc], entitlements: [admin], grants: [makeGrant(svc, admin)] });
    expect(userPrivileged(svc, c)).toEqual([]);
  });
});
