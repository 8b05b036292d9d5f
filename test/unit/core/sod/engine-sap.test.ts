import { describe, expect, it } from 'vitest';
import type { Entitlement, Principal, SapAuthorization } from '../../../../core/model';
import { compileRulesets, evaluateSod, functionsByIdentity, parseRuleset } from '../../../../core/sod';
import { matchSapRole, valueAllows } from '../../../../core/sod/sap-match';
import {
  buildInventory,
  makeEntitlement,
  makeGrant,
  makePolicy,
  makePrincipal,
} from '../../../support/factories';

const RULES = `version: 1
functions:
  - id: PAYRUN
    name: Execute the payment run
    grants:
      - system: sap
        tcode: [F110]
        authorizations:
          - object: F_REGU
            fields: { FBTCH: ["11", "21"] }
      - system: aws
        action: ["s3:PutObject"]
        resource: "arn:aws:s3:::payment-files/*"
  - id: VENDOR
    name: Maintain vendors
    grants:
      - system: sap
        tcode: [XK02, FK02]
        authorizations:
          - object: F_LFA1_APP
            fields: { ACTVT: ["02"], APPKZ: ["F"] }
  - id: INVOICE
    name: Post vendor invoices
    grants:
      - system: sap
        tcode: FB60
        authorizations:
          - object: F_BKPF_BUK
            fields: { ACTVT: ["01"], BUKRS: ["1000"] }
risks:
  - id: P2P-01
    title: Maintain vendors and pay
    functions: [VENDOR, PAYRUN]
    severity: critical
  - id: P2P-02
    title: Post invoices and pay
    functions: [INVOICE, PAYRUN]
    severity: high
`;

const compiled = () => compileRulesets([parseRuleset(RULES, 'rules/sap-test.yaml')]);

const auth = (object: string, name: string, fields: SapAuthorization['fields']): SapAuthorization => ({
  object,
  auth: name,
  fields,
});
const tcode = (...codes: string[]) =>
  auth('S_TCODE', `T-${codes[0]}`, { TCD: codes.map((low) => ({ low })) });

function role(
  name: string,
  authorizations: SapAuthorization[],
  extra: Partial<Entitlement> = {},
): Entitlement {
  return makeEntitlement({
    system: 'sap',
    sourceId: 's4',
    tenant: 's4',
    uid: `sap:s4:${name}`,
    nativeId: name,
    name,
    type: 'sap-role',
    sapAuthorizations: authorizations,
    ...extra,
  });
}

function user(name: string, extra: Partial<Principal> = {}): Principal {
  return makePrincipal({
    system: 'sap',
    sourceId: 's4',
    tenant: 's4',
    uid: `sap:s4:${name}`,
    nativeId: name,
    name,
    type: 'sap-dialog',
    ...extra,
  });
}

const PAYRUN = tcode('F110');
const REGU_EXEC = auth('F_REGU', 'REGU-EXEC', { FBTCH: [{ low: '11' }, { low: '21' }] });
const REGU_DISPLAY = auth('F_REGU', 'REGU-DISP', { FBTCH: [{ low: '03' }, { low: '13' }, { low: '23' }] });
const INVOICE = [
  tcode('FB60'),
  auth('F_BKPF_BUK', 'BKPF', { ACTVT: [{ low: '01' }], BUKRS: [{ low: '1000' }] }),
];

function held(
  principals: Principal[],
  entitlements: Entitlement[],
  grants: ReturnType<typeof makeGrant>[],
  asOf?: Date,
) {
  const inv = buildInventory({ principals, entitlements, grants, ...(asOf ? { asOf } : {}) });
  return { inv, fns: functionsByIdentity(inv, compiled()) };
}

describe('SAP field values', () => {
  it('reads *, trailing *, ranges and literal values as PFCG does', () => {
    expect(valueAllows({ low: '*' }, 'F110')).toBe('allows');
    expect(valueAllows({ low: 'F1*' }, 'F110')).toBe('allows');
    expect(valueAllows({ low: 'F1*' }, 'FB60')).toBe('denies');
    expect(valueAllows({ low: '01', high: '03' }, '02')).toBe('allows');
    expect(valueAllows({ low: '01', high: '03' }, '03')).toBe('allows');
    expect(valueAllows({ low: '01', high: '03' }, '11')).toBe('denies');
    expect(valueAllows({ low: '11' }, '11')).toBe('allows');
    expect(valueAllows({ low: '11' }, '21')).toBe('denies');
  });

  it('reports $ variables as not evaluated: they allow nothing and leave a note', () => {
    expect(valueAllows({ low: '$BUKRS' }, '1000')).toBe('variable');
    const c = compiled();
    const targets = c.systems.get('sap')!.sap;
    const r = role('Z_TEMPLATE', [
      ...INVOICE.slice(0, 1),
      auth('F_BKPF_BUK', 'BKPF', { ACTVT: [{ low: '01' }], BUKRS: [{ low: '$BUKRS' }] }),
    ]);
    const m = matchSapRole(r, targets);
    const invoice = targets.find((t) => c.functions[t.fn]!.id === 'INVOICE')!;
    expect(m.parts.get(invoice.index)?.mask).toBe(1); // the transaction only
    expect(m.notes.get(invoice.fn)?.[0]).toContain('unresolved variable $BUKRS');
  });

  it('needs every listed field of an object in ONE authorization, not spread over two', () => {
    const targets = compiled().systems.get('sap')!.sap;
    const split = role('Z_SPLIT', [
      tcode('XK02'),
      auth('F_LFA1_APP', 'A1', { ACTVT: [{ low: '02' }], APPKZ: [{ low: 'M' }] }),
      auth('F_LFA1_APP', 'A2', { ACTVT: [{ low: '03' }], APPKZ: [{ low: 'F' }] }),
    ]);
    const one = role('Z_ONE', [
      tcode('XK02'),
      auth('F_LFA1_APP', 'A3', { ACTVT: [{ low: '01', high: '03' }], APPKZ: [{ low: '*' }] }),
    ]);
    const vendor = targets.find((t) => t.objects[0]?.object === 'F_LFA1_APP')!;
    expect(matchSapRole(split, targets).parts.get(vendor.index)?.mask).toBe(1);
    expect(matchSapRole(one, targets).parts.get(vendor.index)?.mask).toBe(vendor.full);
  });
});

describe('SoD on SAP transactions together with authorization objects', () => {
  const u = user('ALICE');
  const invoice = role('Z_AP_INVOICE', INVOICE);

  it('is a conflict when the roles give F110 and F_REGU with 11 or 21', () => {
    const pay = role('Z_AP_PAYRUN', [PAYRUN, REGU_EXEC]);
    const { fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)]);
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE', 'PAYRUN']);
  });

  it('is no conflict with F110 but no F_REGU (the transaction half alone)', () => {
    const pay = role('Z_AP_PAYRUN', [PAYRUN]);
    const { fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)]);
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE']);
  });

  it('is no conflict with F_REGU 11/21 but no F110 (the object half alone)', () => {
    const pay = role('Z_AP_PAYRUN', [tcode('F111'), REGU_EXEC]);
    const { fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)]);
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE']);
  });

  it('is no conflict when F_REGU allows only display activities', () => {
    const pay = role('Z_AP_PAYRUN_DISP', [PAYRUN, REGU_DISPLAY]);
    const { fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)]);
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE']);
  });

  it('combines the transaction and the object from two roles of one user, and shows both in the evidence', () => {
    const t = role('Z_F110_MENU', [PAYRUN]);
    const o = role('Z_REGU_EXEC', [REGU_EXEC]);
    const { inv, fns } = held(
      [u],
      [invoice, t, o],
      [makeGrant(u, invoice), makeGrant(u, t), makeGrant(u, o)],
    );
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE', 'PAYRUN']);
    const [draft] = evaluateSod(inv, compiled());
    const texts = draft!.evidence.filter((e) => e.kind === 'grant').map((e) => e.text);
    expect(texts).toContain(
      'ALICE (sap) holds PAYRUN "Execute the payment run" through Z_F110_MENU (direct): S_TCODE TCD=F110 (authorization T-F110)',
    );
    expect(texts).toContain(
      'ALICE (sap) holds PAYRUN "Execute the payment run" through Z_REGU_EXEC (direct): F_REGU FBTCH=11 (authorization REGU-EXEC)',
    );
  });

  it('never combines halves held by two users of one person', () => {
    // Two SAP users (say ECC and S/4HANA) correlated into one person through her AWS user.
    const alice2 = user('ALICE2', { email: 'alice@example.com', uid: 'sap:ecc:ALICE2', sourceId: 'ecc' });
    const alice = user('ALICE', { email: 'alice@example.com' });
    const aws = makePrincipal({ system: 'aws', uid: 'aws:123:alice', email: 'alice@example.com' });
    const t = role('Z_F110_MENU', [PAYRUN, ...INVOICE]);
    const o = role('Z_REGU_EXEC', [REGU_EXEC]);
    const { fns } = held([alice, alice2, aws], [t, o], [makeGrant(alice, t), makeGrant(alice2, o)]);
    expect(fns.get('person:alice@example.com')).toEqual(['INVOICE']);
  });

  it('expands a composite: the evidence names the single role and the composite it came through', () => {
    const pay = role('Z_AP_PAYRUN', [PAYRUN, REGU_EXEC]);
    const composite = role('Z_AP_FULL', [], { type: 'sap-composite-role', sapAuthorizations: undefined });
    const grants = [
      makeGrant(u, composite),
      makeGrant(u, invoice, { path: [composite.uid] }),
      makeGrant(u, pay, { path: [composite.uid] }),
    ];
    const { inv } = held([u], [composite, invoice, pay], grants);
    const [draft] = evaluateSod(inv, compiled());
    expect(draft?.detail.riskId).toBe('P2P-02');
    const pays = draft!.evidence.find((e) => e.kind === 'grant' && e.function === 'PAYRUN');
    expect(pays).toMatchObject({ entitlement: pay.uid, path: [composite.uid] });
    expect(pays?.text).toContain('through Z_AP_PAYRUN via Z_AP_FULL: S_TCODE TCD=F110');
  });

  it('gives every SAP function to SAP_ALL, and S_TCODE * only the transactions', () => {
    const all = role('PROFILE:SAP_ALL', [], {
      name: 'SAP_ALL',
      type: 'sap-profile',
      sapAll: true,
      privileged: true,
    });
    const ff = user('FF_01', { kind: 'nonhuman', type: 'sap-service' });
    const star = role('Z_STAR', [tcode('*')]);
    const { fns } = held([ff, u], [all, star], [makeGrant(ff, all), makeGrant(u, star)]);
    expect(fns.get(`principal:${ff.uid}`)).toEqual(['INVOICE', 'PAYRUN', 'VENDOR']);
    expect(fns.get(`principal:${u.uid}`)).toBeUndefined();
  });

  it('keeps cross-system risks: SAP vendor maintenance and an AWS payment-file upload are one conflict', () => {
    const vendor = role('Z_VENDOR', [
      tcode('XK02'),
      auth('F_LFA1_APP', 'A', { ACTVT: [{ low: '02' }], APPKZ: [{ low: 'F' }] }),
    ]);
    const sapUser = user('BOB', { email: 'bob@example.com' });
    const awsUser = makePrincipal({
      system: 'aws',
      uid: 'aws:123:bob',
      email: 'bob@example.com',
      name: 'bob',
    });
    const policy = makePolicy('PaymentFiles', [
      { effect: 'Allow', action: ['s3:PutObject'], resource: ['arn:aws:s3:::payment-files/*'] },
    ]);
    const inv = buildInventory({
      principals: [sapUser, awsUser],
      entitlements: [vendor, policy],
      grants: [makeGrant(sapUser, vendor), makeGrant(awsUser, policy)],
    });
    const drafts = evaluateSod(inv, compiled());
    expect(drafts.map((d) => [d.detail.riskId, d.subject.principals])).toEqual([
      ['P2P-01', [awsUser.uid, sapUser.uid]],
    ]);
  });
});

describe('validity on the as-of date', () => {
  const asOf = new Date('2026-10-01T00:00:00.000Z');
  const invoice = role('Z_AP_INVOICE', INVOICE);
  const pay = role('Z_AP_PAYRUN', [PAYRUN, REGU_EXEC]);
  const run = (u: Principal, payWindow: { validFrom?: string; validUntil?: string }) =>
    held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay, payWindow)], asOf).fns.get(
      `principal:${u.uid}`,
    );

  it('counts an assignment through its last day (TO_DAT = as-of day) and not after it', () => {
    // TO_DAT 20261001 → until 2026-10-02; TO_DAT 20260930 → until 2026-10-01 (the as-of instant).
    expect(run(user('A1'), { validUntil: '2026-10-02T00:00:00.000Z' })).toEqual(['INVOICE', 'PAYRUN']);
    expect(run(user('A2'), { validUntil: '2026-10-01T00:00:00.000Z' })).toEqual(['INVOICE']);
  });

  it('counts an assignment from its first day (FROM_DAT = as-of day), not one starting tomorrow', () => {
    expect(run(user('A3'), { validFrom: '2026-10-01T00:00:00.000Z' })).toEqual(['INVOICE', 'PAYRUN']);
    expect(run(user('A4'), { validFrom: '2026-10-02T00:00:00.000Z' })).toEqual(['INVOICE']);
  });

  it('keeps assignments outside their window out of the grant graph, listed as not in force', () => {
    const u = user('A5');
    const { inv } = held(
      [u],
      [invoice, pay],
      [makeGrant(u, invoice), makeGrant(u, pay, { validUntil: '2026-07-01T00:00:00.000Z' })],
      asOf,
    );
    expect(inv.grantsOf(u.uid).map((g) => g.entitlement)).toEqual([invoice.uid]);
    expect(inv.grantsNotInForce.map((g) => g.entitlement)).toEqual([pay.uid]);
  });

  it('judges no window without an as-of date (the connector reports, the scan decides)', () => {
    const u = user('A6');
    const { fns } = held(
      [u],
      [invoice, pay],
      [makeGrant(u, invoice), makeGrant(u, pay, { validUntil: '2026-07-01T00:00:00.000Z' })],
    );
    expect(fns.get(`principal:${u.uid}`)).toEqual(['INVOICE', 'PAYRUN']);
  });

  it('holds nothing for a user whose validity ended yesterday, and tags why', () => {
    const u = user('GONE', { validUntil: '2026-10-01T00:00:00.000Z' }); // GLTGB 20260930
    const { inv, fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)], asOf);
    expect(fns.get(`principal:${u.uid}`)).toBeUndefined();
    expect(inv.principals.get(u.uid)?.status).toBe('disabled');
    expect(inv.principals.get(u.uid)?.tags['accessproof:validity']).toContain(
      'until 2026-10-01T00:00:00.000Z',
    );
  });

  it('holds nothing for a user locked yesterday', () => {
    const u = user('LOCKED', { status: 'disabled', tags: { 'sap:UFLAG': '64' } });
    const { fns } = held([u], [invoice, pay], [makeGrant(u, invoice), makeGrant(u, pay)], asOf);
    expect(fns.get(`principal:${u.uid}`)).toBeUndefined();
  });
});
