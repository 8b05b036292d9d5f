/**
 * Issue 17 additions to the reviews core: delegation, the note rule, item context (findings,
 * previous decision, HR), routing of a reviewer's own access to the holder's manager, and the
 * population hash.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../../core/errors';
import type { PeopleDirectory } from '../../../../core/people';
import { type ContextFinding, startCampaign } from '../../../../core/reviews/campaign';
import { closeCampaign, decide, delegate, noteRequiredFor } from '../../../../core/reviews/decide';
import { populationSha256 } from '../../../../core/reviews/model';
import { AT, baseOptions, CONTROLLER, itemOf, LATER, reviewTenant, startedCampaign } from './review-fixture';

const AP_LEAD = 'ap.lead@example.com';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}

describe('delegate', () => {
  it('hands the item to another reviewer, keeps the chain, and withdraws an earlier answer', () => {
    // Arrange
    const c = startedCampaign();
    const bob = itemOf(c, 'U-BOB', 'R-AP-PAY');
    const answered = decide(c, [bob.id], { outcome: 'revoke', by: CONTROLLER, note: 'left AP' }, AT);
    // Act
    const next = delegate(
      answered,
      [bob.id],
      { by: CONTROLLER, to: ' AP.Lead@example.com', reason: 'owns the AP roles', channel: 'web' },
      LATER,
    );
    // Assert
    const item = itemOf(next, 'U-BOB', 'R-AP-PAY');
    expect(item.reviewer).toBe(AP_LEAD);
    expect(item.reviewerRule).toBe(`delegated:${CONTROLLER}`);
    expect(item.decision).toBeUndefined();
    expect(item.superseded?.[0]).toMatchObject({ outcome: 'revoke', supersededAt: LATER.toISOString() });
    expect(item.delegations).toEqual([
      { from: CONTROLLER, to: AP_LEAD, at: LATER.toISOString(), reason: 'owns the AP roles', channel: 'web' },
    ]);
    expect(next.history.at(-1)).toMatchObject({ event: 'delegated', by: CONTROLLER });
    // The former reviewer may no longer answer; the delegate may.
    expect(
      inputError(() => decide(next, [bob.id], { outcome: 'keep', by: CONTROLLER, note: 'x' }, LATER)).message,
    ).toMatch(`is assigned to ${AP_LEAD}`);
    const kept = decide(next, [bob.id], { outcome: 'keep', by: AP_LEAD, note: 'needs it' }, LATER);
    expect(itemOf(kept, 'U-BOB', 'R-AP-PAY').decision?.by).toBe(AP_LEAD);
  });

  it('refuses a delegation by anyone but the reviewer, to the holder, to oneself, or without a reason', () => {
    // Arrange
    const c = startedCampaign();
    const alice = itemOf(c, 'U-ALICE', 'R-AP-PAY');
    // Act
    const notReviewer = inputError(() =>
      delegate(c, [alice.id], { by: AP_LEAD, to: 'x@example.com', reason: 'why not' }, LATER),
    );
    const toHolder = inputError(() =>
      delegate(c, [alice.id], { by: CONTROLLER, to: 'alice@example.com', reason: 'she knows' }, LATER),
    );
    const toSelf = inputError(() =>
      delegate(c, [alice.id], { by: CONTROLLER, to: CONTROLLER, reason: 'loop' }, LATER),
    );
    const noReason = inputError(() =>
      delegate(c, [alice.id], { by: CONTROLLER, to: AP_LEAD, reason: ' ' }, LATER),
    );
    const closed = closeCampaign(c, { by: CONTROLLER, force: true, rationale: 'ended early for test' }, AT);
    const afterClose = inputError(() =>
      delegate(closed, [alice.id], { by: CONTROLLER, to: AP_LEAD, reason: 'late' }, LATER),
    );
    // Assert
    expect(notReviewer.message).toMatch(`is assigned to ${CONTROLLER}`);
    expect(toHolder.message).toMatch(/cannot go to alice@example.com: it is their own access/);
    expect(toSelf.location.field).toBe('--to');
    expect(noReason.location.field).toBe('--reason');
    expect(afterClose.message).toMatch(/is closed/);
  });
});

describe('the note rule', () => {
  it('needs a note to revoke, to keep a privileged grant, and to keep a grant with an open finding', () => {
    // Arrange
    const finding: ContextFinding = {
      id: 'f-1',
      rule: 'NHI-DORMANT',
      severity: 'high',
      title: 'Batch user unused for 200 days',
      status: 'open',
      subject: { principals: [reviewTenant().svc.uid] },
      evidence: [],
    };
    const c = startedCampaign({ findings: [finding] });
    const display = itemOf(c, 'U-BOB', 'R-AP-PAY');
    const svc = itemOf(c, 'SVC-BATCH', 'R-DISPLAY');
    const plain = itemOf(c, 'U-ALICE', 'R-DISPLAY');
    // Act
    const revoke = inputError(() => decide(c, [plain.id], { outcome: 'revoke', by: CONTROLLER }, LATER));
    const privileged = inputError(() => decide(c, [display.id], { outcome: 'keep', by: CONTROLLER }, LATER));
    const withFinding = inputError(() => decide(c, [svc.id], { outcome: 'keep', by: CONTROLLER }, LATER));
    const fine = decide(c, [plain.id], { outcome: 'keep', by: CONTROLLER }, LATER);
    // Assert
    expect(revoke.message).toMatch(/a revocation needs a note/);
    expect(revoke.location.field).toBe('--note');
    expect(privileged.message).toMatch(/keeping a privileged grant needs a note/);
    expect(withFinding.message).toMatch(/keeping a grant with an open finding needs a note/);
    expect(itemOf(fine, 'U-ALICE', 'R-DISPLAY').decision?.outcome).toBe('keep');
    expect(noteRequiredFor(plain, 'keep')).toBeUndefined();
  });
});

describe('item context', () => {
  it('records open findings touching the item (with SoD functions), and the previous answer', () => {
    // Arrange
    const t = reviewTenant();
    const sod: ContextFinding = {
      id: 'f-sod',
      rule: 'SOD-CONFLICT',
      severity: 'critical',
      title: 'Bob can create and pay vendors',
      status: 'open',
      subject: { principals: [t.bob.uid] },
      evidence: [
        { kind: 'grant', principal: t.bob.uid, entitlement: t.pay.uid, function: 'Release payments' },
      ],
    };
    const resolved: ContextFinding = { ...sod, id: 'f-old', status: 'resolved' };
    const earlier = decide(
      startedCampaign({ id: 'rev-q3' }),
      [itemOf(startedCampaign(), 'U-BOB', 'R-AP-PAY').id],
      { outcome: 'keep', by: CONTROLLER, note: 'Q3: needed' },
      AT,
    );
    // Act
    const c = startCampaign(
      t.inventory,
      baseOptions({ findings: [sod, resolved], previous: [earlier] }),
      LATER,
    );
    // Assert
    const bobPay = itemOf(c, 'U-BOB', 'R-AP-PAY');
    expect(bobPay.context?.findings).toEqual([
      {
        id: 'f-sod',
        rule: 'SOD-CONFLICT',
        severity: 'critical',
        title: sod.title,
        functions: ['Release payments'],
      },
    ]);
    expect(bobPay.context?.functions).toEqual(['Release payments']);
    expect(bobPay.context?.previous).toMatchObject({
      campaignId: 'rev-q3',
      outcome: 'keep',
      note: 'Q3: needed',
    });
    // A finding about grants touches only the grants it names.
    expect(itemOf(c, 'U-ALICE', 'R-AP-PAY').context?.findings).toBeUndefined();
  });

  it("sends a reviewer's own access to the holder's HR manager before the fallback", () => {
    // Arrange: Alice is the default reviewer; HR says her manager is the controller.
    const t = reviewTenant();
    const directory = {
      matchOf: (uid: string) =>
        uid === t.alice.uid || uid === t.awsAlice.uid
          ? {
              person: {
                uid: 'hr:hr:E1',
                sourceId: 'hr',
                employeeId: 'E1',
                name: 'Alice Keller',
                status: 'terminated',
                statusText: 'Terminated',
                otherEmails: [],
                managerEmail: 'Controller@example.com',
                department: 'Finance',
                origin: 'people.csv:2',
              },
              by: 'employee-id',
              value: 'E1',
            }
          : undefined,
      peopleWithEmail: () => [],
    } as unknown as PeopleDirectory;
    // Act
    const c = startCampaign(
      { ...t.inventory, identityOf: (u) => t.inventory.identityOf(u), directory },
      baseOptions({ reviewers: { default: 'alice@example.com', fallback: 'cfo@example.com' } }),
      AT,
    );
    // Assert
    const own = itemOf(c, 'U-ALICE', 'R-AP-PAY');
    expect(own.reviewer).toBe(CONTROLLER);
    expect(own.reviewerRule).toBe('manager:default');
    expect(own.context).toMatchObject({ hrStatus: 'terminated', leaver: true, department: 'Finance' });
    expect(itemOf(c, 'U-BOB', 'R-AP-PAY').reviewer).toBe('alice@example.com');
  });
});

describe('populationSha256', () => {
  it('is recorded at start, ignores order and decisions, and changes with the population', () => {
    // Arrange
    const c = startedCampaign();
    const decided = decide(c, [c.items[0]!.id], { outcome: 'revoke', by: CONTROLLER, note: 'gone' }, LATER);
    // Act
    const reversed = populationSha256([...decided.items].reverse());
    const fewer = populationSha256(c.items.slice(1));
    // Assert
    expect(c.populationSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reversed).toBe(c.populationSha256);
    expect(fewer).not.toBe(c.populationSha256);
  });
});
