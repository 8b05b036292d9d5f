import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { erpConnector } from '../../../../connectors/erp-extract';
import { type ErpSource, erpSourceSchema } from '../../../../core/config';
import { InputError } from '../../../../core/errors';
import {
  collectAll,
  collectWith,
  deadlineAfter,
  MemoryStaging,
  parseSnapshot,
} from '../shared/memory-staging';

const FIXTURES = new URL('../../../fixtures/erp/', import.meta.url).pathname;

function sourceFor(dir: string, extra: Record<string, unknown> = {}): ErpSource {
  return erpSourceSchema.parse({
    id: 'netsuite',
    system: 'erp',
    files: {
      users: join(dir, 'users.csv'),
      roles: join(dir, 'roles.csv'),
      assignments: join(dir, 'assignments.csv'),
      permissions: join(dir, 'role_permissions.csv'),
    },
    ...extra,
  });
}

const temps: string[] = [];
/** A copy of a fixture folder to break. */
function copyOf(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'erp-test-'));
  temps.push(dir);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}
function edit(dir: string, file: string, change: (text: string) => string) {
  const path = join(dir, file);
  writeFileSync(path, change(readFileSync(path, 'utf8')));
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function inputErrorOf(source: ErpSource): Promise<InputError> {
  try {
    await collectAll(erpConnector, source);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('erpConnector on a messy export (BOM, CRLF, quoted commas and newlines)', () => {
  it('reads every user, role and assignment with normalized times', async () => {
    // Arrange
    const source = sourceFor(join(FIXTURES, 'messy'));

    // Act
    const snap = await collectAll(erpConnector, source);

    // Assert
    expect(snap.header).toMatchObject({
      system: 'erp',
      tenant: 'netsuite',
      mode: 'files',
      complete: true,
      counts: { principals: 5, entitlements: 4, grants: 5 },
    });
    expect(snap.header.queries.map((q) => [q.operation, q.records])).toEqual([
      ['file:role_permissions.csv', 5],
      ['file:roles.csv', 4],
      ['file:users.csv', 5],
      ['file:assignments.csv', 5],
    ]);
    const byId = new Map(snap.principals.map((p) => [p.nativeId, p]));
    expect(byId.get('U001')).toMatchObject({
      uid: 'erp:netsuite:U001',
      name: 'Berg, Anna',
      kind: 'human',
      type: 'user',
      status: 'active',
      email: 'anna.berg@example.com',
      createdAt: '2020-04-30T00:00:00.000Z',
      lastActivity: { at: '2026-09-15T09:20:00.000Z', source: 'last_login_at' },
    });
    expect(byId.get('U002')).toMatchObject({ name: 'Quote "Q" Person', kind: 'human', status: 'active' });
    const batch = byId.get('SVC-PAY');
    expect(batch).toMatchObject({
      name: 'Payment run\r\nbatch user',
      kind: 'nonhuman',
      type: 'erp-service-user',
      owners: ['finance-it@example.com'],
      createdAt: '2024-01-15T00:00:00.000Z',
    });
    expect(batch?.lastActivity).toBeUndefined(); // empty last_login_at = never
    expect(byId.get('SYS-EDI')).toMatchObject({
      kind: 'nonhuman',
      status: 'disabled',
      owners: ['ops@example.com', 'edi@example.com'],
      lastActivity: { at: '2025-01-02T08:04:05.000Z', source: 'last_login_at' },
    });
  });

  it('gives roles their permission codes (deduplicated) and the privileged flag in any spelling', async () => {
    // Arrange
    const source = sourceFor(join(FIXTURES, 'messy'));

    // Act
    const snap = await collectAll(erpConnector, source);

    // Assert
    const roles = Object.fromEntries(snap.entitlements.map((e) => [e.nativeId, e]));
    expect(roles['R-AP']).toMatchObject({
      uid: 'erp:netsuite:R-AP',
      type: 'erp-role',
      name: 'Accounts Payable, Clerk',
      privileged: false,
      permissions: ['MIRO', 'FB60'],
    });
    expect(roles['R-PAY']).toMatchObject({ privileged: true, permissions: ['F110'] });
    expect(roles['R-PAY']?.privilegedReason).toContain('privileged=X');
    expect(roles['R-ADMIN']?.privileged).toBe(true);
    expect(roles['R-DISP']).toMatchObject({ privileged: false, permissions: [] });
    expect(snap.grants).toContainEqual({
      principal: 'erp:netsuite:U001',
      entitlement: 'erp:netsuite:R-PAY',
      path: [],
      grantedAt: '2020-12-31T23:00:00.000Z',
    });
    expect(snap.grants.find((g) => g.principal === 'erp:netsuite:SVC-PAY')?.grantedAt).toBeUndefined();
  });

  it('lets config kinds override user_type, by user id or uid', async () => {
    // Arrange
    const source = sourceFor(join(FIXTURES, 'messy'), {
      kinds: { U002: 'nonhuman', 'erp:netsuite:SVC-PAY': 'human' },
    });

    // Act
    const snap = await collectAll(erpConnector, source);

    // Assert
    const byId = new Map(snap.principals.map((p) => [p.nativeId, p]));
    expect(byId.get('U002')).toMatchObject({ kind: 'nonhuman', kindReason: 'config:kinds', type: 'user' });
    expect(byId.get('SVC-PAY')).toMatchObject({ kind: 'human', kindReason: 'config:kinds' });
    expect(byId.get('U001')?.kindReason).toBe('user_type:human');
  });
});

const SAP_COLUMNS = {
  user_id: 'BNAME',
  user_name: 'NAME_TEXT',
  email: 'SMTP_ADDR',
  user_type: 'USTYP',
  last_login_at: 'TRDAT',
  owner_email: 'OWNER',
  created_at: 'ERDAT',
  role_id: 'AGR_NAME',
  role_name: 'TEXT',
  privileged: 'PRIV',
  granted_at: 'FROM_DAT',
  permission: 'TCODE',
};

describe('erpConnector with a column mapping (SAP-like export)', () => {
  it('reads BNAME, USTYP, AGR_NAME… through columns: ours → theirs', async () => {
    // Arrange
    const source = sourceFor(join(FIXTURES, 'sap'), { columns: SAP_COLUMNS });

    // Act
    const snap = await collectAll(erpConnector, source);

    // Assert
    expect(snap.header.counts).toEqual({ principals: 2, entitlements: 2, grants: 2 });
    expect(snap.principals.find((p) => p.nativeId === 'RFC_BATCH')).toMatchObject({
      name: 'RFC batch user',
      kind: 'nonhuman',
      type: 'erp-service-user',
      owners: ['basis@example.com'],
      lastActivity: { at: '2024-02-02T02:02:02.000Z', source: 'last_login_at' },
    });
    expect(snap.entitlements.find((e) => e.nativeId === 'SAP_ALL_LIKE')).toMatchObject({
      name: 'Everything',
      privileged: true,
      permissions: ['SU01', 'F110'],
    });
    expect(snap.grants).toContainEqual({
      principal: 'erp:netsuite:JDOE',
      entitlement: 'erp:netsuite:Z_FI_AP_CLERK',
      path: [],
      grantedAt: '2019-01-01T00:00:00.000Z',
    });
  });

  it('names the mapped column when it is missing', async () => {
    // Arrange
    const source = sourceFor(join(FIXTURES, 'sap'), {
      columns: { ...SAP_COLUMNS, user_id: 'USERNAME' },
    });

    // Act
    const err = await inputErrorOf(source);

    // Assert
    expect(err.location).toMatchObject({ file: source.files.users, line: 1, field: 'user_id' });
    expect(err.message).toContain('mapped to "USERNAME"');
  });
});

describe('erpConnector bad input: an InputError naming file, line and column', () => {
  const cases: {
    name: string;
    file: string;
    change: (t: string) => string;
    line: number;
    field?: string;
    message: RegExp;
  }[] = [
    {
      name: 'unknown user_type after a record that spans two lines',
      file: 'users.csv',
      change: (t) => t.replace(',system,disabled', ',robot,disabled'),
      line: 7,
      field: 'user_type',
      message: /unknown user_type "robot"/,
    },
    {
      name: 'unknown status',
      file: 'users.csv',
      change: (t) => t.replace('human,disabled', 'human,locked'),
      line: 8,
      field: 'status',
      message: /unknown status "locked"/,
    },
    {
      name: 'impossible date',
      file: 'users.csv',
      change: (t) => t.replace('2026-09-30T11:12:00Z', '2026-02-30T11:12:00Z'),
      line: 3,
      field: 'last_login_at',
      message: /not an ISO 8601/,
    },
    {
      name: 'a time without a zone',
      file: 'users.csv',
      change: (t) => t.replace('2021-12-06T08:00:00Z', '2021-12-06T08:00:00'),
      line: 3,
      field: 'created_at',
      message: /with Z or an offset/,
    },
    {
      name: 'a missing required column',
      file: 'users.csv',
      change: (t) => t.replace(',status,', ',state,'),
      line: 1,
      field: 'status',
      message: /missing required column status/,
    },
    {
      name: 'a row with an extra field',
      file: 'users.csv',
      change: (t) => t.replace('U003,"Chen, Li"', 'U003,Chen, Li'),
      line: 8,
      message: /expected 8 fields as in the header, found 9/,
    },
    {
      name: 'a repeated user_id',
      file: 'users.csv',
      change: (t) => t.replace('U003,', 'U001,'),
      line: 8,
      field: 'user_id',
      message: /already defined on line 2/,
    },
    {
      name: 'a stray opening quote after a quoted newline',
      file: 'users.csv',
      change: (t) => t.replace('SYS-EDI,EDI interface', 'SYS-EDI,"EDI interface'),
      line: 7,
      message: /quote/,
    },
    {
      name: 'an assignment of an unknown user',
      file: 'assignments.csv',
      change: (t) => t.replace('SYS-EDI,R-AP', 'SYS-XXX,R-AP'),
      line: 5,
      field: 'user_id',
      message: /unknown user_id "SYS-XXX"/,
    },
    {
      name: 'an assignment of an unknown role',
      file: 'assignments.csv',
      change: (t) => t.replace('U003,R-ADMIN', 'U003,R-NOPE'),
      line: 6,
      field: 'role_id',
      message: /unknown role_id "R-NOPE"/,
    },
    {
      name: 'an assignment row opening a quote it never closes',
      file: 'assignments.csv',
      change: (t) => t.replace('\r\nU001,R-PAY', '\r\n"U001,R-PAY'),
      line: 3,
      message: /never closed/,
    },
    {
      name: 'a stray quote after a closing quote',
      file: 'roles.csv',
      change: (t) => t.replace('"Accounts Payable, Clerk"', '"Accounts Payable, Clerk"x'),
      line: 2,
      field: 'role_name',
      message: /closing quote/,
    },
    {
      name: 'a privileged flag that is not a boolean',
      file: 'roles.csv',
      change: (t) => t.replace('Release,X', 'Release,maybe'),
      line: 3,
      field: 'privileged',
      message: /privileged must be/,
    },
    {
      name: 'a permission of an unknown role',
      file: 'role_permissions.csv',
      change: (t) => t.replace('R-ADMIN,SU01', 'R-GHOST,SU01'),
      line: 6,
      field: 'role_id',
      message: /unknown role_id "R-GHOST"/,
    },
    {
      name: 'a granted_at in day/month/year form',
      file: 'assignments.csv',
      change: (t) => t.replace('U001,R-AP,2020-04-30', 'U001,R-AP,30/04/2020'),
      line: 2,
      field: 'granted_at',
      message: /not an ISO 8601/,
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.file}:${c.line}`, async () => {
      // Arrange
      const dir = copyOf('messy');
      edit(dir, c.file, c.change);
      const source = sourceFor(dir);

      // Act
      const err = await inputErrorOf(source);

      // Assert
      expect(err.location.file).toBe(join(dir, c.file));
      expect(err.location.line).toBe(c.line);
      if (c.field) expect(err.location.field).toBe(c.field);
      expect(err.message).toMatch(c.message);
      expect(err.message).toContain(`${c.file}:${c.line}`);
    });
  }

  it('a missing file → InputError naming it, before any record', async () => {
    // Arrange
    const dir = copyOf('messy');
    rmSync(join(dir, 'roles.csv'));
    const source = sourceFor(dir);

    // Act
    const err = await inputErrorOf(source);

    // Assert
    expect(err.location.file).toBe(join(dir, 'roles.csv'));
    expect(err.message).toMatch(/file not found \(ENOENT\)/);
  });

  it('an empty file → InputError asking for a header', async () => {
    // Arrange
    const dir = copyOf('messy');
    writeFileSync(join(dir, 'assignments.csv'), '\r\n');
    const source = sourceFor(dir);

    // Act
    const err = await inputErrorOf(source);

    // Assert
    expect(err.location.file).toBe(join(dir, 'assignments.csv'));
    expect(err.message).toMatch(/empty/);
  });
});

describe('erpConnector paging and resume', () => {
  /** 12,345 assignments: three pages of the assignments file. */
  function bigExport(): string {
    const dir = copyOf('messy');
    const rows = ['user_id,role_id,granted_at'];
    const users = ['U001', 'U002', 'SVC-PAY', 'SYS-EDI', 'U003'];
    const roles = ['R-AP', 'R-PAY', 'R-ADMIN', 'R-DISP'];
    for (let i = 0; i < 12_345; i++)
      rows.push(`${users[i % 5]},${roles[i % 4]},2024-01-${String(1 + (i % 28)).padStart(2, '0')}`);
    writeFileSync(join(dir, 'assignments.csv'), `${rows.join('\n')}\n`);
    return dir;
  }

  it('emits the assignments in pages and records the file read once', async () => {
    // Arrange
    const source = sourceFor(bigExport());

    // Act
    const snap = await collectAll(erpConnector, source);

    // Assert
    expect(snap.header.counts.grants).toBe(12_345);
    expect(snap.header.queries.find((q) => q.operation === 'file:assignments.csv')).toEqual({
      operation: 'file:assignments.csv',
      calls: 1,
      pages: 1,
      records: 12_345,
    });
    expect(snap.grants[12_344]).toEqual({
      principal: 'erp:netsuite:U003',
      entitlement: 'erp:netsuite:R-AP',
      path: [],
      grantedAt: '2024-01-25T00:00:00.000Z',
    });
  });

  it('resumes mid-file in a fresh process (no cached session) to the same snapshot', async () => {
    // Arrange
    const source = sourceFor(bigExport());
    const whole = await collectAll(erpConnector, source);
    const staging = new MemoryStaging();
    // roles, users, then one page of assignments; the deadline comes in the middle of the file
    const first = await collectWith(erpConnector, source, staging, { deadline: deadlineAfter(3) });
    if (first.status !== 'partial') throw new Error(`expected partial, got ${first.status}`);
    vi.resetModules(); // a new module instance has an empty session cache, like a new Lambda
    const fresh = (await import('../../../../connectors/erp-extract')).erpConnector;

    // Act
    const second = await collectWith(fresh, source, staging, { cursor: first.cursor });

    // Assert
    expect(first.counts.grants).toBe(5_000);
    expect(second.status).toBe('complete');
    const resumed = parseSnapshot(staging.finals.get(`run/${source.id}`) as string);
    expect(resumed.text).toBe(whole.text);
  });
});
