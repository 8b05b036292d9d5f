/**
 * The report's shortcuts over many findings must say what the plain functions say: `RunDates`
 * (each due date parsed once) what `isOverdue` says, and `addSystems` (no array per finding, the
 * last system's string reused) the systems `systemsOf` lists, whatever came before.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addSystems, RunDates, systemsOf } from '../../../../core/evidence/report-dashboard';
import { isOverdue } from '../../../../core/findings/display';
import type { Finding, FindingStatus } from '../../../../core/findings/model';

const statusArb = fc.constantFrom<FindingStatus>('open', 'reopened', 'risk-accepted', 'resolved');
const dueArb = fc.option(
  fc.constantFrom(
    '2026-09-30T23:59:59.999Z',
    '2026-10-01T00:00:00.000Z',
    '2026-10-01T00:00:00.001Z',
    '2026-10-08T00:00:00.000Z',
    '2026-09-01',
    '',
    'not a date',
  ),
  { nil: undefined },
);
const uidArb = fc.constantFrom(
  'erp:erp:U1',
  'erp:erp:U2',
  'erpx:erp:U3',
  'er:x',
  'aws:1:arn:aws:iam::1:role/a',
  ':lead',
  'nocolon',
  'entra:t1:',
);

describe('report shortcuts', () => {
  it('RunDates.overdue is isOverdue, however often a due date repeats', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ status: statusArb, dueAt: dueArb }), { maxLength: 30 }),
        fc.constantFrom('2026-10-01T00:00:00.000Z', '2026-09-15T12:00:00.000Z'),
        (findings, asOfText) => {
          const asOf = new Date(asOfText);
          const dates = new RunDates(asOf);
          for (const f of findings) {
            const finding = { status: f.status, ...(f.dueAt !== undefined ? { dueAt: f.dueAt } : {}) };
            expect(dates.overdue(finding)).toBe(isOverdue(finding, asOf));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('addSystems adds what systemsOf lists, once each, after any finding before it', () => {
    fc.assert(
      fc.property(fc.array(fc.array(uidArb, { maxLength: 3 }), { maxLength: 20 }), (lists) => {
        const last = { system: '' };
        for (const principals of lists) {
          const f = { subject: { identity: 'x', principals } } as unknown as Finding;
          const added: string[] = [];
          addSystems(f, (s) => added.push(s), last);
          expect(added.sort()).toEqual(systemsOf(f));
        }
      }),
      { numRuns: 300 },
    );
  });
});
