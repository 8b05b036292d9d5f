/**
 * ERP extract connector (files mode): users, roles, user-role assignments and optional role
 * permission codes as CSV (docs/connectors/erp.md), streamed in pages so memory follows the largest file's
 * keys (user and role ids), not its rows.
 *
 * Order: role permissions are read whole first (roles carry their codes), then roles, users and
 * assignments are emitted page by page. Every bad row stops the collection with an InputError
 * naming the file, the line where the record starts, and the column.
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { ErpSource } from '../../core/config';
import type { CollectContext, Connector, Page } from '../../core/connector';
import { InputError } from '../../core/errors';
import { type Entitlement, type Grant, makeUid, type Principal, type PrincipalKind } from '../../core/model';
import { DirectGrant } from '../../core/snapshot';
import { type CsvBatch, CsvFileReader } from '../shared/csv';
import { describeValue } from '../shared/file-errors';
import { createInstantParser } from '../shared/iso-date';
import { SessionCache } from '../shared/session-cache';
import {
  ASSIGNMENTS_COLUMNS,
  type ColumnIndex,
  type ErpColumn,
  locateColumns,
  PERMISSIONS_COLUMNS,
  ROLES_COLUMNS,
  USERS_COLUMNS,
} from './erp-files';

export const ERP_CONNECTOR_NAME = 'erp-extract';
export const ERP_CONNECTOR_VERSION = '1.0.0';

/** Rows per step: pages stay small for the driver's buffer, steps few enough to stay cheap. */
export const ERP_PAGE_ROWS = 5_000;

const PHASES = ['roles', 'users', 'assignments'] as const;
type Phase = (typeof PHASES)[number];

export interface ErpState {
  v: 1;
  session: string;
  phase: Phase;
  /** Records of the phase's file already emitted. */
  done: number;
}

interface OpenFile {
  phase: Phase;
  csv: CsvFileReader;
  /** Typed over every ERP column; only the file's own columns are read from it. */
  cols: ColumnIndex<ErpColumn>;
  records: number;
}

interface Session {
  /** role_id → permission codes (deduplicated, file order) and the line each role first appears on. */
  permissions: Map<string, { codes: string[]; seen: Set<string>; line: number }>;
  roleUids: Map<string, string>;
  userUids: Map<string, string>;
  /** Line each id was defined on, for duplicate messages. */
  roleLines: Map<string, number>;
  userLines: Map<string, number>;
  open?: OpenFile;
  /** True while a resumed collection replays what was already emitted: records and calls are dropped. */
  replaying: boolean;
  parseLogin: (t: string) => string | undefined;
  parseCreated: (t: string) => string | undefined;
  parseGranted: (t: string) => string | undefined;
}

const sessions = new SessionCache<Session>();

function newSession(): Session {
  return {
    permissions: new Map(),
    roleUids: new Map(),
    userUids: new Map(),
    roleLines: new Map(),
    userLines: new Map(),
    replaying: false,
    parseLogin: createInstantParser(),
    parseCreated: createInstantParser(),
    parseGranted: createInstantParser(),
  };
}

/** Trim only when needed: most cells have no surrounding blanks and trim() would copy them. */
function clean(v: string | undefined): string {
  if (v === undefined || v.length === 0) return '';
  const first = v.charCodeAt(0);
  const last = v.charCodeAt(v.length - 1);
  return first <= 32 || last <= 32 ? v.trim() : v;
}

const TRUE_VALUES = new Set(['true', 'yes', 'y', '1', 'x']);
const FALSE_VALUES = new Set(['false', 'no', 'n', '0', '']);

function fileOf(source: ErpSource, phase: Phase | 'permissions'): string {
  return phase === 'permissions' ? (source.files.permissions as string) : source.files[phase];
}

async function openFile(source: ErpSource, phase: Phase): Promise<OpenFile> {
  const csv = await CsvFileReader.open(fileOf(source, phase), { encoding: source.encoding });
  const spec = phase === 'roles' ? ROLES_COLUMNS : phase === 'users' ? USERS_COLUMNS : ASSIGNMENTS_COLUMNS;
  const cols = locateColumns(csv, spec, source.columns) as OpenFile['cols'];
  return { phase, csv, cols, records: 0 };
}

/** Reads role_permissions.csv whole: it is small next to assignments, and roles need their codes. */
async function readPermissions(ctx: CollectContext<ErpSource>, s: Session): Promise<void> {
  const file = ctx.source.files.permissions;
  if (!file) return;
  const csv = await CsvFileReader.open(file, { encoding: ctx.source.encoding });
  try {
    const cols = locateColumns<'role_id' | 'permission'>(csv, PERMISSIONS_COLUMNS, ctx.source.columns);
    let records = 0;
    for (let b = await csv.read(ERP_PAGE_ROWS); b.records.length > 0; b = await csv.read(ERP_PAGE_ROWS)) {
      for (let i = 0; i < b.records.length; i++) {
        const r = b.records[i] as string[];
        const line = b.lines[i] as number;
        const roleId = clean(r[cols.role_id.index]);
        const code = clean(r[cols.permission.index]);
        if (!roleId) throw new InputError('empty role_id', { file, line, field: cols.role_id.name });
        if (!code) throw new InputError('empty permission code', { file, line, field: cols.permission.name });
        let entry = s.permissions.get(roleId);
        if (!entry) {
          entry = { codes: [], seen: new Set(), line };
          s.permissions.set(roleId, entry);
        }
        if (!entry.seen.has(code)) {
          entry.seen.add(code);
          entry.codes.push(code);
        }
      }
      records += b.records.length;
    }
    if (!s.replaying) ctx.calls.record(`file:${basename(file)}`, { calls: 1, pages: 1, records });
  } finally {
    await csv.close();
  }
}

function rolesPage(ctx: CollectContext<ErpSource>, s: Session, f: OpenFile, b: CsvBatch): Page {
  const { source } = ctx;
  const file = f.csv.file;
  const c = f.cols;
  const entitlements: Entitlement[] = [];
  for (let i = 0; i < b.records.length; i++) {
    const r = b.records[i] as string[];
    const line = b.lines[i] as number;
    const roleId = clean(r[c.role_id.index]);
    if (!roleId) throw new InputError('empty role_id', { file, line, field: c.role_id.name });
    const first = s.roleLines.get(roleId);
    if (first !== undefined) {
      throw new InputError(`role_id "${roleId}" already defined on line ${first}`, {
        file,
        line,
        field: c.role_id.name,
      });
    }
    s.roleLines.set(roleId, line);
    const uid = makeUid('erp', source.id, roleId);
    s.roleUids.set(roleId, uid);
    const rawPrivileged = c.privileged.index === -1 ? '' : clean(r[c.privileged.index]);
    const flag = rawPrivileged.toLowerCase();
    let privileged: boolean;
    if (TRUE_VALUES.has(flag)) privileged = true;
    else if (FALSE_VALUES.has(flag)) privileged = false;
    else {
      throw new InputError(
        `privileged must be true/false, yes/no, 1/0 or X; found ${describeValue(rawPrivileged)}`,
        {
          file,
          line,
          field: c.privileged.name,
        },
      );
    }
    const name = c.role_name.index === -1 ? '' : clean(r[c.role_name.index]);
    const codes = s.permissions.get(roleId)?.codes ?? [];
    const e: Entitlement = {
      uid,
      system: 'erp',
      tenant: source.id,
      sourceId: source.id,
      nativeId: roleId,
      type: 'erp-role',
      name: name || roleId,
      privileged,
      permissions: codes,
    };
    if (privileged) e.privilegedReason = `${basename(file)}: ${c.privileged.name}=${rawPrivileged}`;
    else if (codes.includes('*')) {
      // An SAP_ALL-style role: every permission of the system, whatever the export's flag says.
      e.privileged = true;
      e.privilegedReason = `${basename(ctx.source.files.permissions ?? file)}: holds permission *`;
    }
    entitlements.push(e);
  }
  return { entitlements };
}

function usersPage(ctx: CollectContext<ErpSource>, s: Session, f: OpenFile, b: CsvBatch): Page {
  const { source } = ctx;
  const file = f.csv.file;
  const c = f.cols;
  const kinds = source.kinds;
  const hasKinds = Object.keys(kinds).length > 0;
  const principals: Principal[] = [];
  for (let i = 0; i < b.records.length; i++) {
    const r = b.records[i] as string[];
    const line = b.lines[i] as number;
    const userId = clean(r[c.user_id.index]);
    if (!userId) throw new InputError('empty user_id', { file, line, field: c.user_id.name });
    const first = s.userLines.get(userId);
    if (first !== undefined) {
      throw new InputError(`user_id "${userId}" already defined on line ${first}`, {
        file,
        line,
        field: c.user_id.name,
      });
    }
    s.userLines.set(userId, line);

    const rawType = clean(r[c.user_type.index]);
    let userType = rawType;
    if (userType !== 'human' && userType !== 'service' && userType !== 'system')
      userType = rawType.toLowerCase();
    let kind: PrincipalKind;
    let type: string;
    if (userType === 'human') {
      kind = 'human';
      type = 'user';
    } else if (userType === 'service' || userType === 'system') {
      kind = 'nonhuman';
      type = 'erp-service-user';
    } else {
      throw new InputError(`unknown user_type "${rawType}": expected human, service or system`, {
        file,
        line,
        field: c.user_type.name,
      });
    }

    const rawStatus = clean(r[c.status.index]);
    let status = rawStatus;
    if (status !== 'active' && status !== 'disabled') status = rawStatus.toLowerCase();
    if (status !== 'active' && status !== 'disabled') {
      throw new InputError(`unknown status "${rawStatus}": expected active or disabled`, {
        file,
        line,
        field: c.status.name,
      });
    }

    const uid = makeUid('erp', source.id, userId);
    s.userUids.set(userId, uid);
    const name = c.user_name.index === -1 ? '' : clean(r[c.user_name.index]);
    const p: Principal = {
      uid,
      system: 'erp',
      tenant: source.id,
      sourceId: source.id,
      nativeId: userId,
      name: name || userId,
      kind,
      type,
      status,
      owners: [],
      credentials: [],
      tags: {},
      kindReason: `user_type:${userType}`,
    };
    const email = c.email.index === -1 ? '' : clean(r[c.email.index]);
    if (email) p.email = email;
    const employeeId = c.employee_id.index === -1 ? '' : clean(r[c.employee_id.index]);
    if (employeeId) p.employeeId = employeeId;
    const owner = c.owner_email.index === -1 ? '' : clean(r[c.owner_email.index]);
    if (owner) p.owners = owner.includes(';') ? owner.split(';').map(clean).filter(Boolean) : [owner];
    if (c.created_at.index !== -1) {
      const raw = clean(r[c.created_at.index]);
      if (raw) {
        const at = s.parseCreated(raw);
        if (at === undefined) throw badDate(raw, file, line, c.created_at.name);
        p.createdAt = at;
      }
    }
    const login = clean(r[c.last_login_at.index]);
    if (login) {
      const at = s.parseLogin(login);
      if (at === undefined) throw badDate(login, file, line, c.last_login_at.name);
      p.lastActivity = { at, source: 'last_login_at' };
    }
    if (hasKinds) {
      const override = kinds[userId] ?? kinds[uid];
      if (override) {
        p.kind = override;
        p.kindReason = 'config:kinds';
      }
    }
    principals.push(p);
  }
  return { principals };
}

function assignmentsPage(_ctx: CollectContext<ErpSource>, s: Session, f: OpenFile, b: CsvBatch): Page {
  const file = f.csv.file;
  const c = f.cols;
  const grantedCol = c.granted_at.index;
  const grants: Grant[] = [];
  // Exports usually list a user's roles together: remember the last user to skip most lookups.
  let lastUser = '';
  let lastUid: string | undefined;
  for (let i = 0; i < b.records.length; i++) {
    const r = b.records[i] as string[];
    const userId = clean(r[c.user_id.index]);
    if (userId !== lastUser) {
      lastUser = userId;
      lastUid = s.userUids.get(userId);
    }
    const principal = lastUid;
    if (principal === undefined) {
      const line = b.lines[i] as number;
      throw new InputError(userId ? `unknown user_id "${userId}": not in the users file` : 'empty user_id', {
        file,
        line,
        field: c.user_id.name,
      });
    }
    const roleId = clean(r[c.role_id.index]);
    const entitlement = s.roleUids.get(roleId);
    if (entitlement === undefined) {
      const line = b.lines[i] as number;
      throw new InputError(roleId ? `unknown role_id "${roleId}": not in the roles file` : 'empty role_id', {
        file,
        line,
        field: c.role_id.name,
      });
    }
    let grantedAt: string | undefined;
    if (grantedCol !== -1) {
      const raw = clean(r[grantedCol]);
      if (raw) {
        grantedAt = s.parseGranted(raw);
        if (grantedAt === undefined) throw badDate(raw, file, b.lines[i] as number, c.granted_at.name);
      }
    }
    // Direct grants sharing one frozen empty path; the collect driver writes their lines from
    // cached pieces (same bytes as JSON.stringify).
    grants.push(new DirectGrant(principal, entitlement, grantedAt));
  }
  return { grants };
}

function badDate(value: string, file: string, line: number, field: string): InputError {
  return new InputError(
    `not an ISO 8601 date or time with Z or an offset: "${value}" (a bare date means midnight UTC)`,
    { file, line, field },
  );
}

/** Every permission line names a role the roles file defines. */
function checkPermissionRoles(ctx: CollectContext<ErpSource>, s: Session): void {
  const file = ctx.source.files.permissions;
  if (!file) return;
  for (const [roleId, entry] of s.permissions) {
    if (!s.roleUids.has(roleId)) {
      const field = ctx.source.columns.role_id ?? 'role_id';
      throw new InputError(`unknown role_id "${roleId}": not in the roles file`, {
        file,
        line: entry.line,
        field,
      });
    }
  }
}

const PAGE_BUILDERS = { roles: rolesPage, users: usersPage, assignments: assignmentsPage } as const;

/** One step of work: up to `max` records of the phase's file, opening it when needed. */
async function advance(
  ctx: CollectContext<ErpSource>,
  s: Session,
  state: ErpState,
  max: number,
): Promise<{ page: Page; next: ErpState | null }> {
  if (!s.open || s.open.phase !== state.phase) {
    await s.open?.csv.close();
    s.open = await openFile(ctx.source, state.phase);
  }
  const f = s.open;
  const b = await f.csv.read(max);
  const page = b.records.length > 0 ? PAGE_BUILDERS[state.phase](ctx, s, f, b) : {};
  f.records += b.records.length;
  const done = state.done + b.records.length;
  if (b.records.length === max) return { page, next: { ...state, done } };
  // End of this file.
  await f.csv.close();
  s.open = undefined;
  if (!s.replaying) ctx.calls.record(`file:${basename(f.csv.file)}`, { calls: 1, pages: 1, records: done });
  if (state.phase === 'roles') checkPermissionRoles(ctx, s);
  const nextPhase = PHASES[PHASES.indexOf(state.phase) + 1];
  return { page, next: nextPhase ? { ...state, phase: nextPhase, done: 0 } : null };
}

/** A resumed collection in a new process: rebuild the indexes by replaying what was emitted. */
async function rebuild(ctx: CollectContext<ErpSource>, target: ErpState): Promise<Session> {
  const s = newSession();
  s.replaying = true;
  await readPermissions(ctx, s);
  let state: ErpState | null = { ...target, phase: 'roles', done: 0 };
  while (state && (state.phase !== target.phase || state.done < target.done)) {
    const want =
      state.phase === target.phase ? Math.min(ERP_PAGE_ROWS, target.done - state.done) : ERP_PAGE_ROWS;
    ({ next: state } = await advance(ctx, s, state, want));
  }
  s.replaying = false;
  return s;
}

/**
 * @example
 * await collectSource({ connector: erpConnector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export const erpConnector: Connector<ErpSource, ErpState> = {
  name: ERP_CONNECTOR_NAME,
  version: ERP_CONNECTOR_VERSION,
  system: 'erp',

  async begin(ctx) {
    // Fail fast on a missing file or column before anything is emitted.
    const { files, columns } = ctx.source;
    const specs = [
      [files.permissions, PERMISSIONS_COLUMNS],
      [files.roles, ROLES_COLUMNS],
      [files.users, USERS_COLUMNS],
      [files.assignments, ASSIGNMENTS_COLUMNS],
    ] as const;
    for (const [path, spec] of specs) {
      if (path === undefined) continue;
      const csv = await CsvFileReader.open(path, { encoding: ctx.source.encoding });
      try {
        locateColumns(csv, spec, columns);
      } finally {
        await csv.close();
      }
    }
    const id = randomUUID();
    const s = newSession();
    sessions.set(id, s);
    try {
      await readPermissions(ctx, s);
    } catch (err) {
      sessions.delete(id);
      throw err;
    }
    return { state: { v: 1, session: id, phase: 'roles', done: 0 }, tenant: ctx.source.id, mode: 'files' };
  },

  async step(ctx, state) {
    const s = await sessions.get(state.session, () => rebuild(ctx, state));
    try {
      const out = await advance(ctx, s, state, ERP_PAGE_ROWS);
      if (out.next === null) sessions.delete(state.session);
      return out;
    } catch (err) {
      await s.open?.csv.close();
      sessions.delete(state.session);
      throw err;
    }
  },
};
