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
  const ctx = (grants = [makeGrant(user, a), makeGrant(user, b)], sod = true) =>
    createRuleContext(buildInventory({ principals: [user], entitlements: [a, b], grants }), {
      asOf: AS_OF,
      policy: makePolicyConfig(),
      sod: sod ? compileRulesets([parseRuleset(RULES, 'r.yaml')]) : undefined,
      financiallySignificant: () => false,
    });

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

  it('does nothing without a ruleset', () => {
    const c = ctx(undefined, false);
    expect(sodConflict(c.inv, c)).toEqual([]);
  });
});
