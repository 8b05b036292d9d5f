/**
 * `npx tsx bench/generate-csv.ts <dir> [--mb 200] [--seed 7]`
 *
 * Issue 11's "200 MB CSV with no conflicts": an ERP-only tenant whose assignments.csv is about
 * `--mb` MB, scanned with a SoD ruleset that none of its roles can meet, so the run measures
 * reading, staging, the inventory and sealing at that size and not the SoD findings. Deterministic
 * for a seed (same bytes every time). Prints `{config, bytes, users, roles, grants, seconds}` last.
 *
 * Then: `/usr/bin/time -v npx tsx cli/main.ts scan --config <dir>/accessproof.yaml --out <out>`.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Prng } from './prng';

export interface CsvTenantOptions {
  /** Target size of assignments.csv in MB (10^6 bytes). */
  mb: number;
  seed: number;
}

export interface CsvTenant {
  config: string;
  /** Bytes of assignments.csv. */
  bytes: number;
  users: number;
  roles: number;
  grants: number;
}

const AS_OF = Date.parse('2026-10-01T00:00:00Z');
const DAY = 86_400_000;
/** Roles per user on average; the users file grows with the assignments. */
const ROLES_PER_USER = 20;
/** Bytes of an assignment line on average (`U123456,R1234,2024-01-04\n`). */
const LINE_BYTES = 25;

/** One write per ~1 MB, awaiting drain. */
class Out {
  private buf: string[] = [];
  private size = 0;
  bytes = 0;
  private readonly out;
  constructor(path: string) {
    this.out = createWriteStream(path);
  }
  /** Adds a line; true when the buffer should be flushed (no promise per line at 8M lines). */
  push(line: string): boolean {
    this.buf.push(line);
    this.size += line.length + 1;
    return this.size > 1 << 20;
  }
  async add(line: string) {
    if (this.push(line)) await this.flush();
  }
  async flush() {
    if (!this.buf.length) return;
    const text = `${this.buf.join('\n')}\n`;
    this.bytes += Buffer.byteLength(text);
    this.buf = [];
    this.size = 0;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }
  async close() {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }
}

export async function generateCsvTenant(dir: string, options: CsvTenantOptions): Promise<CsvTenant> {
  const rng = new Prng(options.seed);
  mkdirSync(join(dir, 'erp'), { recursive: true });
  const target = options.mb * 1e6;
  // Users until the assignments reach the target size; roles from the expected user count.
  const roles = Math.max(50, Math.round(target / LINE_BYTES / ROLES_PER_USER / 40));

  // Roles hold codes C0000…; the ruleset's functions name X-codes no role holds: no conflict can be.
  const roleRows = ['role_id,role_name,privileged'];
  const permRows = ['role_id,permission'];
  for (let r = 0; r < roles; r++) {
    roleRows.push(`R${r},Role ${r},${rng.chance(0.02) ? 'true' : 'false'}`);
    const k = 2 + rng.int(6);
    for (let i = 0; i < k; i++) permRows.push(`R${r},C${String(rng.int(5_000)).padStart(4, '0')}`);
  }
  // Duplicate (role, code) lines are allowed by the connector (it keeps one).
  writeFileSync(join(dir, 'erp', 'roles.csv'), `${roleRows.join('\n')}\n`);
  writeFileSync(join(dir, 'erp', 'role_permissions.csv'), `${permRows.join('\n')}\n`);

  const userOut = new Out(join(dir, 'erp', 'users.csv'));
  const assignOut = new Out(join(dir, 'erp', 'assignments.csv'));
  await userOut.add('user_id,user_name,email,user_type,status,last_login_at,owner_email,created_at');
  await assignOut.add('user_id,role_id,granted_at');
  let grants = 0;
  let written = 0;
  let u = 0;
  for (; written < target; u++) {
    const service = rng.chance(0.05);
    const id = service ? `S${u}` : `U${u}`;
    const daysAgo = rng.chance(0.05) ? 100 + rng.int(300) : rng.int(30);
    const last = new Date(AS_OF - daysAgo * DAY - rng.int(DAY)).toISOString();
    if (service) {
      await userOut.add(`${id},Service ${u},,service,active,${last},owner${u % 997}@csv.example,2019-05-05`);
    } else {
      const status = rng.chance(0.03) ? 'disabled' : 'active';
      await userOut.add(
        `${id},"Person ${u}, Dept ${u % 12}",person${u}@csv.example,human,${status},${last},,2020-01-01`,
      );
    }
    const n = Math.max(1, Math.round(ROLES_PER_USER * (0.5 + rng.next())));
    const base = rng.int(roles);
    for (let i = 0; i < n; i++) {
      // Distinct roles near the user's own (a department's roles), listed together as exports do.
      const r = (base + i) % roles;
      const line = `${id},R${r},2024-0${1 + (r % 9)}-0${1 + (u % 9)}`;
      if (assignOut.push(line)) await assignOut.flush();
      written += line.length + 1;
      grants++;
    }
  }
  await userOut.close();
  await assignOut.close();

  const ruleset = ['version: 1', 'functions:'];
  for (let f = 0; f < 10; f++) {
    ruleset.push(`  - id: F${f}`, `    name: Function ${f}`, '    process: csv', '    grants:');
    ruleset.push('      - system: erp', `        permission: [X${f}A, X${f}B]`);
  }
  ruleset.push('risks:');
  for (let k = 0; k < 5; k++) {
    ruleset.push(
      `  - id: R${k + 1}`,
      `    title: Risk ${k + 1}`,
      `    functions: [F${2 * k}, F${2 * k + 1}]`,
      '    severity: high',
    );
  }
  writeFileSync(join(dir, 'ruleset.yaml'), `${ruleset.join('\n')}\n`);
  const config = join(dir, 'accessproof.yaml');
  writeFileSync(
    config,
    [
      'organization: CSV Scale',
      'sources:',
      '  - id: erp',
      '    system: erp',
      '    financiallySignificant: true',
      '    files: { users: erp/users.csv, roles: erp/roles.csv, assignments: erp/assignments.csv, permissions: erp/role_permissions.csv }',
      'policy:',
      '  sodRules: [ruleset.yaml]',
      '',
    ].join('\n'),
  );
  return { config, bytes: assignOut.bytes, users: u, roles, grants };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { mb: { type: 'string', default: '200' }, seed: { type: 'string', default: '7' } },
  });
  const dir = positionals[0];
  if (!dir) throw new Error('usage: generate-csv.ts <dir> [--mb 200] [--seed 7]');
  const t = performance.now();
  const out = await generateCsvTenant(dir, { mb: Number(values.mb), seed: Number(values.seed) });
  console.log(JSON.stringify({ ...out, seconds: (performance.now() - t) / 1000 }));
}
