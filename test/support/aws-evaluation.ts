/**
 * Builds small AWS inventories for the evaluation tables: principals with identity policies
 * written as real IAM JSON (normalized by the connector's own code), a permissions boundary, the
 * account's SCP levels in the snapshot header, trust policies; and a ruleset whose function F
 * asks the question of the case.
 */
import { policyDocumentSchema } from '../../connectors/aws-iam/authorization-details';
import {
  toControlStatements,
  toPolicyStatements,
  toTrustStatements,
} from '../../connectors/aws-iam/policy-statements';
import { type Inventory, InventoryBuilder } from '../../core/inventory';
import { type Entitlement, type Grant, makeUid, type Principal } from '../../core/model';
import type { ControlPolicyLevel, SnapshotEvaluation } from '../../core/snapshot';
import { type CompiledRuleset, type CompileOptions, compileRulesets, parseRuleset } from '../../core/sod';
import { makeHeader } from './factories';

export type Doc = Record<string, unknown>;

export interface Subject {
  name: string;
  /** Default `iam-user`. */
  type?: 'iam-user' | 'iam-role' | 'service-linked-role';
  /** Default 111111111111. */
  account?: string;
  tags?: Record<string, string>;
  userId?: string;
  /** Identity policy documents, attached directly. */
  policies?: Doc[];
  /** The boundary policy's document, or `missing` (a boundary whose document is not exported). */
  boundary?: Doc | 'missing';
  /** A role's trust policy. */
  trust?: Doc;
}

export interface AccountSetup {
  /** SCP levels, root first: each a list of policy documents. */
  scp?: Doc[][];
  /** RCP levels, root first: each a list of policy documents (statements name `Principal: "*"`). */
  rcp?: Doc[][];
  /** Overrides the policies-evaluated table of the header. */
  policies?: Record<string, string>;
}

export const ACCOUNT = '111111111111';
export const OTHER = '222222222222';

export function arnOf(s: Subject): string {
  const kind = s.type === 'iam-user' || s.type === undefined ? 'user' : 'role';
  return `arn:aws:iam::${s.account ?? ACCOUNT}:${kind}/${s.name}`;
}

export function uidOf(s: Subject): string {
  return makeUid('aws', s.account ?? ACCOUNT, arnOf(s));
}

/** A document with a 2012-10-17 Version unless it says otherwise. */
export function doc(...statements: Doc[]): Doc {
  return { Version: '2012-10-17', Statement: statements };
}

const policy = (account: string, name: string, document: Doc, type = 'managed-policy'): Entitlement => {
  const arn = `arn:aws:iam::${account}:policy/${name}`;
  return {
    uid: makeUid('aws', account, arn),
    system: 'aws',
    tenant: account,
    sourceId: `aws-${account}`,
    nativeId: arn,
    type,
    name,
    privileged: false,
    permissions: [],
    statements:
      type === 'resource-control-policy'
        ? toControlStatements(policyDocumentSchema.parse(document))
        : toPolicyStatements(policyDocumentSchema.parse(document)),
  };
};

/**
 * @example
 * const inv = awsInventory([{ name: 'quinn', policies: [doc({ Effect: 'Allow', Action: '*', Resource: '*' })] }]);
 */
export function awsInventory(
  subjects: Subject[],
  accounts: Record<string, AccountSetup> = {},
  /** Records of other systems (an Entra user and the app role mapping them to a role), one source each. */
  extra: { principals?: Principal[]; entitlements?: Entitlement[]; grants?: Grant[] } = {},
): Inventory {
  const principals: Principal[] = [];
  const entitlements: Entitlement[] = [];
  const grants: Grant[] = [];
  const evaluations = new Map<string, SnapshotEvaluation>();
  for (const [account, setup] of Object.entries(accounts)) {
    const levels: ControlPolicyLevel[] = (setup.scp ?? []).map((docs, i) => {
      const target = i === 0 ? 'r-root' : `ou-level${i}`;
      const uids = docs.map((d, j) => {
        const e = policy(account, `scp-${i}-${j}`, d, 'service-control-policy');
        entitlements.push(e);
        return e.uid;
      });
      return { target, policies: uids };
    });
    const evaluation: SnapshotEvaluation = {
      policies: setup.policies ?? { 'permissions boundaries': 'evaluated', SCPs: 'evaluated' },
    };
    if (levels.length > 0) evaluation.serviceControlLevels = levels;
    const rcpLevels: ControlPolicyLevel[] = (setup.rcp ?? []).map((docs, i) => ({
      target: i === 0 ? 'r-root' : `ou-level${i}`,
      policies: docs.map((d, j) => {
        const e = policy(account, `rcp-${i}-${j}`, d, 'resource-control-policy');
        entitlements.push(e);
        return e.uid;
      }),
    }));
    if (rcpLevels.length > 0) evaluation.resourceControlLevels = rcpLevels;
    evaluations.set(account, evaluation);
  }
  for (const s of subjects) {
    const account = s.account ?? ACCOUNT;
    const arn = arnOf(s);
    const p: Principal = {
      uid: uidOf(s),
      system: 'aws',
      tenant: account,
      sourceId: `aws-${account}`,
      nativeId: arn,
      name: s.name,
      kind: 'human',
      type: s.type ?? 'iam-user',
      status: 'active',
      owners: [],
      credentials: [],
      tags: s.tags ?? {},
    };
    p.aws = {};
    if (s.userId) p.aws.userId = s.userId;
    (s.policies ?? []).forEach((d, i) => {
      const e = policy(account, `${s.name}-p${i}`, d);
      entitlements.push(e);
      grants.push({ principal: p.uid, entitlement: e.uid, path: [] });
    });
    if (s.boundary === 'missing') {
      const e = policy(account, `${s.name}-boundary`, doc());
      delete e.statements;
      entitlements.push(e);
      p.aws.permissionsBoundary = e.uid;
    } else if (s.boundary) {
      const e = policy(account, `${s.name}-boundary`, s.boundary);
      entitlements.push(e);
      p.aws.permissionsBoundary = e.uid;
    }
    if (s.trust) p.aws.trustPolicy = toTrustStatements(policyDocumentSchema.parse(s.trust));
    principals.push(p);
  }
  const builder = new InventoryBuilder();
  const sources = new Set([...principals, ...entitlements].map((r) => r.tenant));
  for (const account of sources) {
    const header = makeHeader({ system: 'aws', sourceId: `aws-${account}`, tenant: account });
    const evaluation = evaluations.get(account);
    if (evaluation) header.evaluation = evaluation;
    builder.addSnapshotHeader(header);
  }
  const others = new Map<string, string>();
  for (const r of [...(extra.principals ?? []), ...(extra.entitlements ?? [])])
    others.set(r.sourceId, r.system);
  for (const [sourceId, system] of others) {
    builder.addSnapshotHeader(makeHeader({ system: system as never, sourceId, tenant: sourceId }));
  }
  for (const p of [...principals, ...(extra.principals ?? [])]) builder.addPrincipal(p);
  for (const e of [...entitlements, ...(extra.entitlements ?? [])]) builder.addEntitlement(e);
  for (const g of [...grants, ...(extra.grants ?? [])]) builder.addGrant(g);
  return builder.finish();
}

/**
 * One AWS function F (the question) and a second one G: held by no one, or by whoever holds the
 * entitlement named `pair` (so a conflict, and its evidence, exists exactly when F is held).
 */
export function questionRuleset(
  action: string | string[],
  resource: string | undefined,
  options: CompileOptions,
  pair?: string,
): CompiledRuleset {
  const actions = (Array.isArray(action) ? action : [action]).map((a) => JSON.stringify(a)).join(', ');
  const text = `version: 1
functions:
  - id: F
    name: The question
    grants:
      - system: aws
        action: [${actions}]
${resource === undefined ? '' : `        resource: ${JSON.stringify(resource)}\n`}  - id: G
    name: Unheld
    grants:
${pair === undefined ? '      - system: erp\n        permission: [NOBODY]' : `      - system: aws\n        entitlement: [${JSON.stringify(pair)}]`}
risks:
  - id: R
    title: question
    functions: [F, G]
    severity: low
`;
  return compileRulesets([parseRuleset(text, 'rules/question.yaml')], options);
}
