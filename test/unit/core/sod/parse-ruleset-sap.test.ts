import { describe, expect, it } from 'vitest';
import { compileRulesets, parseRuleset } from '../../../../core/sod';

const FILE = 'rules/sap.yaml';

const ruleset = (matcher: string) => `version: 1
functions:
  - id: PAYRUN
    name: Payment run
    grants:
${matcher}
  - id: OTHER
    name: Other
    grants:
      - system: erp
        permission: [X]
risks:
  - id: R1
    title: Both
    functions: [PAYRUN, OTHER]
    severity: high
`;

const message = (text: string) => {
  try {
    parseRuleset(text, FILE);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseRuleset: sap matchers', () => {
  it('reads tcodes and objects with their field values, names uppercased, values kept as text', () => {
    const r = parseRuleset(
      ruleset(`      - system: sap
        tcode: [f110]
        authorizations:
          - object: f_regu_buk
            fields: { fbtch: ["11", "21"], BUKRS: "1000" }`),
      FILE,
    );
    expect(r.functions[0]?.grants[0]).toEqual({
      kind: 'sap',
      system: 'sap',
      tcodes: ['F110'],
      authorizations: [{ object: 'F_REGU_BUK', fields: { FBTCH: ['11', '21'], BUKRS: ['1000'] } }],
      line: 6,
    });
    const compiled = compileRulesets([r]);
    expect(compiled.systems.get('sap')?.sap).toEqual([
      {
        index: 0,
        fn: 0,
        tcodes: ['F110'],
        objects:
          r.functions[0]!.grants[0]!.kind === 'sap'
            ? (r.functions[0]!.grants[0] as { authorizations: unknown }).authorizations
            : [],
        full: 0b11,
      },
    ]);
  });

  it('accepts a tcode alone and objects alone', () => {
    expect(() => parseRuleset(ruleset('      - system: sap\n        tcode: SU01'), FILE)).not.toThrow();
    expect(() =>
      parseRuleset(
        ruleset(
          '      - system: sap\n        authorizations:\n          - object: S_USER_GRP\n            fields: { ACTVT: ["01"] }',
        ),
        FILE,
      ),
    ).not.toThrow();
  });

  it('refuses unquoted numbers, which YAML would turn 01 into 1', () => {
    expect(
      message(
        ruleset(
          '      - system: sap\n        tcode: F110\n        authorizations:\n          - object: F_REGU_BUK\n            fields: { FBTCH: [11, 21] }',
        ),
      ),
    ).toMatch(/^rules\/sap\.yaml:10: F_REGU_BUK FBTCH: quote SAP values/);
  });

  it('refuses patterns in the rule (roles hold patterns, rules name values)', () => {
    expect(
      message(
        ruleset(
          '      - system: sap\n        authorizations:\n          - object: F_REGU_BUK\n            fields: { FBTCH: ["1*"] }',
        ),
      ),
    ).toMatch(/literal values/);
  });

  it('refuses tcode on another system and mixing with entitlement in one item', () => {
    expect(message(ruleset('      - system: erp\n        tcode: F110'))).toMatch(
      /rules\/sap\.yaml:7: matcher key "tcode" does not apply to system erp/,
    );
    expect(
      message(ruleset('      - system: sap\n        tcode: F110\n        entitlement: ["Z_*"]')),
    ).toMatch(/one matcher per list item/);
  });
});
