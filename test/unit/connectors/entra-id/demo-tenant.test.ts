import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FindingDraft } from '../../../../core/findings/model';
import { compileRulesets, parseRuleset } from '../../../../core/sod';
import { type Collected, collect, findingsOf, recordsOf } from '../../../integration/entra-id/harness';

// The source block examples/demo/accessproof.yaml carries for the Entra demo tenant.
const DEMO_SOURCE = {
  id: 'entra',
  system: 'entra',
  tenantId: '5b7c2e9a-3f1d-4c8e-9a61-2d4f8b0c7e13',
  financiallySignificant: true,
  financialApps: ['NetSuite ERP'],
  groups: ['Finance*'],
  kinds: { '8e9dd9ff-17ae-452c-9455-0ba7cc001554': 'nonhuman' },
  files: { dir: join(process.cwd(), 'examples/demo/entra') },
};

let c: Collected;
let drafts: FindingDraft[];
let rulesOf: (name: string) => string[];

beforeAll(async () => {
  c = await collect({ source: DEMO_SOURCE });
  const sod = compileRulesets([
    parseRuleset(readFileSync('rules/sox-core.yaml', 'utf8'), 'rules/sox-core.yaml'),
  ]);
  drafts = findingsOf(c, '2026-10-01T00:00:00Z', sod);
  const { principals } = recordsOf(c.lines);
  rulesOf = (name) => {
    const uids = principals.filter((p) => p.name === name).map((p) => p.uid);
    if (uids.length === 0) throw new Error(`no principal ${name}`);
    return drafts.filter((d) => d.subject.principals.some((u) => uids.includes(u))).map((d) => d.rule);
  };
});

describe('the Halvorsen Industrial demo tenant (examples/demo/entra)', () => {
  it('collects completely: 204 users and guests, 15 service principals, one lone registration', () => {
    expect(c.header).toMatchObject({ complete: true, mode: 'files' });
    const { principals } = recordsOf(c.lines);
    const types: Record<string, number> = {};
    for (const p of principals) types[p.type] = (types[p.type] ?? 0) + 1;
    expect(types).toEqual({
      user: 201,
      guest: 3,
      'service-principal': 13,
      'managed-identity': 2,
      application: 1,
    });
  });

  it('gives the scenario findings the README promises', () => {
    expect(rulesOf('Payments Batch Runner')).toEqual(
      expect.arrayContaining(['NHI-DORMANT', 'NHI-CRED-EXPIRED']),
    );
    expect(rulesOf('Legacy Invoice Importer')).toEqual(
      expect.arrayContaining(['NHI-NEVER-USED', 'NHI-CRED-STALE', 'NHI-ORPHANED']),
    );
    expect(rulesOf('GL Reconciliation Service')).toEqual(['NHI-CRED-STALE']);
    expect(rulesOf('Directory Sync Automation')).toEqual(
      expect.arrayContaining(['NHI-NO-OWNER', 'NHI-PRIVILEGED']),
    );
    expect(rulesOf('mi-invoice-ocr')).toEqual([]);
    expect(rulesOf('Microsoft Graph')).toEqual([]);
    expect(rulesOf('Fiona Garcia')).toContain('SOD-CONFLICT');
    expect(drafts.filter((d) => d.rule === 'USER-DORMANT')).toHaveLength(5);
  });

  it('records the managed identity used yesterday and keeps no hint of any secret', () => {
    const mi = recordsOf(c.lines).principals.find((p) => p.name === 'mi-invoice-ocr');
    expect(mi?.lastActivity?.at).toBe('2026-09-30T19:45:16.000Z');
    expect(c.text).not.toContain('"hint"');
    expect(c.text).not.toContain('pQ7');
  });
});
