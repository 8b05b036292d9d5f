/**
 * AWS IAM, files mode: `aws iam get-account-authorization-details` JSON and/or the credential
 * report CSV, normalized by normalize.ts and emitted page by page in its fixed order.
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { AwsSource } from '../../core/config';
import type { CollectContext, Connector, Page } from '../../core/connector';
import { InputError, SourceError } from '../../core/errors';
import { decodeInputText, type InputEncoding } from '../shared/decode-text';
import { describeFileError } from '../shared/file-errors';
import { readInputFile } from '../shared/input-file';
import { SessionCache } from '../shared/session-cache';
import { loadPrivilegeClassifier } from './action-catalog';
import { type AccountAuthorization, parseAuthorizationDetails } from './authorization-details';
import { type CredentialReport, parseCredentialReport } from './credential-report';
import { awsEvaluation, NOT_COLLECTED_FILES } from './evaluation';
import { AwsNormalizer, accountOfArn } from './normalize';
import { type AccountControls, accountControls, parseOrganizationExport } from './organization-policies';

export const AWS_CONNECTOR_NAME = 'aws-iam';
export const AWS_CONNECTOR_VERSION = '1.0.0';

/** Items (users, roles, policies…) normalized per step. */
const PAGE_ITEMS = 1_000;

const PHASES = ['groups', 'users', 'roles', 'policies', 'report-users', 'finish'] as const;
type Phase = (typeof PHASES)[number];

export interface AwsFilesState {
  v: 1;
  session: string;
  phase: Phase;
  /** Items of the phase already emitted. */
  offset: number;
}

interface Session {
  authz?: AccountAuthorization;
  report?: CredentialReport;
  /** The account's SCP/RCP levels and policies, when an organization export is configured. */
  controls?: AccountControls;
  /** Policies in the organization export (for the query record). */
  orgPolicies?: number;
  normalizer: AwsNormalizer;
  /** Where warnings go: the current step's `ctx.warn` (a replay after a resume sends them nowhere). */
  sink: { current: (message: string) => void };
}

const sessions = new SessionCache<Session>();

async function readText(path: string, encoding?: InputEncoding): Promise<string> {
  try {
    return decodeInputText(await readInputFile(path, 'export'), path, encoding);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(describeFileError(err), { file: path });
  }
}

interface Inputs {
  authz?: AccountAuthorization;
  report?: CredentialReport;
  org?: ReturnType<typeof parseOrganizationExport>;
}

async function readInputs(source: AwsSource): Promise<Inputs> {
  const files = source.files;
  if (!files || (!files.authorizationDetails && !files.credentialReport)) {
    throw new InputError('files mode needs authorizationDetails, credentialReport or both', {
      field: `sources.${source.id}.files`,
    });
  }
  const out: Inputs = {};
  if (files.authorizationDetails) {
    out.authz = parseAuthorizationDetails(
      await readText(files.authorizationDetails, source.encoding),
      files.authorizationDetails,
    );
  }
  if (files.credentialReport) {
    out.report = parseCredentialReport(
      await readText(files.credentialReport, source.encoding),
      files.credentialReport,
    );
  }
  if (files.organizationPolicies) {
    out.org = parseOrganizationExport(
      await readText(files.organizationPolicies, source.encoding),
      files.organizationPolicies,
    );
  }
  return out;
}

/**
 * The account: config `accountId`, else the account most ARNs of the export name. ARNs of other
 * accounts (hand-merged exports) are reported as a warning; none at all is an input error.
 */
export function resolveAccount(
  source: AwsSource,
  inputs: Inputs,
  warn: (m: string) => void,
  /** How a credential report of another account is refused: bad input (files) or a failed source (live). */
  mismatch: 'input' | 'source' = 'input',
): string {
  const counts = new Map<string, number>();
  const authzCounts = new Map<string, number>();
  const reportCounts = new Map<string, number>();
  const see = (arn: string | undefined, also: Map<string, number>) => {
    const a = arn ? accountOfArn(arn) : undefined;
    if (!a) return;
    counts.set(a, (counts.get(a) ?? 0) + 1);
    also.set(a, (also.get(a) ?? 0) + 1);
  };
  const authz = inputs.authz;
  if (authz) {
    for (const x of authz.GroupDetailList) see(x.Arn, authzCounts);
    for (const x of authz.UserDetailList) see(x.Arn, authzCounts);
    for (const x of authz.RoleDetailList) see(x.Arn, authzCounts);
    for (const x of authz.Policies) see(x.Arn, authzCounts);
  }
  see(inputs.report?.rootArn, reportCounts);
  for (const r of inputs.report?.rows ?? []) see(r.arn, reportCounts);
  let account = source.accountId;
  if (!account) account = majority(authzCounts) ?? majority(counts);
  if (!account) {
    throw new InputError('cannot tell the AWS account id: no ARN names one; set accountId', {
      field: `sources.${source.id}.accountId`,
    });
  }
  // A credential report of another account would judge this account's users by someone else's
  // activity (every user "never used"): refuse it rather than record anything.
  const reportAccount = majority(reportCounts);
  if (reportAccount !== undefined && reportAccount !== account) {
    const files = source.files;
    const authzWhere = files?.authorizationDetails
      ? `the authorization details (${files.authorizationDetails})`
      : source.accountId
        ? `accountId ${source.accountId}`
        : 'the authorization details';
    const message = `the credential report${files?.credentialReport ? ` (${files.credentialReport})` : ''} is of AWS account ${reportAccount}, but ${authzWhere} ${source.accountId && !files?.authorizationDetails ? 'says' : 'are of'} account ${account}: nothing was collected`;
    if (mismatch === 'source') throw new SourceError(message, { operation: 'iam:GetCredentialReport' });
    throw new InputError(message, { field: `sources.${source.id}.files.credentialReport` });
  }
  const foreign = [...counts].filter(([a]) => a !== account);
  if (foreign.length > 0) {
    const list = foreign.map(([a, n]) => `${a} (${n})`).join(', ');
    warn(`ARNs of other accounts than ${account} in the export: ${list}; recorded under ${account}`);
  }
  return account;
}

/** The account most ARNs name (ties: the smallest id, so the answer never depends on order). */
function majority(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let n = 0;
  for (const [a, c] of [...counts].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    if (c > n) {
      best = a;
      n = c;
    }
  }
  return best;
}

async function openSession(ctx: CollectContext<AwsSource>, replay?: { phase: Phase; offset: number }) {
  const inputs = await readInputs(ctx.source);
  const sink = { current: replay ? () => {} : (m: string) => ctx.warn(m) };
  const tenant = resolveAccount(ctx.source, inputs, (m) => sink.current(m));
  const normalizer = new AwsNormalizer({
    tenant,
    sourceId: ctx.source.id,
    classify: await loadPrivilegeClassifier(),
    ...(inputs.report ? { credentialReport: inputs.report } : {}),
    kinds: ctx.source.kinds,
    warn: (m) => sink.current(m),
  });
  const { org, ...records } = inputs;
  const session: Session = { ...records, normalizer, sink };
  if (org) {
    session.controls = accountControls(org, tenant, { sourceId: ctx.source.id });
    session.orgPolicies = org.Policies.length;
    for (const w of session.controls.warnings) sink.current(w);
  }
  if (replay) {
    // Rebuild the normalizer's index by running the phases already emitted, discarding records.
    for (const phase of PHASES) {
      if (phase === replay.phase) {
        if (replay.offset > 0) run(session, phase, 0, replay.offset);
        break;
      }
      run(session, phase, 0, Number.POSITIVE_INFINITY);
    }
  }
  return { session, tenant };
}

function itemsOf(session: Session, phase: Phase): number {
  const a = session.authz;
  switch (phase) {
    case 'groups':
      return a?.GroupDetailList.length ?? 0;
    case 'users':
      return a?.UserDetailList.length ?? 0;
    case 'roles':
      return a?.RoleDetailList.length ?? 0;
    case 'policies':
      return a?.Policies.length ?? 0;
    case 'report-users':
      return a ? 0 : 1;
    case 'finish':
      return 1;
  }
}

function run(session: Session, phase: Phase, from: number, to: number): Page {
  const a = session.authz;
  const n = session.normalizer;
  switch (phase) {
    case 'groups':
      return n.groups(a?.GroupDetailList.slice(from, to) ?? []);
    case 'users':
      return n.users(a?.UserDetailList.slice(from, to) ?? []);
    case 'roles':
      return n.roles(a?.RoleDetailList.slice(from, to) ?? []);
    case 'policies':
      return n.policies(a?.Policies.slice(from, to) ?? []);
    case 'report-users':
      return a ? {} : n.reportOnlyUsers();
    case 'finish': {
      // The account's SCPs and RCPs come last: entitlements granted to no one, named by the header.
      const page = n.finish();
      const controls = session.controls?.entitlements ?? [];
      return controls.length > 0
        ? { ...page, entitlements: [...(page.entitlements ?? []), ...controls] }
        : page;
    }
  }
}

/**
 * @example
 * await collectSource({ connector: awsFilesConnector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export const awsFilesConnector: Connector<AwsSource, AwsFilesState> = {
  name: AWS_CONNECTOR_NAME,
  version: AWS_CONNECTOR_VERSION,
  system: 'aws',

  async begin(ctx) {
    const { session, tenant } = await openSession(ctx);
    const id = randomUUID();
    sessions.set(id, session);
    const files = ctx.source.files;
    if (files?.authorizationDetails && session.authz) {
      const a = session.authz;
      ctx.calls.record(`file:${basename(files.authorizationDetails)}`, {
        calls: 1,
        pages: 1,
        records:
          a.UserDetailList.length + a.GroupDetailList.length + a.RoleDetailList.length + a.Policies.length,
      });
    }
    if (files?.organizationPolicies && session.orgPolicies !== undefined) {
      ctx.calls.record(`file:${basename(files.organizationPolicies)}`, {
        calls: 1,
        pages: 1,
        records: session.orgPolicies,
      });
    }
    if (files?.credentialReport && session.report) {
      ctx.calls.record(`file:${basename(files.credentialReport)}`, {
        calls: 1,
        pages: 1,
        records: session.report.rows.length,
      });
    }
    return { state: { v: 1, session: id, phase: 'groups', offset: 0 }, tenant, mode: 'files' };
  },

  async step(ctx, state) {
    const session = await sessions.get(
      state.session,
      async () => (await openSession(ctx, { phase: state.phase, offset: state.offset })).session,
    );
    session.sink.current = (m) => ctx.warn(m);
    const total = itemsOf(session, state.phase);
    const to = Math.min(total, state.offset + PAGE_ITEMS);
    let page: Page;
    try {
      page = state.offset < total ? run(session, state.phase, state.offset, to) : {};
    } catch (err) {
      sessions.delete(state.session);
      throw err;
    }
    let next: AwsFilesState | null;
    if (to < total) next = { ...state, offset: to };
    else {
      const i = PHASES.indexOf(state.phase);
      const phase = PHASES[i + 1];
      next = phase ? { ...state, phase, offset: 0 } : null;
    }
    if (next === null) {
      sessions.delete(state.session);
      return { page, next, evaluation: awsEvaluation(session.controls?.controls ?? NOT_COLLECTED_FILES) };
    }
    return { page, next };
  },
};
