/**
 * Issue 10, defect 3, where the user meets it: a reviewer revokes a person's direct payment policy
 * while a group still gives it. Each later scan must say `still-present` naming the group (never
 * `revoked`), and past the decision plus slaDays raise REVIEW-REVOKE-NOT-DONE for the campaign's
 * owner; only when no path is left is the revocation done and the finding remediated.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accessproof, copyDemo, ROOT } from './cli-helpers';

const MARA = 'mara.eriksen@halvorsen-industrial.example';
const CONTROLLER = 'controller@halvorsen-industrial.example';
const CFO = 'cfo@halvorsen-industrial.example';
const OWNER = 'it-risk@halvorsen-industrial.example';
const DAY = 86_400_000;

interface AuthzUser {
  UserName: string;
  GroupList: string[];
  AttachedManagedPolicies: { PolicyName: string; PolicyArn: string }[];
}
interface Authz {
  UserDetailList: AuthzUser[];
  GroupDetailList: {
    GroupName: string;
    AttachedManagedPolicies: { PolicyName: string; PolicyArn: string }[];
  }[];
}

interface ItemRow {
  record: string;
  itemId: string;
  principalName: string;
  entitlementName: string;
  path: string[];
  revocation?: { status: string; detail: string; remainingPaths?: { path: string[]; text: string }[] };
}

interface FindingLine {
  id: string;
  rule: string;
  status: string;
  severity: string;
  owner?: string;
  dueAt?: string;
  detail: Record<string, unknown>;
  evidence: { kind: string; path?: string[]; text: string }[];
  resolution?: { reason?: string };
}

describe('defect 3: a revocation is done only when no path is left', () => {
  const { dir, config } = copyDemo();
  const out = join(dir, 'out');
  const authzFile = join(dir, 'examples', 'demo', 'aws', 'authorization-details.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const editAuthz = (edit: (a: Authz) => void) => {
    const a = JSON.parse(readFileSync(authzFile, 'utf8')) as Authz;
    edit(a);
    writeFileSync(authzFile, JSON.stringify(a));
  };
  const mara = (a: Authz) => a.UserDetailList.find((u) => u.UserName === MARA)!;
  const scan = (asOf?: Date) =>
    accessproof(['scan', '--config', config, '--out', out, ...(asOf ? ['--as-of', asOf.toISOString()] : [])]);
  const items = (campaign: string): ItemRow[] =>
    accessproof(['review', 'list', campaign, '--format', 'json', '--out', out])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ItemRow)
      .filter((r) => r.record === 'item');
  const findings = (): FindingLine[] =>
    JSON.parse(
      accessproof(['findings', '--out', out, '--format', 'json', '--rule', 'REVIEW-REVOKE-NOT-DONE']).stdout,
    ) as FindingLine[];

  it('says still-present naming the group, raises REVIEW-REVOKE-NOT-DONE past the SLA, and resolves it when the group goes', () => {
    // Arrange: Mara holds the payment-file policy directly and through payments-ops.
    editAuthz((a) => {
      const policy = a.GroupDetailList.find((g) => g.GroupName === 'payments-ops')!
        .AttachedManagedPolicies[0]!;
      mara(a).AttachedManagedPolicies.push({ ...policy });
    });
    expect(scan().code).toBe(0);
    const start = accessproof([
      'review',
      'start',
      '--out',
      out,
      '--name',
      'Payment files access',
      '--due',
      '2099-12-31',
      '--reviewer',
      CONTROLLER,
      '--fallback-reviewer',
      CFO,
      '--source',
      'aws-finance-prod',
      '--entitlement',
      'PaymentFilesUpload',
      '--by',
      OWNER,
    ]);
    expect(start.code, start.stderr).toBe(0);
    const campaign = /campaign (\S+) started/.exec(start.stdout)![1]!;
    const direct = items(campaign).find((r) => r.principalName.includes('mara') && r.path.length === 0)!;
    expect(direct).toBeDefined();
    const decided = accessproof([
      'review',
      'decide',
      campaign,
      direct.itemId,
      '--revoke',
      '--by',
      CONTROLLER,
      '--note',
      'moved to treasury',
      '--out',
      out,
    ]);
    expect(decided.code, decided.stderr).toBe(0);
    const decidedAt = Date.now();

    // Act 1: the admin detaches the direct policy; the group is left in place.
    editAuthz((a) => {
      mara(a).AttachedManagedPolicies = [];
    });
    const second = scan();

    // Assert 1: still present through the group, pending, never counted as revoked.
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/Revocations: 0 done, 1 pending, 0 overdue/);
    const row = items(campaign).find((r) => r.itemId === direct.itemId)!;
    expect(row.revocation?.status).toBe('still-present');
    expect(row.revocation?.detail).toMatch(/payments-ops/);
    expect(row.revocation?.remainingPaths?.map((p) => p.text)).toEqual([
      expect.stringMatching(/payments-ops/),
    ]);
    expect(findings().some((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE')).toBe(false);

    // Act 2: past the decision plus slaDays (high: 30 days for privileged access, medium 60).
    const third = scan(new Date(decidedAt + 90 * DAY));

    // Assert 2: a finding for the campaign's owner, due when the revocation was, naming the group.
    expect(third.code, third.stderr).toBe(0);
    expect(third.stdout).toMatch(/Revocations: 0 done, 0 pending, 1 overdue/);
    expect(third.stdout).toMatch(/^\s+REVIEW-REVOKE-NOT-DONE\s+1$/m);
    const open = findings().filter((f) => f.rule === 'REVIEW-REVOKE-NOT-DONE');
    expect(open).toHaveLength(1);
    const f = open[0]!;
    expect(f).toMatchObject({
      status: 'open',
      owner: OWNER,
      detail: { campaignId: campaign, itemId: direct.itemId },
    });
    const sla = f.severity === 'high' ? 30 : 60;
    expect(Date.parse(f.dueAt!)).toBeGreaterThanOrEqual(decidedAt - 60_000 + sla * DAY);
    expect(Date.parse(f.dueAt!)).toBeLessThanOrEqual(decidedAt + sla * DAY);
    expect(f.evidence.some((e) => e.kind === 'attribute' && /decided to revoke/.test(e.text))).toBe(true);
    expect(f.evidence.filter((e) => e.kind === 'grant').map((e) => e.path?.length)).toEqual([1]);
    expect(String(f.detail.remainingPaths)).toMatch(/payments-ops/);
    // The sealed pack says it too: the campaign row and the report.
    const pack = join(ROOT, /Evidence pack #\d+: (\S+)/.exec(third.stdout)![1]!);
    const campaignRow = JSON.parse(
      readFileSync(join(pack, 'reviews', `${campaign}.jsonl`), 'utf8').split('\n')[0]!,
    );
    expect(campaignRow.summary.revocations).toMatchObject({
      revoked: 0,
      stillPresent: 1,
      pending: 0,
      overdue: 1,
    });
    expect(readFileSync(join(pack, 'report.html'), 'utf8')).toMatch(
      /0 done, 0 pending, <span class="bad">1 overdue<\/span>/,
    );

    // Act 3: Mara leaves the group: no path is left.
    editAuthz((a) => {
      mara(a).GroupList = [];
    });
    const fourth = scan(new Date(decidedAt + 91 * DAY));

    // Assert 3: done, and the finding remediated.
    expect(fourth.code, fourth.stderr).toBe(0);
    expect(fourth.stdout).toMatch(/Revocations: 1 done, 0 pending, 0 overdue/);
    expect(items(campaign).find((r) => r.itemId === direct.itemId)?.revocation?.status).toBe('revoked');
    expect(findings().find((x) => x.id === f.id)).toMatchObject({
      status: 'resolved',
      resolution: { reason: 'remediated' },
    });
    expect(accessproof(['verify', join(out, 'evidence')]).code).toBe(0);
  }, 400_000);
});
