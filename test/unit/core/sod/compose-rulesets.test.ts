import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileRulesets, evaluateSod, parseRulesets } from '../../../../core/sod';
import { buildInventory, makeEntitlement, makeGrant, makePrincipal } from '../../../support/factories';

const CORE = {
  file: 'rules/sox-core.yaml',
  text: readFileSync(new URL('../../../../rules/sox-core.yaml', import.meta.url), 'utf8'),
};
const OURS = {
  file: 'our-risks.yaml',
  text: `version: 1
functions:
  - id: TREASURY-WIRE
    name: Release treasury wires
    grants: [{ system: erp, permission: [TR-WIRE] }]
risks:
  - id: OUR-01
    title: Maintain vendors and release wires
    functions: [AP-VENDOR-MAINT, TREASURY-WIRE]
    severity: high
`,
};

/** The line of `- id: <id>` in sox-core.yaml (the file grows with new systems). */
const lineOf = (id: string) => CORE.text.split('\n').findIndex((l) => l.trim() === `- id: ${id}`) + 1;

describe('parseRulesets: several files compose', () => {
  it('lets a risk of one file use functions of another (sodRules: [rules/sox-core.yaml, our-risks.yaml])', () => {
    // Arrange
    const compiled = compileRulesets(parseRulesets([CORE, OURS]));
    const user = makePrincipal({ nativeId: 'JDOE' });
    const vendor = makeEntitlement({ permissions: ['XK01'] });
    const wire = makeEntitlement({ permissions: ['TR-WIRE'] });
    const inv = buildInventory({
      principals: [user],
      entitlements: [vendor, wire],
      grants: [makeGrant(user, vendor), makeGrant(user, wire)],
      financiallySignificant: ['erp-test'],
    });
    // Act
    const drafts = evaluateSod(inv, compiled);
    // Assert
    expect(drafts.map((d) => [d.detail.riskId, d.detail.ruleset, d.severity])).toEqual([
      ['OUR-01', 'our-risks', 'high'],
    ]);
  });

  it('names both files and lines when an id is defined twice', () => {
    const dup = {
      file: 'dup.yaml',
      text: 'version: 1\nfunctions:\n  - id: AP-PAYMENT\n    name: x\n    grants: [{ system: erp, permission: [X] }]\n',
    };
    expect(() => parseRulesets([CORE, dup])).toThrow(
      `dup.yaml:3: duplicate function id AP-PAYMENT (also in rules/sox-core.yaml:${lineOf('AP-PAYMENT')})`,
    );
    const dupRisk = {
      file: 'r.yaml',
      text: 'version: 1\nrisks:\n  - id: P2P-01\n    title: t\n    functions: [AP-PAYMENT, AP-INVOICE]\n    severity: low\n',
    };
    expect(() => parseRulesets([CORE, dupRisk])).toThrow(
      `r.yaml:3: duplicate risk id P2P-01 (also in rules/sox-core.yaml:${lineOf('P2P-01')})`,
    );
  });

  it('names the line of a function no file defines, and keeps one file as strict as before', () => {
    const bad = {
      file: 'b.yaml',
      text: 'version: 1\nrisks:\n  - id: B-1\n    title: t\n    functions: [AP-PAYMENT, NOPE]\n    severity: low\n',
    };
    expect(() => parseRulesets([CORE, bad])).toThrow(
      /^b\.yaml:5: unknown function NOPE \(defined in none of/,
    );
    expect(() => parseRulesets([bad])).toThrow(/^b\.yaml:\d+: /);
  });
});
