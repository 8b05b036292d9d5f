import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sapConnector } from '../../../../connectors/sap';
import { parseSapDate, parseSapTime } from '../../../../connectors/sap/sap-dates';
import { type SapSource, sapSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';
import {
  collectAll,
  collectWith,
  deadlineAfter,
  MemoryStaging,
  parseSnapshot,
} from '../shared/memory-staging';

const MESSY = new URL('../../../fixtures/sap/messy/', import.meta.url).pathname;
const DEMO = new URL('../../../../examples/demo/sap/', import.meta.url).pathname;

function sourceFor(dir: string, extra: Record<string, unknown> = {}): SapSource {
  return sapSourceSchema.parse({ id: 's4', system: 'sap', client: '100', files: { dir }, ...extra });
}

const temps: string[] = [];
function copyOf(dir: string): string {
  const out = mkdtempSync(join(tmpdir(), 'sap-test-'));
  temps.push(out);
  cpSync(dir, out, { recursive: true });
  return out;
}
function edit(dir: string, file: string, change: (text: string) => string) {
  const path = join(dir, file);
  writeFileSync(path, change(readFileSync(path, 'utf8')));
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function inputErrorOf(source: SapSource): Promise<InputError> {
  try {
    await collectAll(sapConnector, source);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('SAP dates and times', () => {
  it('reads DATS in the forms extracts write, 00000000 as none and 99991231 as unlimited', () => {
    expect(parseSapDate('20260930')).toEqual({ kind: 'date', iso: '2026-09-30', ms: Date.UTC(2026, 8, 30) });
    expect(parseSapDate(' 2026-09-30 ')).toMatchObject({ iso: '2026-09-30' });
    expect(parseSapDate('30.09.2026')).toMatchObject({ iso: '2026-09-30' });
    expect(parseSapDate('00000000')).toEqual({ kind: 'none' });
    expect(parseSapDate('')).toEqual({ kind: 'none' });
    expect(parseSapDate('99991231')).toEqual({ kind: 'unlimited' });
    expect(parseSapDate('31.12.9999')).toEqual({ kind: 'unlimited' });
    expect(parseSapDate('20260230')).toBeUndefined();
    expect(parseSapDate('09/30/2026')).toBeUndefined();
    expect(parseSapTime('081512')).toBe((8 * 3600 + 15 * 60 + 12) * 1000);
    expect(parseSapTime('08:15:12')).toBe((8 * 3600 + 15 * 60 + 12) * 1000);
    expect(parseSapTime('250000')).toBeUndefined();
  });
});

describe('sapConnector with `encoding:`', () => {
  it('refuses a latin-1 table naming file:line, and reads it right with `encoding: latin1`', async () => {
    // Arrange: the demo extract with one role text that needs latin-1, written in latin-1
    const dir = copyOf(DEMO);
    const path = join(dir, 'AGR_TEXTS.txt');
    const text = readFileSync(path, 'utf8').replace('AP invoice entry', 'Rechnungsprüfung Kreditoren');
    writeFileSync(path, Buffer.from(text, 'latin1'));

    // Act
    const refused = await inputErrorOf(sourceFor(dir));
    const { entitlements } = await collectAll(sapConnector, sourceFor(dir, { encoding: 'latin1' }));

    // Assert
    expect(refused.message).toMatch(/AGR_TEXTS\.txt:\d+: not valid UTF-8/);
    expect(JSON.stringify(entitlements)).toContain('Rechnungsprüfung Kreditoren');
  });
});

describe('sapConnector on messy extracts', () => {
  it('reads users with type, lock, validity, last logon and email from every file shape', async () => {
    const { principals } = await collectAll(sapConnector, sourceFor(MESSY));
    const by = new Map(principals.map((p) => [p.nativeId, p]));
    expect([...by.keys()].sort()).toEqual([
      'BATCH',
      'EXPIRED1',
      'JDOE',
      'LOCKED1',
      'NEVER',
      'REF',
      'RFC_IF',
      'SVC',
    ]);
    expect(by.get('JDOE')).toMatchObject({
      uid: 'sap:s4:JDOE',
      tenant: 's4',
      kind: 'human',
      type: 'sap-dialog',
      status: 'active',
      email: 'Jane.Doe@example.com', // the default ADR6 address, not the lower-numbered other one
      validFrom: '2020-01-01T00:00:00.000Z',
      lastActivity: { at: '2026-09-30T08:15:00.000Z', source: 'USR02.TRDAT' },
      createdAt: '2020-01-01T00:00:00.000Z',
      tags: { 'sap:USTYP': 'A', 'sap:UFLAG': '0', 'sap:CLASS': 'FI', 'sap:LIC_TYPE': 'CA' },
    });
    expect(by.get('JDOE')?.validUntil).toBeUndefined(); // 99991231
    expect(by.get('LOCKED1')).toMatchObject({ status: 'disabled', tags: { 'sap:UFLAG': '64' } });
    // GLTGB 20260930 is the last valid day: valid until the next midnight; the scan judges it.
    expect(by.get('EXPIRED1')).toMatchObject({ status: 'active', validUntil: '2026-10-01T00:00:00.000Z' });
    const never = by.get('NEVER')!;
    expect(never.status).toBe('active'); // empty UFLAG is 0
    expect(never.lastActivity).toBeUndefined(); // TRDAT 00000000
    expect(never.validFrom).toBeUndefined();
    expect(never.validUntil).toBeUndefined();
    expect(by.get('RFC_IF')).toMatchObject({ kind: 'nonhuman', type: 'sap-communication' });
    expect(by.get('BATCH')).toMatchObject({ kind: 'nonhuman', type: 'sap-system' });
    expect(by.get('SVC')).toMatchObject({ kind: 'nonhuman', type: 'sap-service' });
    expect(by.get('REF')).toMatchObject({
      kind: 'nonhuman',
      type: 'sap-reference',
      tags: { 'accessproof:activity': 'unknown' },
    });
  });

  it('reads roles from AGR_1251 without deleted rows, composites without authorizations, SAP_ALL from UST04', async () => {
    const { entitlements, header } = await collectAll(sapConnector, sourceFor(MESSY));
    const by = new Map(entitlements.map((e) => [e.nativeId, e]));
    expect([...by.keys()].sort()).toEqual([
      'PROFILE:SAP_ALL',
      'Z_ADMIN',
      'Z_AP_FULL',
      'Z_AP_INVOICE',
      'Z_AP_PAYRUN',
    ]);
    expect(by.get('Z_AP_PAYRUN')?.sapAuthorizations).toEqual([
      { object: 'S_TCODE', auth: 'T-3', fields: { TCD: [{ low: 'F110' }] } },
      { object: 'F_REGU', auth: 'T-4', fields: { FBTCH: [{ low: '11' }], BUKRS: [{ low: '$BUKRS' }] } },
    ]);
    expect(by.get('Z_AP_INVOICE')?.sapAuthorizations?.[1]?.fields.ACTVT).toEqual([{ low: '01', high: '03' }]);
    expect(by.get('Z_AP_FULL')).toMatchObject({
      type: 'sap-composite-role',
      name: 'Z_AP_FULL — AP complete',
    });
    expect(by.get('Z_AP_FULL')?.sapAuthorizations).toBeUndefined();
    expect(by.get('Z_ADMIN')).toMatchObject({ privileged: true, permissions: ['*'] });
    expect(by.get('PROFILE:SAP_ALL')).toMatchObject({ privileged: true, sapAll: true, type: 'sap-profile' });
    expect(header.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unresolved $ variables'),
        expect.stringContaining('UST04: 1 assignment(s) of other profiles were not evaluated'),
        expect.stringContaining('no EXTRACT file'),
      ]),
    );
  });

  it('expands composites (path names the composite), skips PFCG copies and carries FROM_DAT–TO_DAT', async () => {
    const { grants } = await collectAll(sapConnector, sourceFor(MESSY));
    const of = (user: string) =>
      grants.filter((g) => g.principal === `sap:s4:${user}`).map((g) => ({ ...g, principal: undefined }));
    expect(of('JDOE')).toEqual([
      { entitlement: 'sap:s4:Z_AP_FULL', path: [], validFrom: '2025-01-01T00:00:00.000Z' },
      {
        entitlement: 'sap:s4:Z_AP_INVOICE',
        path: ['sap:s4:Z_AP_FULL'],
        validFrom: '2025-01-01T00:00:00.000Z',
      },
      {
        entitlement: 'sap:s4:Z_AP_PAYRUN',
        path: ['sap:s4:Z_AP_FULL'],
        validFrom: '2025-01-01T00:00:00.000Z',
      },
    ]);
    expect(of('EXPIRED1')).toEqual([
      {
        entitlement: 'sap:s4:Z_AP_PAYRUN',
        path: [],
        validFrom: '2024-01-01T00:00:00.000Z',
        validUntil: '2026-10-01T00:00:00.000Z',
      },
    ]);
    expect(of('SVC')).toEqual([{ entitlement: 'sap:s4:Z_ADMIN', path: [] }]);
    expect(of('LOCKED1')[0]).toMatchObject({ validFrom: '2024-01-01T00:00:00.000Z' });
    expect(of('BATCH')).toEqual([{ entitlement: 'sap:s4:PROFILE:SAP_ALL', path: [] }]);
  });

  it('answers the IPE questions in the header: which table, files, header or not, client, rows', async () => {
    const { header } = await collectAll(sapConnector, sourceFor(MESSY));
    const q = new Map(header.queries.map((x) => [x.operation, x]));
    expect(q.get('table:USR02')).toMatchObject({
      records: 9,
      params: { files: 'USR02.csv', header: 'no', rows: '9', client: '100', kept: '8' },
    });
    expect(q.get('table:AGR_USERS')).toMatchObject({
      calls: 2,
      records: 7,
      params: { files: 'AGR_USERS_1.txt, AGR_USERS_2.txt', header: 'yes, no', viaComposite: '2' },
    });
    expect(q.get('table:AGR_1251')?.params).toMatchObject({ rows: '9', kept: '8', deleted: '1' });
    expect(header).toMatchObject({ system: 'sap', tenant: 's4', mode: 'files', complete: true });
  });

  it('refuses rows of several clients when no client is set', async () => {
    const err = await inputErrorOf(sapSourceSchema.parse({ id: 's4', system: 'sap', files: { dir: MESSY } }));
    expect(err.message).toMatch(
      /USR02\.csv:9 \(MANDT\): USR02 holds rows of several clients \(100, 200\): set the source's client/,
    );
  });

  it('reads the other client when asked', async () => {
    const { principals, grants } = await collectAll(sapConnector, sourceFor(MESSY, { client: '200' }));
    expect(principals.map((p) => p.nativeId)).toEqual(['JDOE']);
    expect(grants.map((g) => g.entitlement)).toEqual(['sap:s4:Z_OTHER']);
  });

  it('keeps only the objects asked for (and S_TCODE) when the source names some', async () => {
    const { entitlements, header } = await collectAll(
      sapConnector,
      sourceFor(MESSY, { objects: ['F_REGU'] }),
    );
    const invoice = entitlements.find((e) => e.nativeId === 'Z_AP_INVOICE');
    expect(invoice?.sapAuthorizations?.map((a) => a.object)).toEqual(['S_TCODE']);
    expect(header.queries.find((x) => x.operation === 'table:AGR_1251')?.params).toMatchObject({
      objects: 'F_REGU, S_TCODE',
      otherObjects: '2',
    });
  });

  it('resumes in a new process with the same snapshot', async () => {
    // One step per record kind at least: pausing after two leaves grants to a fresh process.
    const source = sourceFor(MESSY);
    const whole = await collectAll(sapConnector, source);
    const staging = new MemoryStaging();
    const first = await collectWith(sapConnector, source, staging, { deadline: deadlineAfter(2) });
    if (first.status !== 'partial') throw new Error(`expected partial, got ${first.status}`);
    vi.resetModules();
    const fresh = (await import('../../../../connectors/sap')).sapConnector;
    const second = await collectWith(fresh, source, staging, { cursor: first.cursor });
    expect(second.status).toBe('complete');
    const resumed = parseSnapshot(staging.finals.get(`run/${source.id}`) as string);
    expect(resumed.grants).toHaveLength(whole.grants.length);
    expect(JSON.stringify({ ...resumed.header, collectedAt: 0 })).toBe(
      JSON.stringify({ ...whole.header, collectedAt: 0 }),
    );
    expect(resumed.text.split('\n').slice(1)).toEqual(whole.text.split('\n').slice(1));
  });
});

describe('sapConnector bad input names the file and line', () => {
  it.each([
    [
      'a bad date',
      'AGR_USERS_1.txt',
      (t: string) => t.replace('20250101\t99991231', '20250101\t2026-13-01'),
      /AGR_USERS_1\.txt:2 \(TO_DAT\): not an SAP date: "2026-13-01"/,
    ],
    [
      'an unknown user type',
      'USR02.csv',
      (t: string) => t.replace(',C,', ',X,'),
      /USR02\.csv:5 \(USTYP\): unknown user type "X"/,
    ],
    [
      'an assignment of an unknown user',
      'AGR_USERS_2.txt',
      (t: string) => t.replace('SVC', 'GHOST'),
      /AGR_USERS_2\.txt:2 \(UNAME\): user GHOST is not in USR02/,
    ],
    [
      'a duplicate user',
      'USR02.csv',
      (t: string) => t.replace('LOCKED1 ', 'JDOE    '),
      /USR02\.csv:2 \(BNAME\): user JDOE already on line 1/,
    ],
    [
      'a row with a missing field',
      'AGR_1251.csv',
      (t: string) => t.replace('T-3,,TCD,F110,,,', 'T-3,,TCD,F110,,'),
      /AGR_1251\.csv:5: expected 11 fields/,
    ],
    [
      'a nested composite',
      'AGR_AGRS.txt',
      (t: string) => `${t}100;Z_TOP;Z_AP_FULL\n`,
      /AGR_AGRS\.txt:4 \(CHILD_AGR\): Z_AP_FULL is itself a composite role/,
    ],
    [
      'a headerless file with the wrong column count',
      'ADR6.txt',
      (t: string) => t.replace('\t\told.jdoe', '\t\textra\told.jdoe'),
      /ADR6\.txt:1: no header line naming ADDRNUMBER/,
    ],
  ])('%s', async (_name, file, change, message) => {
    const dir = copyOf(MESSY);
    edit(dir, file, change);
    const err = await inputErrorOf(sourceFor(dir));
    expect(err.message).toMatch(message);
  });

  it('a split export with a missing part, or both a whole file and parts', async () => {
    const gap = copyOf(MESSY);
    renameSync(join(gap, 'AGR_USERS_2.txt'), join(gap, 'AGR_USERS_3.txt'));
    expect((await inputErrorOf(sourceFor(gap))).message).toMatch(/part 2 is missing \(found 1, 3\)/);
    const both = copyOf(MESSY);
    writeFileSync(join(both, 'AGR_USERS.txt'), 'AGR_NAME\tUNAME\tFROM_DAT\tTO_DAT\n');
    expect((await inputErrorOf(sourceFor(both))).message).toMatch(/both a whole file and split in parts/);
  });

  it('a missing required table', async () => {
    const dir = copyOf(MESSY);
    rmSync(join(dir, 'AGR_AGRS.txt'));
    expect((await inputErrorOf(sourceFor(dir))).message).toMatch(/no AGR_AGRS extract/);
  });
});

describe('sapConnector row counts against the EXTRACT file', () => {
  it('is complete when every count matches, and records them as expected', async () => {
    const { header } = await collectAll(sapConnector, sourceFor(DEMO));
    expect(header.complete).toBe(true);
    const usr02 = header.queries.find((q) => q.operation === 'table:USR02');
    expect(usr02).toMatchObject({ records: 10, expected: 10, params: { filter: 'MANDT = 100' } });
  });

  it('marks the snapshot incomplete when a count differs', async () => {
    const dir = copyOf(DEMO);
    edit(dir, 'EXTRACT.csv', (t) => t.replace('USR02,10,', 'USR02,11,'));
    const { header } = await collectAll(sapConnector, sourceFor(dir));
    expect(header.complete).toBe(false);
    expect(header.warnings).toContain('incomplete: USR02: 10 rows read, EXTRACT declares 11');
  });

  it('reports password hash columns without reading them', async () => {
    const dir = copyOf(DEMO);
    edit(dir, 'USR02.txt', (t) =>
      t
        .split('\n')
        .map((l, i) => (l ? `${l}\t${i === 0 ? 'PWDSALTEDHASH' : '{x-issha, 1024}c2VjcmV0'}` : l))
        .join('\n'),
    );
    const { header, text } = await collectAll(sapConnector, sourceFor(dir));
    expect(header.warnings.join('\n')).toContain('USR02 carries password hash columns (PWDSALTEDHASH)');
    expect(text).not.toContain('c2VjcmV0');
  });
});
