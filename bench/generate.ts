/**
 * A seeded synthetic enterprise in the files-mode formats the connectors read: ERP CSV exports
 * and an AWS account (authorization details + credential report), plus a SoD ruleset of ~100
 * functions and a few hundred risks, and the config that scans them.
 *
 * Shape: role explosion (thousands of roles with overlapping permission sets), a long tail of
 * permission codes, 5–10% dormant non-human identities, people holding many roles.
 */

import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from './prng';

export interface EnterpriseSize {
  people: number;
  nhi: number;
  grants: number;
  /** SoD risks in the generated ruleset. */
  risks: number;
  seed: number;
  /**
   * AWS accounts the AWS principals are spread over (default 1): each is a source with its own
   * exports, as an organization's member accounts are. At 10x one account's authorization
   * details would be a single JSON text of about 300 MB.
   */
  awsAccounts?: number;
}

export const FULL: EnterpriseSize = { people: 100_000, nhi: 50_000, grants: 2_000_000, risks: 300, seed: 7 };
export const QUICK: EnterpriseSize = { people: 10_000, nhi: 5_000, grants: 200_000, risks: 300, seed: 7 };
export const TINY: EnterpriseSize = { people: 600, nhi: 300, grants: 9_000, risks: 300, seed: 7 };
/** Ten times the enterprise (issue 18): the largest SOX filers. */
export const TEN_X: EnterpriseSize = {
  people: 1_000_000,
  nhi: 500_000,
  grants: 20_000_000,
  risks: 300,
  seed: 7,
  awsAccounts: 40,
};

export interface GenerateOptions {
  /**
   * Stop after the roles and the first `samplePeople` people (users and assignments): the head of
   * what the full generation writes, to check determinism at 10x without writing 20M grants.
   */
  samplePeople?: number;
}

export interface GeneratedEnterprise {
  dir: string;
  config: string;
  counts: { people: number; nhi: number; grants: number; risks: number; functions: number; roles: number };
}

const AS_OF = Date.parse('2026-10-01T00:00:00Z');
const DAY = 86_400_000;
const ACCOUNT = '300000000001';
const FUNCTIONS = 100;
const DEPARTMENTS = [
  'AP',
  'AR',
  'GL',
  'Procurement',
  'Warehouse',
  'Sales',
  'Payroll',
  'Treasury',
  'IT',
  'Tax',
  'FPA',
  'Audit',
];

/** Buffered line writer: one write per ~1 MB, awaiting drain (streamed: 20M grants are no one string). */
class Lines {
  private buf: string[] = [];
  private size = 0;
  private readonly out;
  /** `separator` between lines and after the last of each write ('' for one JSON text). */
  constructor(
    path: string,
    private readonly separator = '\n',
  ) {
    this.out = createWriteStream(path);
  }
  /** Adds a line; true when the buffer should be flushed (no promise per line at 20M lines). */
  push(line: string): boolean {
    this.buf.push(line);
    this.size += line.length;
    return this.size > 1 << 20;
  }
  async add(line: string) {
    if (this.push(line)) await this.flush();
  }
  async flush() {
    if (!this.buf.length) return;
    const ok = this.out.write(`${this.buf.join(this.separator)}${this.separator}`);
    this.buf = [];
    this.size = 0;
    if (!ok) await once(this.out, 'drain');
  }
  async close() {
    await this.flush();
    this.out.end();
    await once(this.out, 'finish');
  }
}

/** A JSON text written as it is generated: `raw` pieces and array `item`s (commas between items). */
class JsonWriter {
  private readonly out: Lines;
  private first = true;
  constructor(path: string) {
    this.out = new Lines(path, '');
  }
  async raw(text: string) {
    this.first = true;
    await this.out.add(text);
  }
  async item(value: unknown) {
    await this.out.add(this.first ? JSON.stringify(value) : `,${JSON.stringify(value)}`);
    this.first = false;
  }
  async close() {
    await this.out.close();
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');

export async function generateEnterprise(
  size: EnterpriseSize,
  dir: string,
  options: GenerateOptions = {},
): Promise<GeneratedEnterprise> {
  const rng = new Prng(size.seed);
  mkdirSync(join(dir, 'erp'), { recursive: true });
  mkdirSync(join(dir, 'aws'), { recursive: true });

  // --- permission codes: a long tail; the first FUNCTIONS*4 are the ones functions name.
  const codes = Array.from(
    { length: Math.max(2_000, FUNCTIONS * 8) },
    (_, i) => `P${String(i).padStart(5, '0')}`,
  );
  const functionCodes = Array.from({ length: FUNCTIONS }, (_, f) => [
    codes[f * 4]!,
    codes[f * 4 + 1]!,
    codes[f * 4 + 2]!,
  ]);

  // --- roles: role explosion; each role mostly display codes from the tail, sometimes a sensitive one.
  const roleCount = Math.max(60, Math.round(size.people / 20));
  const roleRows: string[] = ['role_id,role_name,privileged'];
  const permRows: string[] = ['role_id,permission'];
  for (let r = 0; r < roleCount; r++) {
    const dept = DEPARTMENTS[r % DEPARTMENTS.length]!;
    const fn = rng.int(FUNCTIONS);
    roleRows.push(
      `R${r},${dept} ${fn % 7 === 0 ? 'Supervisor' : 'Analyst'} ${r},${rng.chance(0.03) ? 'true' : 'false'}`,
    );
    const k = 3 + rng.zipf(20);
    const perms = new Set<string>();
    for (let i = 0; i < k; i++) perms.add(codes[FUNCTIONS * 4 + rng.zipf(codes.length - FUNCTIONS * 4)]!);
    // About one role in six carries a function's sensitive code: that is what SoD is about.
    if (rng.chance(0.16)) perms.add(rng.pick(functionCodes[fn]!));
    if (rng.chance(0.03)) perms.add(rng.pick(functionCodes[rng.int(FUNCTIONS)]!));
    for (const p of perms) permRows.push(`R${r},${p}`);
  }
  writeFileSync(join(dir, 'erp', 'roles.csv'), `${roleRows.join('\n')}\n`);
  writeFileSync(join(dir, 'erp', 'role_permissions.csv'), `${permRows.join('\n')}\n`);

  // --- NHI split: ERP service users, AWS roles, AWS users with access keys.
  const erpNhi = Math.round(size.nhi * 0.3);
  const awsRoles = Math.round(size.nhi * 0.5);
  const awsUsers = size.nhi - erpNhi - awsRoles;
  const awsPeople = Math.round(size.people * 0.05);

  // --- AWS grants are small; the ERP carries the bulk of the grants.
  const awsGrantsEstimate = awsRoles * 2 + awsUsers * 2 + awsPeople * 2;
  const erpGrants = Math.max(size.people + erpNhi, size.grants - awsGrantsEstimate);
  // Service users hold half as many roles as people; a few percent of draws repeat a role and are dropped.
  const perUser = (erpGrants / (size.people + erpNhi * 0.5)) * 1.03;

  const users = new Lines(join(dir, 'erp', 'users.csv'));
  const assignments = new Lines(join(dir, 'erp', 'assignments.csv'));
  await users.add('user_id,user_name,email,user_type,status,last_login_at,owner_email,created_at');
  await assignments.add('user_id,role_id,granted_at');
  let grants = 0;
  const emailOf = (p: number) => `person${p}@bench.example`;
  const assign = async (uid: string, n: number, dept: number) => {
    const seen = new Set<number>();
    for (let i = 0; seen.size < n && i < n * 4; i++) {
      // Most roles come from the person's department; a tail from anywhere (role sprawl).
      const r = rng.chance(0.8)
        ? (dept + DEPARTMENTS.length * rng.zipf(Math.floor(roleCount / DEPARTMENTS.length))) % roleCount
        : rng.int(roleCount);
      if (seen.has(r)) continue;
      seen.add(r);
      if (assignments.push(`${uid},R${r},2024-01-0${1 + (r % 9)}`)) await assignments.flush();
      grants++;
    }
  };
  const people = Math.min(size.people, options.samplePeople ?? size.people);
  for (let p = 0; p < people; p++) {
    const dept = p % DEPARTMENTS.length;
    const status = rng.chance(0.04) ? 'disabled' : 'active';
    const last = rng.chance(0.03)
      ? ''
      : iso(AS_OF - rng.int(rng.chance(0.05) ? 300 : 30) * DAY - rng.int(DAY));
    await users.add(
      `U${p},"Person ${p}, ${DEPARTMENTS[dept]}",${emailOf(p)},human,${status},${last},,2020-01-01`,
    );
    await assign(`U${p}`, Math.max(1, Math.round(perUser * (0.5 + rng.next()))), dept);
  }
  if (options.samplePeople !== undefined) {
    await users.close();
    await assignments.close();
    return {
      dir,
      config: '',
      counts: { people, nhi: 0, grants, risks: 0, functions: FUNCTIONS, roles: roleCount },
    };
  }
  let dormantNhi = 0;
  for (let s = 0; s < erpNhi; s++) {
    const dormant = rng.chance(0.07);
    if (dormant) dormantNhi++;
    const never = !dormant && rng.chance(0.01);
    const last = never ? '' : iso(AS_OF - (dormant ? 100 + rng.int(400) : rng.int(20)) * DAY);
    const owner = rng.chance(0.9) ? emailOf(rng.int(size.people)) : '';
    await users.add(
      `SVC${s},Service ${s},,${rng.chance(0.5) ? 'service' : 'system'},active,${last},${owner},2019-05-05`,
    );
    await assign(
      `SVC${s}`,
      Math.max(1, Math.round(perUser * 0.5 * (0.5 + rng.next()))),
      s % DEPARTMENTS.length,
    );
  }
  await users.close();
  await assignments.close();

  // --- AWS: per account, local policies (some granting function actions on finance resources),
  // groups, users with the credential report, and workload roles; streamed to the files.
  const accounts = Math.max(1, size.awsAccounts ?? 1);
  const awsFunctions = Array.from({ length: 12 }, (_, i) => i * 8); // functions with an AWS matcher
  const awsSources: { id: string; account: string; dir: string }[] = [];
  const split = (n: number, k: number) =>
    Math.floor((n * (k + 1)) / accounts) - Math.floor((n * k) / accounts);
  for (let k = 0; k < accounts; k++) {
    const account = String(Number(ACCOUNT) + k);
    const sub = accounts === 1 ? 'aws' : join('aws', account);
    mkdirSync(join(dir, sub), { recursive: true });
    const share = { people: split(awsPeople, k), users: split(awsUsers, k), roles: split(awsRoles, k) };
    const policyCount = Math.max(20, Math.round(size.nhi / 25 / accounts));
    const policies: unknown[] = [];
    const policyArn = (i: number) => `arn:aws:iam::${account}:policy/bench-${i}`;
    for (let i = 0; i < policyCount; i++) {
      const statements: unknown[] = [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 'logs:PutLogEvents'],
          Resource: `arn:aws:s3:::bench-data-${i % 50}/*`,
        },
      ];
      if (rng.chance(0.1)) {
        const f = rng.pick(awsFunctions);
        statements.push({
          Effect: 'Allow',
          Action: [`dynamodb:PutItem`],
          Resource: `arn:aws:dynamodb:eu-west-1:${account}:table/fin-${f}`,
        });
      }
      const versions = [
        {
          Document: { Version: '2012-10-17', Statement: statements },
          VersionId: 'v2',
          IsDefaultVersion: true,
          CreateDate: '2024-01-01T00:00:00Z',
        },
        {
          Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          VersionId: 'v1',
          IsDefaultVersion: false,
          CreateDate: '2023-01-01T00:00:00Z',
        },
      ];
      policies.push({
        PolicyName: `bench-${i}`,
        PolicyId: `ANPA${String(i).padStart(17, '0')}`,
        Arn: policyArn(i),
        Path: '/',
        DefaultVersionId: 'v2',
        AttachmentCount: 1,
        IsAttachable: true,
        CreateDate: '2023-01-01T00:00:00Z',
        UpdateDate: '2024-01-01T00:00:00Z',
        PolicyVersionList: versions,
      });
    }
    const groupCount = Math.max(5, Math.round(policyCount / 10));
    const groups = Array.from({ length: groupCount }, (_, g) => ({
      Path: '/',
      GroupName: `bench-group-${g}`,
      GroupId: `AGPA${String(g).padStart(17, '0')}`,
      Arn: `arn:aws:iam::${account}:group/bench-group-${g}`,
      CreateDate: '2023-01-01T00:00:00Z',
      GroupPolicyList: [],
      AttachedManagedPolicies: [0, 1].map(() => {
        const i = rng.int(policyCount);
        return { PolicyName: `bench-${i}`, PolicyArn: policyArn(i) };
      }),
    }));
    const json = new JsonWriter(join(dir, sub, 'authorization-details.json'));
    await json.raw('{"UserDetailList":[');
    const report = new Lines(join(dir, sub, 'credential-report.csv'));
    await report.add(
      'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated',
    );
    const attach = (n: number) =>
      Array.from({ length: n }, () => {
        const i = rng.int(policyCount);
        return { PolicyName: `bench-${i}`, PolicyArn: policyArn(i) };
      });
    for (let u = 0; u < share.people; u++) {
      const p = rng.int(size.people);
      const name = `human-${u}`;
      await json.item({
        Path: '/',
        UserName: name,
        UserId: `AIDA${String(u).padStart(17, '0')}`,
        Arn: `arn:aws:iam::${account}:user/${name}`,
        CreateDate: '2023-01-01T00:00:00Z',
        UserPolicyList: [],
        GroupList: [`bench-group-${rng.int(groupCount)}`, `bench-group-${rng.int(groupCount)}`],
        AttachedManagedPolicies: [],
        Tags: [{ Key: 'email', Value: emailOf(p) }],
      });
      await report.add(
        `${name},arn:aws:iam::${account}:user/${name},2023-01-01T00:00:00+00:00,true,${iso(AS_OF - rng.int(20) * DAY)},2025-01-01T00:00:00+00:00,N/A,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      );
    }
    for (let u = 0; u < share.users; u++) {
      const name = `svc-${u}`;
      const dormant = rng.chance(0.07);
      if (dormant) dormantNhi++;
      await json.item({
        Path: '/automation/',
        UserName: name,
        UserId: `AIDB${String(u).padStart(17, '0')}`,
        Arn: `arn:aws:iam::${account}:user/automation/${name}`,
        CreateDate: '2022-01-01T00:00:00Z',
        UserPolicyList: [],
        GroupList: [],
        AttachedManagedPolicies: attach(2),
        Tags: rng.chance(0.8) ? [{ Key: 'owner', Value: emailOf(rng.int(size.people)) }] : [],
      });
      const used = iso(AS_OF - (dormant ? 120 + rng.int(300) : rng.int(10)) * DAY);
      await report.add(
        `${name},arn:aws:iam::${account}:user/automation/${name},2022-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,true,${iso(AS_OF - rng.int(400) * DAY)},${used},eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      );
    }
    await json.raw(`],"GroupDetailList":${JSON.stringify(groups)},"RoleDetailList":[`);
    for (let r = 0; r < share.roles; r++) {
      const dormant = rng.chance(0.07);
      if (dormant) dormantNhi++;
      const never = !dormant && rng.chance(0.02);
      await json.item({
        Path: '/',
        RoleName: `workload-${r}`,
        RoleId: `AROA${String(r).padStart(17, '0')}`,
        Arn: `arn:aws:iam::${account}:role/workload-${r}`,
        CreateDate: '2022-06-01T00:00:00Z',
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        InstanceProfileList: [],
        RolePolicyList: [],
        AttachedManagedPolicies: attach(2),
        Tags: rng.chance(0.85) ? [{ Key: 'owner', Value: emailOf(rng.int(size.people)) }] : [],
        RoleLastUsed: never
          ? {}
          : {
              LastUsedDate: iso(AS_OF - (dormant ? 100 + rng.int(300) : rng.int(10)) * DAY),
              Region: 'eu-west-1',
            },
      });
    }
    await json.raw(`],"Policies":${JSON.stringify(policies)}}`);
    await json.close();
    await report.close();

    awsSources.push({ id: accounts === 1 ? 'aws' : `aws-${account}`, account, dir: sub });
  }
  grants += awsPeople * 4 + (awsUsers + awsRoles) * 2; // approximate; the snapshot counts exactly

  // --- ruleset: ~100 functions, `risks` pairs and a few triples.
  const lines = ['version: 1', 'functions:'];
  for (let f = 0; f < FUNCTIONS; f++) {
    lines.push(`  - id: F${f}`, `    name: Bench function ${f}`, `    process: bench`, '    grants:');
    lines.push('      - system: erp', `        permission: [${functionCodes[f]!.join(', ')}]`);
    if (f % 10 === 3)
      lines.push(
        '      - system: erp',
        `        entitlement: ["${DEPARTMENTS[f % DEPARTMENTS.length]} Supervisor ${f}*"]`,
      );
    if (awsFunctions.includes(f)) {
      lines.push(
        '      - system: aws',
        '        action: ["dynamodb:PutItem"]',
        `        resource: "arn:aws:dynamodb:*:*:table/fin-${f}"`,
      );
    }
  }
  lines.push('risks:');
  const seenRisk = new Set<string>();
  for (let k = 0; seenRisk.size < size.risks && k < size.risks * 10; k++) {
    const a = rng.int(FUNCTIONS);
    const b = rng.int(FUNCTIONS);
    const c = rng.chance(0.05) ? rng.int(FUNCTIONS) : -1;
    const fns = [...new Set([a, b, ...(c >= 0 ? [c] : [])])].sort((x, y) => x - y);
    if (fns.length < 2 || seenRisk.has(fns.join())) continue;
    seenRisk.add(fns.join());
    lines.push(
      `  - id: R${seenRisk.size}`,
      `    title: Bench risk ${seenRisk.size}`,
      `    functions: [${fns.map((x) => `F${x}`).join(', ')}]`,
      `    severity: ${['critical', 'high', 'medium'][k % 3]}`,
    );
  }
  writeFileSync(join(dir, 'bench-ruleset.yaml'), `${lines.join('\n')}\n`);
  const config = join(dir, 'accessproof.yaml');
  writeFileSync(
    config,
    [
      'organization: Bench Enterprise',
      'sources:',
      '  - id: erp',
      '    system: erp',
      '    financiallySignificant: true',
      '    files: { users: erp/users.csv, roles: erp/roles.csv, assignments: erp/assignments.csv, permissions: erp/role_permissions.csv }',
      ...awsSources.flatMap((a) => [
        `  - id: ${a.id}`,
        '    system: aws',
        `    accountId: "${a.account}"`,
        `    files: { authorizationDetails: ${a.dir}/authorization-details.json, credentialReport: ${a.dir}/credential-report.csv }`,
      ]),
      'policy:',
      '  sodRules: [bench-ruleset.yaml]',
      '',
    ].join('\n'),
  );
  void dormantNhi;
  return {
    dir,
    config,
    counts: {
      people: size.people,
      nhi: size.nhi,
      grants,
      risks: seenRisk.size,
      functions: FUNCTIONS,
      roles: roleCount,
    },
  };
}
