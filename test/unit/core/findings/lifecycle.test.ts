import { describe, expect, it } from 'vitest';
import { type ReconcileInput, reconcile } from '../../../../core/findings/lifecycle';
import { type Finding, findingId } from '../../../../core/findings/model';
import { makeDraft, SLA } from './draft-factory';

const T1 = new Date('2026-10-01T00:00:00.000Z');
const T2 = new Date('2026-11-01T00:00:00.000Z');
const T3 = new Date('2026-12-01T00:00:00.000Z');

function run(overrides: Partial<ReconcileInput> & Pick<ReconcileInput, 'runId' | 'asOf'>) {
  return reconcile({
    previous: [],
    drafts: [],
    completeSources: new Set(['aws-prod', 'netsuite']),
    failedOrIncompleteSources: new Set(),
    slaDays: SLA,
    ...overrides,
  });
}

function only(findings: Finding[]): Finding {
  expect(findings).toHaveLength(1);
  return findings[0]!;
}

describe('reconcile', () => {
  it("takes a rule's owner and due date when the finding opens, and keeps an owner set later", () => {
    // Arrange: REVIEW-REVOKE-NOT-DONE says who owns it and when the revocation was due.
    const draft = makeDraft({ owner: 'it-risk@example.com', dueAt: '2026-09-15T00:00:00.000Z' });
    const first = run({ runId: 'run-1', asOf: T1, drafts: [draft] });
    const reassigned = { ...only(first.findings), owner: 'controller@example.com' };
    // Act
    const second = run({ runId: 'run-2', asOf: T2, previous: [reassigned], drafts: [draft] });
    // Assert
    expect(only(first.findings)).toMatchObject({
      owner: 'it-risk@example.com',
      dueAt: '2026-09-15T00:00:00.000Z',
    });
    expect(only(second.findings)).toMatchObject({
      owner: 'controller@example.com',
      dueAt: '2026-09-15T00:00:00.000Z',
    });
  });

  it('opens a new finding with its stable id, an SLA due date by severity and an "opened" history entry', () => {
    // Arrange
    const drafts = [makeDraft({ severity: 'critical' }), makeDraft({ key: 'other', severity: 'low' })];
    // Act
    const { findings, changes, changed } = run({ runId: 'run-1', asOf: T1, drafts });
    // Assert
    const critical = findings.find((f) => f.severity === 'critical')!;
    expect(critical.id).toBe(findingId(drafts[0]!));
    expect(critical).toMatchObject({
      status: 'open',
      firstSeenRun: 'run-1',
      lastSeenRun: 'run-1',
      dueAt: '2026-10-08T00:00:00.000Z',
      history: [{ at: T1.toISOString(), runId: 'run-1', event: 'opened' }],
    });
    expect(findings.find((f) => f.severity === 'low')?.dueAt).toBe('2026-12-30T00:00:00.000Z');
    expect(changes.opened.map((f) => f.id)).toEqual(findings.map((f) => f.id));
    expect(changed).toEqual(findings);
  });

  it('keeps the same id across runs and only moves lastSeenRun when a finding is seen again', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] });
    // Act
    const second = run({
      runId: 'run-2',
      asOf: T2,
      previous: first.findings,
      drafts: [makeDraft({ title: 'renamed' })],
    });
    // Assert
    const before = only(first.findings);
    const after = only(second.findings);
    expect(after.id).toBe(before.id);
    expect(after).toMatchObject({
      status: 'open',
      firstSeenRun: 'run-1',
      lastSeenRun: 'run-2',
      title: 'renamed',
      dueAt: before.dueAt,
    });
    expect(after.history).toEqual(before.history);
    expect(second.changes.stillOpen.map((f) => f.id)).toEqual([before.id]);
    expect(second.changes.opened).toEqual([]);
  });

  it('resolves a finding absent from a complete collection of its source, recording the run that proved it', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] });
    // Act
    const second = run({ runId: 'run-2', asOf: T2, previous: first.findings });
    // Assert
    const f = only(second.findings);
    expect(f.status).toBe('resolved');
    expect(f.resolution).toEqual({
      runId: 'run-2',
      how: 'not seen in complete collection of aws-prod',
      at: T2.toISOString(),
      reason: 'remediated',
    });
    expect(f.history.at(-1)).toEqual({
      at: T2.toISOString(),
      runId: 'run-2',
      event: 'resolved',
      reason: 'remediated',
      note: f.resolution?.how,
    });
    expect(second.changes.resolved).toEqual([f]);
    expect(second.changed).toEqual([f]);
  });

  it('does not resolve a finding whose source failed, even if it is also listed as complete', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] });
    // Act
    const failed = run({
      runId: 'run-2',
      asOf: T2,
      previous: first.findings,
      completeSources: new Set(),
      failedOrIncompleteSources: new Set(['aws-prod']),
    });
    const both = run({
      runId: 'run-2',
      asOf: T2,
      previous: first.findings,
      failedOrIncompleteSources: new Set(['aws-prod']),
    });
    // Assert
    expect(only(failed.findings)).toBe(first.findings[0]);
    expect(only(both.findings).status).toBe('open');
    expect(failed.changed).toEqual([]);
    expect(failed.changes.resolved).toEqual([]);
  });

  it('resolves a cross-system finding only when every one of its sources was collected completely', () => {
    // Arrange
    const sod = makeDraft({
      rule: 'SOD-CONFLICT',
      severity: 'critical',
      key: 'person:ana|P2P-01',
      sources: ['netsuite', 'aws-prod'],
    });
    const first = run({ runId: 'run-1', asOf: T1, drafts: [sod] });
    // Act
    const partly = run({
      runId: 'run-2',
      asOf: T2,
      previous: first.findings,
      completeSources: new Set(['netsuite']),
    });
    const fully = run({ runId: 'run-3', asOf: T3, previous: partly.findings });
    // Assert
    expect(only(partly.findings).status).toBe('open');
    expect(only(fully.findings).resolution?.how).toBe(
      'not seen in complete collection of aws-prod, netsuite',
    );
  });

  it('never resolves a finding that names no source', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft({ sources: [] })] });
    // Act
    const second = run({ runId: 'run-2', asOf: T2, previous: first.findings });
    // Assert
    expect(only(second.findings).status).toBe('open');
  });

  it('reopens a resolved finding that comes back, with a fresh due date and its history kept', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft({ severity: 'high' })] });
    const second = run({ runId: 'run-2', asOf: T2, previous: first.findings });
    // Act
    const third = run({
      runId: 'run-3',
      asOf: T3,
      previous: second.findings,
      drafts: [makeDraft({ severity: 'high' })],
    });
    // Assert
    const f = only(third.findings);
    expect(f.status).toBe('reopened');
    expect(f.resolution).toBeUndefined();
    expect(f.dueAt).toBe('2026-12-31T00:00:00.000Z');
    expect(f.history.map((h) => h.event)).toEqual(['opened', 'resolved', 'reopened']);
    expect(f.history.at(-1)?.note).toContain('run-2');
    expect(third.changes.reopened).toEqual([f]);
    // A resolved finding that stays away is left alone.
    expect(run({ runId: 'run-3', asOf: T3, previous: second.findings }).changed).toEqual([]);
  });

  it('keeps a risk-accepted finding accepted while the exception is in force, then reopens it when it expires', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] });
    const accepted: Finding = {
      ...only(first.findings),
      status: 'risk-accepted',
      exception: {
        approver: 'cfo@example.com',
        rationale: 'batch job retired in Q4',
        expiresAt: '2026-11-15T00:00:00.000Z',
        grantedAt: T1.toISOString(),
      },
    };
    // Act
    const inForce = run({ runId: 'run-2', asOf: T2, previous: [accepted], drafts: [makeDraft()] });
    const expired = run({ runId: 'run-3', asOf: T3, previous: inForce.findings, drafts: [makeDraft()] });
    // Assert
    expect(only(inForce.findings)).toMatchObject({ status: 'risk-accepted', lastSeenRun: 'run-2' });
    expect(inForce.changes.stillAccepted).toHaveLength(1);
    const f = only(expired.findings);
    expect(f.status).toBe('reopened');
    expect(f.exception).toBeUndefined();
    expect(f.dueAt).toBe('2027-01-30T00:00:00.000Z');
    expect(f.history.at(-1)).toMatchObject({
      event: 'exception-expired',
      runId: 'run-3',
      note: expect.stringContaining('cfo@example.com'),
    });
    expect(expired.changes.expiredExceptions).toEqual([f]);
    expect(expired.changes.reopened).toEqual([]);
  });

  it('reopens an expired exception even when its source failed and the finding was not seen', () => {
    // Arrange
    const base = only(run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] }).findings);
    const accepted: Finding = {
      ...base,
      status: 'risk-accepted',
      exception: {
        approver: 'cfo@example.com',
        rationale: 'r',
        expiresAt: T2.toISOString(),
        grantedAt: T1.toISOString(),
      },
    };
    // Act
    const atExpiry = run({
      runId: 'run-2',
      asOf: T2,
      previous: [accepted],
      completeSources: new Set(),
      failedOrIncompleteSources: new Set(['aws-prod']),
    });
    // Assert
    expect(only(atExpiry.findings).status).toBe('reopened');
  });

  it('resolves a risk-accepted finding that is gone from a complete collection', () => {
    // Arrange
    const base = only(run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] }).findings);
    const accepted: Finding = {
      ...base,
      status: 'risk-accepted',
      exception: {
        approver: 'cfo@example.com',
        rationale: 'r',
        expiresAt: T3.toISOString(),
        grantedAt: T1.toISOString(),
      },
    };
    // Act
    const gone = run({ runId: 'run-2', asOf: T2, previous: [accepted] });
    // Assert
    expect(only(gone.findings)).toMatchObject({ status: 'resolved', resolution: { runId: 'run-2' } });
    expect(only(gone.findings).exception).toBeUndefined();
  });

  it('moves the due date when the severity changes, counted from when the finding was opened', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft({ severity: 'medium' })] });
    // Act
    const second = run({
      runId: 'run-2',
      asOf: T2,
      previous: first.findings,
      drafts: [makeDraft({ severity: 'critical' })],
    });
    // Assert
    const f = only(second.findings);
    expect(f.dueAt).toBe('2026-10-08T00:00:00.000Z');
    expect(f.history.at(-1)).toMatchObject({ event: 'severity-changed', note: 'medium → critical' });
  });

  it('never deletes: a finding of a source that is no longer configured stays as it was', () => {
    // Arrange
    const first = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft({ sources: ['old-erp'] })] });
    // Act
    const second = run({ runId: 'run-2', asOf: T2, previous: first.findings });
    // Assert
    expect(second.findings).toEqual(first.findings);
  });

  it('gives the same output whatever the order of drafts and stored findings', () => {
    // Arrange
    const drafts = Array.from({ length: 20 }, (_, i) => makeDraft({ key: `k${i}` }));
    const stored = run({ runId: 'run-0', asOf: T1, drafts: drafts.slice(10) }).findings;
    // Act
    const a = run({ runId: 'run-1', asOf: T2, previous: stored, drafts: drafts.slice(0, 15) });
    const b = run({
      runId: 'run-1',
      asOf: T2,
      previous: [...stored].reverse(),
      drafts: drafts.slice(0, 15).reverse(),
    });
    // Assert
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const ids = a.findings.map((f) => f.id);
    expect(ids).toEqual([...ids].sort());
  });

  it('merges two drafts for the same problem: the most severe wins, sources and evidence are unioned', () => {
    // Arrange
    const x = makeDraft({
      severity: 'medium',
      sources: ['netsuite'],
      evidence: [{ kind: 'note', text: 'a' }],
    });
    const y = makeDraft({
      severity: 'high',
      sources: ['aws-prod'],
      evidence: [
        { kind: 'note', text: 'b' },
        { kind: 'note', text: 'a' },
      ],
    });
    // Act
    const xy = only(run({ runId: 'run-1', asOf: T1, drafts: [x, y] }).findings);
    const yx = only(run({ runId: 'run-1', asOf: T1, drafts: [y, x] }).findings);
    // Assert
    expect(xy).toEqual(yx);
    expect(xy.severity).toBe('high');
    expect(xy.sources).toEqual(['aws-prod', 'netsuite']);
    expect(xy.evidence.map((e) => e.text).sort()).toEqual(['a', 'b']);
  });

  it('derives the id from sorted principals when a rule gives no key', () => {
    // Arrange
    const a = makeDraft({ key: undefined, subject: { identity: 'person:ana', principals: ['b', 'a'] } });
    const b = makeDraft({ key: undefined, subject: { identity: 'person:ana', principals: ['a', 'b'] } });
    // Act
    const out = run({ runId: 'run-1', asOf: T1, drafts: [a, b] });
    // Assert
    expect(only(out.findings).subject.principals).toEqual(['a', 'b']);
  });

  it('does not change the findings it was given', () => {
    // Arrange
    const previous = run({ runId: 'run-1', asOf: T1, drafts: [makeDraft()] }).findings;
    const snapshot = JSON.stringify(previous);
    // Act
    run({ runId: 'run-2', asOf: T2, previous });
    // Assert
    expect(JSON.stringify(previous)).toBe(snapshot);
  });

  it('rejects an invalid clock or SLA', () => {
    // Arrange / Act / Assert
    expect(() => run({ runId: 'run-1', asOf: new Date('nope') })).toThrow(/asOf/);
    expect(() => run({ runId: 'run-1', asOf: T1, slaDays: { ...SLA, high: Number.NaN } })).toThrow(
      /slaDays.high/,
    );
  });
});

describe('reconcile: why a finding leaves open (issue 10)', () => {
  const first = () =>
    run({
      runId: 'run-1',
      asOf: T1,
      drafts: [makeDraft()],
      policyBasis: () => ({ 'policy.dormantDays': 90 }),
    });

  it('records policy-changed, naming the field, when the facts still hold under a changed threshold', () => {
    const second = run({
      runId: 'run-2',
      asOf: T2,
      previous: first().findings,
      policyBasis: () => ({ 'policy.dormantDays': 365 }),
      factsHold: () => true,
    });
    expect(only(second.findings).resolution).toMatchObject({
      reason: 'policy-changed',
      policyChanges: ['policy.dormantDays: 90 → 365'],
    });
  });

  it('records remediated only when the facts are gone, and claims nothing when it cannot tell', () => {
    const gone = run({ runId: 'run-2', asOf: T2, previous: first().findings, factsHold: () => false });
    expect(only(gone.findings).resolution?.reason).toBe('remediated');
    const unknown = run({ runId: 'run-2', asOf: T2, previous: first().findings, factsHold: () => undefined });
    expect(only(unknown.findings).status).toBe('open');
    const sameBasis = run({
      runId: 'run-2',
      asOf: T2,
      previous: first().findings,
      policyBasis: () => ({ 'policy.dormantDays': 90 }),
      factsHold: () => true,
    });
    expect(only(sameBasis.findings).status).toBe('open');
  });

  it('records source-removed when a source left the configuration', () => {
    const removed = run({
      runId: 'run-2',
      asOf: T2,
      previous: first().findings,
      completeSources: new Set(['netsuite']),
      configuredSources: new Set(['netsuite']),
    });
    expect(only(removed.findings).resolution).toMatchObject({ reason: 'source-removed' });
  });

  it('recognises an identity finding by a shared anchor when the identity key changed, recording the change', () => {
    const sod = (identity: string, anchors: string[]) =>
      makeDraft({
        rule: 'SOD-CONFLICT',
        key: `${identity}|R2R-01`,
        ruleKey: 'R2R-01',
        subject: { identity, principals: ['erp:ns:U7'], anchors },
      });
    const one = run({
      runId: 'run-1',
      asOf: T1,
      drafts: [sod('person:employee:E7', ['employee:E7', 'email:b@x', 'principal:erp:ns:U7'])],
    });
    const two = run({
      runId: 'run-2',
      asOf: T2,
      previous: one.findings,
      drafts: [sod('person:b@x', ['email:b@x', 'principal:erp:ns:U7'])],
    });
    expect(only(two.findings).id).toBe(only(one.findings).id);
    expect(only(two.findings).history.at(-1)).toMatchObject({
      event: 'subject-changed',
      note: 'identity person:employee:E7 → person:b@x',
    });
    expect(two.changes.resolved).toEqual([]);
  });
});
