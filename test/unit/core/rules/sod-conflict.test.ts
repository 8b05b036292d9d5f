import { describe, expect, it } from 'vitest';
import { createRuleContext } from '../../../../core/rules';
import { sodConflict } from '../../../../core/rules/sod-conflict';
import { compileRulesets, parseRuleset } from '../../../../core/sod';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makePolicyConfig,
  makePrincipal,
} from '../../../support/factories';
import { AS_OF } from './rule-harness';

const RULES = `version: 1
functions:
  - { id: A, name: a, grants: [{ system: erp, permission: [PA] }] }
  - { id: B, name: b, grants: [{ system: erp, entitlement: ["Role B*"] }] }
risks:
  - { id: R1, title: a and b, functions: [A, B], severity: medium }
`;

describe('SOD-CONFLICT', () => {
  const user = makePrincipal();
  const a = makeEntitlement({ permissions: ['PA'] });
  const b = makeEntitlement({ name: 'Role B (approver)' });
  const ctx = (grants = [makeGrant(user, a), makeGrant(user, b)], sod = true, significant = ['erp-test']) =>
    createRuleContext(
      buildInventory({
        principals: [user],
        entitlements: [a, b],
        grants,
        financiallySignificant: significant,
      }),
      {
        asOf: AS_OF,
        policy: makePolicyConfig(),
        sod: sod ? compileRulesets([parseRuleset(RULES, 'r.yaml')]) : undefined,
        financiallySignificant: () => false,
      },
    );

  it('is compliant when only one function is held', () => {
    const c = ctx([makeGrant(user, a)]);
    expect(sodConflict(c.inv, c)).toEqual([]);
  });

  it('fires with the severity of the risk', () => {
    const c = ctx();
    expect(sodConflict(c.inv, c).map((d) => [d.severity, d.key])).toEqual([
      ['medium', `principal:${user.uid}|R1`],
    ]);
  });

  it('drops one level, and says why, when no grant sits on a financially significant source', () => {
    const c = ctx(undefined, true, []);
    const [d] = sodConflict(c.inv, c);
    expect(d?.severity).toBe('low');
    expect(d?.detail.riskSeverity).toBe('medium');
    expect(d?.detail.severityReason).toMatch(
      /lowered from medium to low: no grant .* financiallySignificant \(erp-test\)/,
    );
    expect(d?.evidence.at(-1)?.text).toBe(d?.detail.severityReason);
  });

  it('does nothing without a ruleset', () => {
    const c = ctx(undefined, false);
    expect(sodConflict(c.inv, c)).toEqual([]);
  });
});
