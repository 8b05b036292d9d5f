import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import { compileRulesets, parseRuleset } from '../../../../core/sod';

const FILE = 'rules/test.yaml';

const VALID = `version: 1
functions:
  - id: AP-VENDOR-MAINT
    name: Maintain vendors
    process: procure-to-pay
    grants:
      - system: erp
        permission: [XK01, XK02]
      - system: aws
        action: ["dynamodb:PutItem"]
        resource: "arn:aws:dynamodb:*:*:table/vendor-master"
  - id: AP-PAYMENT
    name: Release payments
    grants:
      - system: erp
        entitlement: ["AP Payment*"]
      - system: salesforce
        objectPermission: { object: Credit_Limit__c, actions: [create, Edit] }
risks:
  - id: P2P-01
    title: Maintain vendors and release payments
    functions: [AP-VENDOR-MAINT, AP-PAYMENT]
    severity: critical
`;

/** Replaces one line (1-based) of the valid ruleset. */
function withLine(line: number, text: string): string {
  const lines = VALID.split('\n');
  lines[line - 1] = text;
  return lines.join('\n');
}

function errorOf(source: string, file = FILE): InputError {
  try {
    parseRuleset(source, file);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('parseRuleset', () => {
  it('reads functions, matchers and risks with their lines', () => {
    // Arrange / Act
    const ruleset = parseRuleset(VALID, FILE);

    // Assert
    expect(ruleset.file).toBe(FILE);
    expect(ruleset.functions.map((f) => [f.id, f.line])).toEqual([
      ['AP-VENDOR-MAINT', 3],
      ['AP-PAYMENT', 12],
    ]);
    expect(ruleset.functions[0]!.grants).toEqual([
      { kind: 'permission', system: 'erp', permissions: ['XK01', 'XK02'], line: 7 },
      {
        kind: 'action',
        system: 'aws',
        actions: ['dynamodb:PutItem'],
        resources: ['arn:aws:dynamodb:*:*:table/vendor-master'],
        line: 9,
      },
    ]);
    expect(ruleset.functions[1]!.grants[1]).toEqual({
      kind: 'objectPermission',
      system: 'salesforce',
      object: 'Credit_Limit__c',
      actions: ['create', 'edit'],
      line: 17,
    });
    expect(ruleset.risks).toEqual([
      {
        id: 'P2P-01',
        title: 'Maintain vendors and release payments',
        functions: ['AP-VENDOR-MAINT', 'AP-PAYMENT'],
        severity: 'critical',
        line: 20,
      },
    ]);
  });

  it('names file and line of an unknown function in a risk', () => {
    // Arrange
    const source = withLine(22, '    functions: [AP-VENDOR-MAINT, AP-PAYMNT]');

    // Act
    const err = errorOf(source);

    // Assert
    expect(err.message).toBe('rules/test.yaml:22: unknown function AP-PAYMNT');
    expect(err.location).toEqual({ file: FILE, line: 22 });
  });

  it('rejects an unknown matcher key on the line of the key', () => {
    const err = errorOf(withLine(8, '        permision: [XK01]'));
    expect(err.message).toMatch(/^rules\/test\.yaml:8: unknown matcher key "permision"/);
  });

  it('rejects an unknown system', () => {
    const err = errorOf(withLine(7, '      - system: oracle'));
    expect(err.message).toBe(
      'rules/test.yaml:7: unknown system "oracle" (expected aws, entra, salesforce, erp, sap)',
    );
  });

  it('rejects a matcher key that does not apply to the system', () => {
    const err = errorOf(withLine(8, '        action: [XK01]'));
    expect(err.message).toMatch(/^rules\/test\.yaml:8: matcher key "action" does not apply to system erp/);
  });

  it('rejects two matcher kinds in one item', () => {
    const source = VALID.replace(
      '        entitlement: ["AP Payment*"]',
      '        entitlement: ["AP Payment*"]\n        permission: [F110]',
    );
    const err = errorOf(source);
    expect(err.message).toMatch(/^rules\/test\.yaml:16: one matcher per list item/);
  });

  it('rejects resource without action', () => {
    const source = VALID.replace('        action: ["dynamodb:PutItem"]\n', '');
    expect(errorOf(source).message).toBe('rules/test.yaml:10: "resource" needs "action"');
  });

  it('rejects an IAM action that is not service:Action', () => {
    expect(errorOf(withLine(10, '        action: ["PutItem"]')).message).toMatch(
      /^rules\/test\.yaml:10: IAM action "PutItem" is not service:Action/,
    );
  });

  it('rejects an unknown object action', () => {
    const source = VALID.replace('actions: [create, Edit]', 'actions: [create, approve]');
    expect(errorOf(source).message).toMatch(/^rules\/test\.yaml:18: unknown object action "approve"/);
  });

  it('rejects a duplicate function id on the second definition', () => {
    const err = errorOf(withLine(12, '  - id: AP-VENDOR-MAINT'));
    expect(err.message).toBe('rules/test.yaml:12: duplicate function id AP-VENDOR-MAINT');
  });

  it('rejects a duplicate risk id', () => {
    const source = `${VALID}  - id: P2P-01\n    title: again\n    functions: [AP-PAYMENT, AP-VENDOR-MAINT]\n    severity: high\n`;
    expect(errorOf(source).message).toBe('rules/test.yaml:24: duplicate risk id P2P-01');
  });

  it('rejects a risk with fewer than two functions', () => {
    const err = errorOf(withLine(22, '    functions: [AP-PAYMENT]'));
    expect(err.message).toBe('rules/test.yaml:22: risk P2P-01 needs at least two functions (it has 1)');
  });

  it('rejects a function listed twice in a risk', () => {
    const err = errorOf(withLine(22, '    functions: [AP-PAYMENT, AP-PAYMENT]'));
    expect(err.message).toBe('rules/test.yaml:22: function AP-PAYMENT listed twice in risk P2P-01');
  });

  it('rejects an unknown severity', () => {
    const err = errorOf(withLine(23, '    severity: severe'));
    expect(err.message).toBe(
      'rules/test.yaml:23: risks[0].severity: severity must be one of critical, high, medium, low',
    );
  });

  it('points a missing field at the item lacking it', () => {
    const err = errorOf(VALID.replace('    name: Release payments\n', ''));
    expect(err.message).toBe('rules/test.yaml:12: functions[1].name: missing');
  });

  it('reports invalid YAML with its line', () => {
    const err = errorOf(withLine(5, '    process: [unclosed'));
    expect(err.location.line).toBeGreaterThanOrEqual(5);
    expect(err.message).toMatch(/^rules\/test\.yaml:\d+: invalid YAML: /);
  });

  it('rejects a wrong version and a non-mapping document', () => {
    expect(errorOf(withLine(1, 'version: 2')).message).toBe('rules/test.yaml:1: version must be 1');
    expect(errorOf('- a\n- b\n').message).toBe(
      'rules/test.yaml:1: a ruleset is a mapping with version, functions and risks',
    );
  });

  it('rejects an unknown top-level key', () => {
    expect(errorOf(`${VALID}extra: true\n`).message).toBe('rules/test.yaml:24: unknown key "extra"');
  });
});

describe('compileRulesets', () => {
  it('rejects a function id defined in two files', () => {
    // Arrange
    const a = parseRuleset(VALID, 'rules/a.yaml');
    const b = parseRuleset(VALID.replace('P2P-01', 'P2P-99'), 'rules/b.yaml');

    // Act / Assert
    expect(() => compileRulesets([a, b])).toThrow(
      'rules/b.yaml:3: duplicate function id AP-VENDOR-MAINT (also in rules/a.yaml:3)',
    );
  });

  it('numbers functions as bits and sizes the bitset', () => {
    const compiled = compileRulesets([parseRuleset(VALID, FILE)]);
    expect(compiled.functions.map((f) => [f.id, f.index])).toEqual([
      ['AP-VENDOR-MAINT', 0],
      ['AP-PAYMENT', 1],
    ]);
    expect(compiled.words).toBe(1);
    expect(compiled.risks[0]!.functions).toEqual([0, 1]);
  });

  it('expands IAM action patterns through the injected expander, deduplicated ignoring case', () => {
    // Arrange
    const source = VALID.replace('action: ["dynamodb:PutItem"]', 'action: ["dynamodb:Put*"]');
    const expandAction = (p: string) =>
      p === 'dynamodb:Put*' ? ['dynamodb:PutItem', 'dynamodb:PutResourcePolicy'] : [];

    // Act
    const compiled = compileRulesets([parseRuleset(source, FILE)], { expandAction });

    // Assert
    expect(compiled.systems.get('aws')!.actions[0]!.target.actions).toEqual([
      'dynamodb:PutItem',
      'dynamodb:PutResourcePolicy',
    ]);
  });
});
