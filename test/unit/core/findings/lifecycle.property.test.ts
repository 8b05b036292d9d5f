/**
 * Property tests of the findings lifecycle (issue 10), with the real rules, SoD engine, correlation
 * and reconcile over random sequences of scans of a small two-system tenant: principals added,
 * removed, renamed, disabled, correlated and un-correlated (email, employee id), grants and activity
 * changed, sources failing, partial and recovering, the dormancy threshold moved, and risks accepted.
 *
 * - A finding is resolved `remediated` only if every source it depends on was complete in that run
 *   and its facts are gone from the tenant (not merely from what was collected).
 * - A finding's id never changes while its facts hold.
 * - No exception survives a change of what it accepted (severity up, a new principal, other facts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../../../core/config';
import { acceptRisk } from '../../../../core/findings/exceptions';
import { reconcile } from '../../../../core/findings/lifecycle';
import { type Finding, SEVERITIES } from '../../../../core/findings/model';
import { InventoryBuilder } from '../../../../core/inventory';
import { evaluateRules } from '../../../../core/rules';
import { factsHoldIn, policyBasisFor } from '../../../../core/rules/facts';
import { compileRulesets, evaluateSod, parseRuleset } from '../../../../core/sod';
import {
  makeEntitlement,
  makeGrant,
  makeHeader,
  makePrincipal,
  TEST_SOURCE,
} from '../../../support/factories';

const RULES = `version: 1
functions:
  - id: VENDOR
    name: Maintain vendors
    grants:
      - system: erp
        permission: [XK01]
  - id: PAY
    name: Release payments
    grants:
      - system: erp
        permission: [F110]
risks:
  - id: P2P-01
    title: Maintain vendors and release payments
    functions: [VENDOR, PAY]
    severity: critical
`;
const SOD = compileRulesets([parseRuleset(RULES, 'rules/p2p.yaml')]);
const RULESET_HASHES = new Map([['p2p', 'fixed']]);
const T0 = Date.parse('2026-10-01T00:00:00Z');
const DAY = 86_400_000;
const PEOPLE = 4;
const SLA = { critical: 7, high: 30, medium: 60, low: 90 };
const APPROVERS = {
  critical: ['cfo@corp.example'],
  high: ['cfo@corp.example'],
  medium: ['cfo@corp.example'],
  low: ['cfo@corp.example'],
};

type SourceState = 'complete' | 'incomplete' | 'failed';
interface PersonState {
  erp: boolean;
  entra: boolean;
  email: boolean;
  employeeId: boolean;
  vendor: boolean;
  pay: boolean;
  disabled: boolean;
  rename: number;
  /** Last activity, ms. */
  activityAt: number;
}
interface World {
  people: PersonState[];
  erp: SourceState;
  entra: SourceState;
  dormantDays: number;
}

type Command =
  | {
      op: 'toggle';
      i: number;
      field: 'erp' | 'entra' | 'email' | 'employeeId' | 'vendor' | 'pay' | 'disabled';
    }
  | { op: 'rename'; i: number }
  | { op: 'activity'; i: number; daysAgo: number }
  | { op: 'source'; src: 'erp' | 'entra'; state: SourceState }
  | { op: 'threshold'; days: number }
  | { op: 'accept'; pick: number };

const person = fc.integer({ min: 0, max: PEOPLE - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('toggle' as const),
      i: person,
      field: fc.constantFrom('erp', 'entra', 'email', 'employeeId', 'vendor', 'pay', 'disabled'),
    }),
    weight: 5,
  },
  { arbitrary: fc.record({ op: fc.constant('rename' as const), i: person }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('activity' as const),
      i: person,
      daysAgo: fc.integer({ min: 0, max: 400 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('source' as const),
      src: fc.constantFrom('erp', 'entra'),
      state: fc.constantFrom<SourceState>('complete', 'complete', 'incomplete', 'failed'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ op: fc.constant('threshold' as const), days: fc.integer({ min: 30, max: 400 }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('accept' as const), pick: fc.nat() }), weight: 2 },
);

const personArb: fc.Arbitrary<PersonState> = fc.record({
  erp: fc.boolean(),
  entra: fc.boolean(),
  email: fc.boolean(),
  employeeId: fc.boolean(),
  vendor: fc.boolean(),
  pay: fc.boolean(),
  disabled: fc.constant(false),
  rename: fc.constant(0),
  activityAt: fc.integer({ min: -400, max: 0 }).map((d) => T0 + d * DAY),
});

const erpUid = (i: number) => `erp:erp-test:U${i}`;
/** The inventory a run collects from the world: failed sources give nothing, partial ones miss odd people. */
function collect(world: World, asOf: Date) {
  const b = new InventoryBuilder({ asOf, financiallySignificant: () => true });
  const visible = (state: SourceState, i: number) =>
    state === 'complete' || (state === 'incomplete' && i % 2 === 0);
  for (const [system, state] of [
    ['erp', world.erp],
    ['entra', world.entra],
  ] as const) {
    if (state === 'failed')
      b.addFailedSource({ sourceId: TEST_SOURCE[system], system, error: 'unreachable' });
    else
      b.addSnapshotHeader(
        makeHeader({ system, collectedAt: asOf.toISOString(), complete: state === 'complete' }),
      );
  }
  const vendor = makeEntitlement({ nativeId: 'R-VENDOR', name: 'Vendor master', permissions: ['XK01'] });
  const pay = makeEntitlement({ nativeId: 'R-PAY', name: 'AP Payment Release', permissions: ['F110'] });
  if (world.erp !== 'failed') {
    b.addEntitlement(vendor);
    b.addEntitlement(pay);
  }
  world.people.forEach((p, i) => {
    const email = `p${i}@corp.example`;
    const common = {
      name: `Person ${i} (${p.rename})`,
      status: p.disabled ? ('disabled' as const) : ('active' as const),
      lastActivity: { at: new Date(p.activityAt).toISOString(), source: 'last_login_at' },
    };
    if (p.erp && visible(world.erp, i)) {
      const u = makePrincipal({ system: 'erp', nativeId: `U${i}`, ...common, ...(p.email ? { email } : {}) });
      b.addPrincipal(u);
      if (p.vendor) b.addGrant(makeGrant(u, vendor));
      if (p.pay) b.addGrant(makeGrant(u, pay));
    }
    if (p.entra && visible(world.entra, i)) {
      b.addPrincipal(
        makePrincipal({
          system: 'entra',
          nativeId: `E${i}`,
          type: 'member',
          email,
          ...common,
          ...(p.employeeId ? { employeeId: `EMP${i}` } : {}),
        }),
      );
    }
  });
  return b.finish();
}

/** Whether the facts a finding was raised on still hold in the world (not in what was collected). */
function factsHoldInWorld(f: Finding, world: World): boolean | undefined {
  const i = Number(/:[UE](\d+)$/.exec(f.subject.principals[0] ?? '')?.[1]);
  const p = world.people[i];
  if (!p) return undefined;
  if (f.rule === 'SOD-CONFLICT') return p.erp && !p.disabled && p.vendor && p.pay;
  if (f.rule === 'USER-DORMANT') {
    const onErp = f.subject.principals[0] === erpUid(i);
    const exists = onErp ? p.erp : p.entra;
    return exists && !p.disabled && new Date(p.activityAt).toISOString() === f.detail.lastActivityAt;
  }
  return undefined; // rules this model does not describe
}

function apply(world: World, c: Command, asOf: number, stored: Finding[]): Finding[] {
  switch (c.op) {
    case 'toggle': {
      const p = world.people[c.i]!;
      p[c.field] = !p[c.field];
      return stored;
    }
    case 'rename':
      world.people[c.i]!.rename++;
      return stored;
    case 'activity':
      world.people[c.i]!.activityAt = asOf - c.daysAgo * DAY;
      return stored;
    case 'source':
      world[c.src] = c.state;
      return stored;
    case 'threshold':
      world.dormantDays = c.days;
      return stored;
    case 'accept': {
      const open = stored.filter((f) => f.status === 'open' || f.status === 'reopened');
      const f = open[c.pick % Math.max(open.length, 1)];
      if (!f) return stored;
      const accepted = acceptRisk(
        f,
        {
          approver: 'cfo@corp.example',
          rationale: 'accepted for the property test',
          compensatingControl: 'weekly review',
          expiresAt: new Date(asOf + 300 * DAY).toISOString(),
        },
        new Date(asOf),
        { approvers: APPROVERS },
      );
      return stored.map((x) => (x.id === f.id ? accepted : x));
    }
  }
}

describe('the findings lifecycle, over random scans', () => {
  // What the random runs exercised, so a generator that stopped reaching a case cannot pass silently.
  const seen = { remediated: 0, keyChanged: 0, invalidated: 0, keptWhileHidden: 0 };

  it('resolves "remediated" only when the facts are gone from complete sources, keeps ids while facts hold, and lets no exception outlive what it accepted', () => {
    fc.assert(
      fc.property(
        fc.array(personArb, { minLength: PEOPLE, maxLength: PEOPLE }),
        fc.array(fc.array(command, { maxLength: 3 }), { minLength: 2, maxLength: 8 }),
        (people, steps) => {
          const world: World = {
            people: structuredClone(people),
            erp: 'complete',
            entra: 'complete',
            dormantDays: 90,
          };
          let stored: Finding[] = [];
          const idWhileHeld = new Map<string, string>();
          steps.forEach((commands, step) => {
            const asOfMs = T0 + step * DAY;
            const asOf = new Date(asOfMs);
            for (const c of commands) stored = apply(world, c, asOfMs, stored);
            const runId = `run-${step}`;
            const policy = policySchema.parse({ dormantDays: world.dormantDays, slaDays: SLA });
            const inv = collect(world, asOf);
            const drafts = [
              ...evaluateRules(inv, { asOf, policy, sod: undefined, financiallySignificant: () => true }),
              ...evaluateSod(inv, SOD),
            ];
            const complete = new Set<string>();
            const notComplete = new Set<string>();
            for (const [id, state] of [
              [TEST_SOURCE.erp, world.erp],
              [TEST_SOURCE.entra, world.entra],
            ] as const) {
              (state === 'complete' ? complete : notComplete).add(id);
            }
            const result = reconcile({
              previous: stored,
              drafts,
              runId,
              asOf,
              completeSources: complete,
              failedOrIncompleteSources: notComplete,
              slaDays: SLA,
              policyBasis: policyBasisFor(policy, RULESET_HASHES),
              factsHold: factsHoldIn(inv),
            });
            stored = result.findings;

            seen.invalidated += result.changes.invalidatedExceptions.length;
            seen.keyChanged += result.changed.filter((f) =>
              f.history.some(
                (h) => h.runId === runId && h.event === 'subject-changed' && /identity/.test(h.note ?? ''),
              ),
            ).length;
            seen.keptWhileHidden += stored.filter(
              (f) =>
                f.status !== 'resolved' && f.lastSeenRun !== runId && factsHoldInWorld(f, world) === true,
            ).length;
            for (const f of result.changes.resolved) {
              if (f.resolution?.reason !== 'remediated') continue;
              seen.remediated++;
              // Remediated: every source it depends on complete in this run, and the facts gone.
              for (const s of f.sources)
                expect(complete.has(s), `${f.id} resolved with ${s} not complete`).toBe(true);
              expect(
                factsHoldInWorld(f, world),
                `${f.rule} ${f.id} "remediated" while its facts hold`,
              ).not.toBe(true);
            }
            for (const f of stored) {
              const held = factsHoldInWorld(f, world);
              const who = `${f.rule}|${f.rule === 'SOD-CONFLICT' ? f.detail.riskId : ''}|${f.subject.principals[0]}`;
              if (held === false) idWhileHeld.delete(who);
              else if (held === true && f.lastSeenRun === runId) {
                const before = idWhileHeld.get(who);
                if (before !== undefined)
                  expect(f.id, `${who}: id changed while its facts held`).toBe(before);
                idWhileHeld.set(who, f.id);
              }
              const accepted = f.status === 'risk-accepted' ? f.exception?.accepted : undefined;
              if (accepted) {
                expect(SEVERITIES.indexOf(f.severity)).toBeGreaterThanOrEqual(
                  SEVERITIES.indexOf(accepted.severity),
                );
                for (const uid of f.subject.principals) expect(accepted.principals).toContain(uid);
                if (f.lastSeenRun === runId) expect(f.factsSha256).toBe(accepted.factsSha256);
              }
            }
          });
        },
      ),
      { numRuns: 150 },
    );
    expect(seen.remediated).toBeGreaterThan(0);
    expect(seen.keyChanged).toBeGreaterThan(0);
    expect(seen.invalidated).toBeGreaterThan(0);
    expect(seen.keptWhileHidden).toBeGreaterThan(0);
  });
});
