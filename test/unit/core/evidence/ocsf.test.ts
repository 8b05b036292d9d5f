import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OCSF_SCHEMA_VERSION, splitPrincipalUid, toOcsf } from '../../../../core/evidence/ocsf';
import type { Finding } from '../../../../core/findings/model';
import { loadOcsfSchema } from '../../../support/ocsf-schema';

// biome-ignore lint/suspicious/noExplicitAny: the tests walk into the event freely
type Loose = Record<string, any>;

const SCHEMA_DIR = join(import.meta.dirname, '../../../fixtures/ocsf-schema');
const schema = loadOcsfSchema(SCHEMA_DIR, 'detection_finding');
const ctx = {
  runId: 'run-2',
  asOf: '2026-10-01T00:00:00.000Z',
  organization: 'Halvorsen',
  toolVersion: '0.1.0',
};

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    id: '04ab046aacbbbaa64f70edc9',
    rule: 'SOD-CONFLICT',
    severity: 'critical',
    title: 'P2P-01 Maintain vendors and release payments: Ines Ellis',
    display: 'Ines Ellis',
    subject: {
      identity: 'person:ines.ellis@example.com',
      principals: ['aws:111122223333:arn:aws:iam::111122223333:user/ines', 'erp:netsuite:U7'],
    },
    detail: { riskId: 'P2P-01', functions: [{ id: 'VENDOR-MAINT' }, { id: 'AP-PAYMENT' }] },
    evidence: [
      {
        kind: 'grant',
        principal: 'erp:netsuite:U7',
        entitlement: 'erp:netsuite:R-AP',
        path: ['erp:netsuite:R-AP'],
        function: 'AP-PAYMENT',
        text: 'U7 holds AP Clerk',
      },
      {
        kind: 'grant',
        principal: 'aws:111122223333:arn:aws:iam::111122223333:user/ines',
        entitlement: 'aws:111122223333:arn:aws:iam::aws:policy/AdministratorAccess',
        function: 'VENDOR-MAINT',
        text: 'ines holds AdministratorAccess',
      },
      { kind: 'note', text: 'IAM policy conditions are not evaluated' },
    ],
    sources: ['aws-finance-prod', 'netsuite'],
    firstSeenRun: 'run-1',
    lastSeenRun: 'run-2',
    status: 'open',
    dueAt: '2026-09-08T00:00:00.000Z',
    overdue: true,
    history: [{ at: '2026-09-01T00:00:00.000Z', runId: 'run-1', event: 'opened' }],
    ...overrides,
  };
}

describe('toOcsf (Detection Finding 2004)', () => {
  it('writes the schema version of the fixture it is validated against', () => {
    const version = JSON.parse(readFileSync(join(SCHEMA_DIR, 'version.json'), 'utf8')).version;
    expect(OCSF_SCHEMA_VERSION).toBe(version);
    expect(schema.version).toBe(version);
  });

  it('maps an open SoD finding: uid, title, types, times, severity, status, resources, evidences, remediation', () => {
    const e = toOcsf(finding(), ctx) as Loose;
    expect(schema.validate(e)).toEqual([]);
    expect(e.class_uid).toBe(2004);
    expect(e.type_uid).toBe(200402); // seen before this run: an update
    expect(e.severity_id).toBe(5);
    expect(e.status_id).toBe(1);
    expect(e.finding_info).toMatchObject({
      uid: '04ab046aacbbbaa64f70edc9',
      title: 'P2P-01 Maintain vendors and release payments: Ines Ellis',
      types: ['SOD-CONFLICT'],
      first_seen_time: Date.parse('2026-09-01T00:00:00.000Z'),
      last_seen_time: Date.parse(ctx.asOf),
    });
    expect(e.resources.map((r: { uid: string }) => r.uid)).toEqual(finding().subject.principals);
    expect(e.resources[0].uid_alt).toBe('arn:aws:iam::111122223333:user/ines');
    // Three facts, then the two subject principals as users (system, tenant, native id).
    expect(e.evidences).toHaveLength(5);
    expect(
      e.evidences.slice(3).map((x: Loose) => [x.name, x.user.uid, x.user.uid_alt, x.user.account.uid]),
    ).toEqual([
      ['subject', finding().subject.principals[0], 'arn:aws:iam::111122223333:user/ines', '111122223333'],
      ['subject', 'erp:netsuite:U7', 'U7', 'netsuite'],
    ]);
    expect(e.evidences[4].actor.user).toEqual(e.evidences[4].user);
    expect(e.evidences[0]).toMatchObject({
      name: 'AP-PAYMENT',
      actor: { user: { uid: 'erp:netsuite:U7', name: 'U7' } },
      resources: [{ uid: 'erp:netsuite:R-AP' }],
    });
    expect(e.remediation.desc).toMatch(/conflicting grants/);
    expect(e.metadata).toMatchObject({ version: OCSF_SCHEMA_VERSION, product: { name: 'AccessProof' } });
    expect(e.unmapped.accessproof).toMatchObject({ dueAt: '2026-09-08T00:00:00.000Z', overdue: true });
  });

  it('maps each lifecycle state to its OCSF status and activity, and every one validates', () => {
    const cases: [Partial<Finding>, number, number][] = [
      [{ firstSeenRun: 'run-2' }, 1, 200401],
      [{ status: 'reopened' }, 1, 200402],
      [
        {
          status: 'risk-accepted',
          exception: {
            approver: 'cfo@example.com',
            rationale: 'month-end cover',
            expiresAt: '2026-12-31T00:00:00.000Z',
            grantedAt: '2026-09-02T00:00:00.000Z',
          },
        },
        3,
        200402,
      ],
      [
        {
          status: 'resolved',
          lastSeenRun: 'run-1',
          resolution: { runId: 'run-2', how: 'not seen in complete collection', at: ctx.asOf },
        },
        4,
        200403,
      ],
    ];
    for (const [overrides, statusId, typeUid] of cases) {
      const e = toOcsf(finding(overrides), ctx) as Loose;
      expect(schema.validate(e)).toEqual([]);
      expect([e.status_id, e.type_uid]).toEqual([statusId, typeUid]);
    }
    // An older run's sighting time is unknown: left out, not guessed.
    const resolved = toOcsf(finding(cases[3]![0]), ctx) as Loose;
    expect(resolved.finding_info.last_seen_time).toBeUndefined();
  });

  it('the validator rejects what the schema forbids (so a passing check means something)', () => {
    const e = toOcsf(finding(), ctx) as Loose;
    delete e.finding_info.uid;
    e.severity_id = 7;
    e.time = '2026-10-01';
    e.resources[0].uid = 5;
    e.evidences[0].actor = {};
    e.actor = { user: { uid: 'x' } };
    e.severity = 'Low';
    e.status_id = 4;
    const problems = schema.validate(e).join('\n');
    expect(problems).toMatch(/finding_info\.uid: required/);
    expect(problems).toMatch(/severity_id: 7 is not one of/);
    expect(problems).toMatch(/\$\.time: .* is not a timestamp_t/);
    expect(problems).toMatch(/resources\[0\]\.uid: 5 is not a resource_uid_t/);
    expect(problems).toMatch(/evidences\[0\]\.actor: actor needs at least one of/);
    expect(problems).toMatch(/\$\.actor: belongs to profile "host"/);
    expect(problems).toMatch(/\$\.status: "New" is not the caption "Resolved"/);
    delete e.metadata;
    expect(schema.validate(e).join('\n')).toMatch(/\$\.metadata: required by detection_finding/);
  });

  it('splits principal uids whose native id holds colons', () => {
    expect(splitPrincipalUid('aws:1:arn:aws:iam::1:role/x')).toEqual({
      system: 'aws',
      tenant: '1',
      nativeId: 'arn:aws:iam::1:role/x',
    });
  });
});
