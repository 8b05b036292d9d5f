import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sapConnector } from '../../../../connectors/sap';
import { sapSourceSchema } from '../../../../core/config';
import { InventoryBuilder } from '../../../../core/inventory';
import { compileRulesets, evaluateSod, parseRuleset } from '../../../../core/sod';
import { collectAll } from '../../connectors/shared/memory-staging';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const parse = (file: string) => parseRuleset(readFileSync(`${ROOT}${file}`, 'utf8'), file);

/** The demo S/4HANA extract, collected and judged as of the demo's date. */
async function demoConflicts(rulesFile: string) {
  const source = sapSourceSchema.parse({
    id: 's4-prod',
    system: 'sap',
    client: '100',
    files: { dir: `${ROOT}examples/demo/sap` },
  });
  const snapshot = await collectAll(sapConnector, source);
  const b = new InventoryBuilder({ asOf: new Date('2026-10-01T00:00:00Z') });
  b.addSnapshot(snapshot);
  const drafts = evaluateSod(b.finish(), compileRulesets([parse(rulesFile)]));
  return drafts.map((d) => `${d.subject.principals.join('+')} ${d.detail.riskId}`).sort();
}

describe('rules/sap-sox.yaml', () => {
  it('parses, compiles beside sox-core.yaml, and every function is a transaction with an object', () => {
    const sap = parse('rules/sap-sox.yaml');
    compileRulesets([parse('rules/sox-core.yaml'), sap]);
    for (const fn of sap.functions) {
      for (const m of fn.grants) {
        expect(m.kind).toBe('sap');
        if (m.kind === 'sap') {
          expect(m.tcodes.length, fn.id).toBeGreaterThan(0);
          expect(m.authorizations.length, fn.id).toBeGreaterThan(0);
        }
      }
      expect(fn.description, `${fn.id} cites what it relies on`).toBeTruthy();
    }
  });

  it('on the demo extract: the payment-run holder with F_REGU_BUK 11/21 conflicts; display-only, expired, locked and ended users do not', async () => {
    expect(await demoConflicts('rules/sap-sox.yaml')).toEqual([
      'sap:s4-prod:CLINDQVIST SAP-P2P-03',
      'sap:s4-prod:FF_FI_01 SAP-BC-01',
      'sap:s4-prod:FF_FI_01 SAP-BC-02',
      'sap:s4-prod:FF_FI_01 SAP-BC-03',
      'sap:s4-prod:FF_FI_01 SAP-BC-04',
      'sap:s4-prod:FF_FI_01 SAP-O2C-01',
      'sap:s4-prod:FF_FI_01 SAP-O2C-02',
      'sap:s4-prod:FF_FI_01 SAP-O2C-03',
      'sap:s4-prod:FF_FI_01 SAP-P2P-01',
      'sap:s4-prod:FF_FI_01 SAP-P2P-02',
      'sap:s4-prod:FF_FI_01 SAP-P2P-03',
      'sap:s4-prod:FF_FI_01 SAP-P2P-04',
      'sap:s4-prod:FF_FI_01 SAP-P2P-05',
      'sap:s4-prod:FF_FI_01 SAP-P2P-06',
      'sap:s4-prod:FF_FI_01 SAP-R2R-01',
      'sap:s4-prod:FF_FI_01 SAP-R2R-02',
      'sap:s4-prod:ZNAKAMURA SAP-P2P-04',
    ]);
  });

  it('sox-core.yaml judges the demo extract the same way for payments', async () => {
    const found = await demoConflicts('rules/sox-core.yaml');
    expect(found).toContain('sap:s4-prod:CLINDQVIST P2P-02');
    expect(found.filter((f) => /DYAMAMOTO|NVARGA|MKELLER|RQUINTERO|BATCH_FI/.test(f))).toEqual([]);
  });
});
