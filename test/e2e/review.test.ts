/**
 * User access reviews end to end against a real scan of the demo tenant: start a campaign over the
 * sealed pack, decide (with the SoD of reviews), close, then prove a revocation with a second scan.
 *
 * The scans run the real CLI in a child process; the review commands are called as functions
 * (`runReview*`) so the test can inspect their errors directly. review-cli.test.ts drives the same
 * commands through the command line.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReviewClose, runReviewDecide, runReviewList, runReviewStart } from '../../cli/commands/review';
import type { Output } from '../../cli/output';
import { InputError } from '../../core/errors';
import type { ReviewItemRecord, ReviewRecord } from '../../core/reviews/records';
import { openOwnerLink } from '../../core/reviews/web/tokens';
import { readLatestPackInventory } from '../../stores/sqlite-reviews/pack-inventory-reader';
import { loadOrCreateReviewLinkKey } from '../../stores/sqlite-reviews/review-app-files';
import { reviewArtefacts } from '../../stores/sqlite-reviews/review-evidence';
import { accessproof, copyDemo, tempDir } from './cli-helpers';

const CONTROLLER = 'controller@halvorsen-industrial.example';
const CFO = 'cfo@halvorsen-industrial.example';
const ELENA = 'elena.schmidt@halvorsen-industrial.example';
const ELENA_MANAGER = 'tara.weber@halvorsen-industrial.example';

function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (t = '') => lines.push(t), progress: () => undefined, done: () => undefined };
}

async function inputError(p: Promise<unknown>): Promise<InputError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

async function rows(out: string, campaign: string): Promise<ReviewRecord[]> {
  const o = capture();
  await runReviewList({ out, campaign, format: 'json' }, o);
  return o.lines.map((l) => JSON.parse(l) as ReviewRecord);
}

const items = (records: ReviewRecord[]) => records.filter((r): r is ReviewItemRecord => r.record === 'item');

describe('accessproof review, on the demo tenant', () => {
  const demo = copyDemo();
  const out = tempDir();
  let campaignId = '';
  let revoked: ReviewItemRecord;

  beforeAll(() => {
    const scan = accessproof(['scan', '--config', demo.config, '--out', out]);
    expect(scan.stderr).toBe('');
    expect(scan.code).toBe(0);
  }, 240_000);
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(demo.dir, { recursive: true, force: true });
  });

  it('starts a privileged-access campaign over the sealed pack', async () => {
    // Arrange
    const o = capture();
    // Act
    const code = await runReviewStart(
      {
        out,
        name: 'Q4 privileged access',
        reviewer: CONTROLLER,
        fallbackReviewer: CFO,
        privilegedOnly: true,
        due: '2099-12-31',
        by: CONTROLLER,
      },
      o,
    );
    // Assert
    expect(code).toBe(0);
    const started = o.lines[0]!.match(
      /^Review campaign (rev-\d{8}-q4-privileged-access) started: Q4 privileged access$/,
    );
    expect(started).not.toBeNull();
    campaignId = started![1]!;
    expect(o.lines[1]).toMatch(/^ {2}base: run \S+ \(pack #1, manifest sha256 [0-9a-f]{64}\)$/);
    const records = await rows(out, campaignId);
    expect(records[0]).toMatchObject({ record: 'campaign', status: 'open', scope: { privilegedOnly: true } });
    expect(items(records).length).toBeGreaterThan(10);
    expect(items(records).every((r) => r.privileged)).toBe(true);
    const systems = new Set(items(records).map((r) => r.system));
    for (const system of ['aws', 'erp', 'salesforce'] as const)
      expect(systems.has(system), system).toBe(true);
    // The owner (--by, an email) gets a link to this campaign's owner screens (issue 17).
    const ownerLine = o.lines.find((l) => l.includes('/o/'));
    const token = /^ {4}controller@[^:]+: http:\/\/127\.0\.0\.1:8417\/o\/(\S+)$/.exec(ownerLine ?? '')?.[1];
    const key = await loadOrCreateReviewLinkKey(join(out, 'state'));
    expect(openOwnerLink(key, token ?? '', new Date())).toMatchObject({
      owner: CONTROLLER,
      campaign: campaignId,
    });
  });

  it("sends a reviewer's own grants to their HR manager (issue 17), not to the reviewer", async () => {
    // Arrange
    const o = capture();
    // Act
    await runReviewStart(
      { out, name: 'IAM admins by manager', reviewer: ELENA, entitlement: ['IAM*'], due: '2099-12-31' },
      o,
    );
    // Assert
    const id = o.lines[0]!.split(' ')[2]!;
    const iam = items(await rows(out, id));
    const own = iam.filter((r) => r.holderEmails.includes(ELENA));
    expect(own.length).toBeGreaterThan(0);
    for (const r of own) {
      expect(r.reviewer).toBe(ELENA_MANAGER);
      expect(r.reviewerRule).toMatch(/^manager:/);
      expect(r.context?.department).toBe('Finance');
    }
    expect(iam.filter((r) => !r.holderEmails.includes(ELENA)).every((r) => r.reviewer === ELENA)).toBe(true);
  });

  it("refuses a decision on the decider's own access, and by anyone but the assigned reviewer", async () => {
    // Arrange
    const started = capture();
    await runReviewStart(
      {
        out,
        name: 'IAM admins',
        reviewer: ELENA,
        fallbackReviewer: CFO,
        entitlement: ['IAM*'],
        due: '2099-12-31',
      },
      started,
    );
    const id = started.lines[0]!.split(' ')[2]!;
    const iam = items(await rows(out, id));
    const own = iam.find((r) => r.holderEmails.includes(ELENA))!;
    const other = iam.find((r) => !r.holderEmails.includes(ELENA))!;
    // Act
    const self = await inputError(
      runReviewDecide({ out, campaign: id, items: [own.itemId], keep: true, by: ELENA }, capture()),
    );
    const notReviewer = await inputError(
      runReviewDecide({ out, campaign: id, items: [other.itemId], keep: true, by: CFO }, capture()),
    );
    // Assert
    // HR names Elena's manager: her own grants go there before the fallback.
    expect(own.reviewer).toBe(ELENA_MANAGER);
    expect(self.message).toMatch(/may not decide item .*: it is their own access/);
    expect(notReviewer.message).toMatch(`item ${other.itemId} is assigned to ${ELENA}`);
  });

  it('refuses to close while grants are undecided', async () => {
    // Act
    const err = await inputError(runReviewClose({ out, campaign: campaignId, by: CONTROLLER }, capture()));
    // Assert
    expect(err.message).toMatch(/item\(s\) undecided/);
  });

  it('records a revocation and keeps the rest, then closes', async () => {
    // Arrange
    const all = items(await rows(out, campaignId));
    revoked = all.find(
      (r) => r.system === 'erp' && r.principalKind === 'human' && r.entitlementName === 'AP Payment Release',
    )!;
    const o = capture();
    // Act
    await runReviewDecide(
      {
        out,
        campaign: campaignId,
        items: [revoked.itemId],
        revoke: true,
        by: CONTROLLER,
        note: 'moved to sales',
      },
      o,
    );
    // Keeping a privileged grant needs a note (issue 17).
    const note = 'still needed for the Q4 close';
    await runReviewDecide(
      { out, campaign: campaignId, allRemaining: true, keep: true, by: CONTROLLER, note },
      o,
    );
    await runReviewDecide({ out, campaign: campaignId, allRemaining: true, keep: true, by: CFO, note }, o);
    const closed = capture();
    const code = await runReviewClose({ out, campaign: campaignId, by: CONTROLLER }, closed);
    // Assert
    expect(o.lines[0]).toBe(`${campaignId}: revoke recorded for 1 item(s) by ${CONTROLLER}`);
    expect(code).toBe(0);
    expect(closed.lines[0]).toBe(`${campaignId} closed by ${CONTROLLER}`);
    expect(closed.lines[1]).toMatch(
      new RegExp(
        `^ {2}${all.length} of ${all.length} decided \\(${all.length - 1} keep, 1 revoke\\), 0 undecided$`,
      ),
    );
    const after = await rows(out, campaignId);
    expect(after[0]).toMatchObject({
      status: 'closed',
      closed: { by: CONTROLLER, forced: false, undecided: 0 },
    });
    // The base run was collected before the decision: nothing is proven yet.
    expect(items(after).find((r) => r.itemId === revoked.itemId)?.revocation?.status).toBe('unverified');
  });

  it('proves the revocation with the next complete scan that no longer sees the grant', async () => {
    // Arrange: the ERP admin removes the role assignment, then the next scan runs.
    const file = join(demo.dir, 'examples', 'demo', 'erp', 'assignments.csv');
    const user = revoked.principal.split(':').at(-1)!;
    const role = revoked.entitlement.split(':').at(-1)!;
    const csv = readFileSync(file, 'utf8').split('\n');
    const kept = csv.filter((line) => !line.startsWith(`${user},${role},`));
    expect(kept.length).toBe(csv.length - 1);
    writeFileSync(file, kept.join('\n'));
    const scan = accessproof(['scan', '--config', demo.config, '--out', out]);
    expect(scan.code).toBe(0);
    // Act
    const listed = await rows(out, campaignId);
    const table = capture();
    await runReviewList({ out, campaign: campaignId }, table);
    const pack = await readLatestPackInventory(join(out, 'evidence'));
    const artefacts = await reviewArtefacts(join(out, 'state'), new Date(), {
      inventory: pack.inventory,
      runId: pack.runId,
    });
    // Assert
    const row = items(listed).find((r) => r.itemId === revoked.itemId)!;
    expect(row.revocation).toMatchObject({ status: 'revoked', runId: pack.runId });
    expect(row.revocation?.detail).toMatch(/^no path left in complete collection of netsuite at /);
    expect(table.lines.some((l) => l.startsWith(`${revoked.itemId}  revoke (revoked)`))).toBe(true);
    expect(artefacts.map((a) => a.path)).toContain(`reviews/${campaignId}.jsonl`);
    const sealed = artefacts.find((a) => a.path === `reviews/${campaignId}.jsonl`)!;
    expect(sealed.records).toBe(listed.length);
    expect(
      sealed.lines.some(
        (l) => l.includes(`"itemId":"${revoked.itemId}"`) && l.includes('"status":"revoked"'),
      ),
    ).toBe(true);
  });

  it('lists every campaign with its progress', async () => {
    // Arrange
    const o = capture();
    // Act
    await runReviewList({ out }, o);
    // Assert
    expect(o.lines.at(-1)).toBe('3 campaign(s)');
    expect(o.lines.some((l) => l.startsWith(campaignId) && /closed/.test(l))).toBe(true);
  });

  it.each([
    [{ keep: true, revoke: true, items: ['x'] }, '--keep'],
    [{ keep: true }, 'ITEM'],
    [{ keep: true, allRemaining: true, items: ['x'] }, '--all-remaining'],
  ])('refuses bad decide usage %#', async (opts, field) => {
    // Act
    const err = await inputError(
      runReviewDecide({ out, campaign: campaignId, by: CONTROLLER, ...opts }, capture()),
    );
    // Assert
    expect(err.location.field).toBe(field);
  });

  it('says to scan first in a folder without a pack, and names an unknown campaign', async () => {
    // Arrange
    const empty = tempDir();
    // Act
    const noPack = await inputError(
      runReviewStart({ out: empty, name: 'x', reviewer: CONTROLLER, due: '2099-12-31' }, capture()),
    );
    const unknown = await inputError(
      runReviewClose({ out, campaign: 'rev-nope', by: CONTROLLER }, capture()),
    );
    rmSync(empty, { recursive: true, force: true });
    // Assert
    expect(noPack.message).toMatch(/run `accessproof scan --out DIR` first/);
    expect(unknown.message).toMatch(/no review campaign rev-nope/);
  });
});
