/**
 * AWS IAM, live mode: one account per source, through the API, in about ceil(E / page) + 3 IAM
 * calls (E = users + groups + roles + local policies): GenerateCredentialReport, the
 * GetAccountAuthorizationDetails pages, ListPolicies for the attached AWS-managed policies, and
 * GetCredentialReport. AWS-managed policy documents come from a catalogue fetched once per run and
 * shared across accounts. The records are those of the files mode for the same data: the same
 * normalizer over the same shape, in the same order.
 *
 * An Organization source (`organization: true`) is expanded into one source per account by the
 * plan step (`planAwsOrganizationSources`); this connector collects exactly one account.
 */
import { randomUUID } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsSource } from '../../../core/config';
import type { CollectContext, Connector, Opened, Page, Stepped } from '../../../core/connector';
import { InputError, SourceError } from '../../../core/errors';
import { SessionCache } from '../../shared/session-cache';
import { loadPrivilegeClassifier } from '../action-catalog';
import type { AccountAuthorization, ManagedPolicyDetail } from '../authorization-details';
import { type CredentialReport, parseCredentialReport } from '../credential-report';
import { awsEvaluation, NOT_COLLECTED_LIVE, type OrganizationControls } from '../evaluation';
import { AWS_CONNECTOR_NAME, AWS_CONNECTOR_VERSION, resolveAccount } from '../files-connector';
import { AwsNormalizer, type PrivilegeClassify } from '../normalize';
import { accountControls } from '../organization-policies';
import { AssumedRoleCredentials } from './assumed-role-credentials';
import { fetchAttachedAwsPolicies } from './attached-aws-policies';
import { ACCOUNT_FILTER, AUTHORIZATION_OPERATION, fetchAuthorizationPage } from './authorization-pages';
import {
  type ClientOptions,
  iamClient,
  identityStoreClient,
  organizationsClient,
  ssoAdminClient,
  stsClient,
} from './aws-clients';
import {
  type AwsManagedPolicyCache,
  type CachedPolicyVersion,
  createMemoryAwsManagedPolicyCache,
} from './aws-managed-policy-cache';
import {
  describeAge,
  GET_OPERATION,
  generateCredentialReport,
  getCredentialReport,
  MAX_GENERATIONS,
  MAX_POLLS,
  pollDelayMs,
} from './credential-report-client';
import {
  createMemoryIdentityStoreCache,
  type IdentityCenterClients,
  type IdentityStoreCache,
  identityCenterPage,
  identityCenterStep,
  initialIdentityCenterState,
} from './identity-center';
import { type AwsLiveState, initialState, LIVE_STATE_VERSION } from './live-state';
import { OrganizationRunCache, readOrganizationPolicies } from './organization-policies-client';
import { mustCall } from './recorded-call';

/** The file name parse errors of the API's credential report mention. */
const REPORT_NAME = 'GetCredentialReport';

export interface AwsLiveDeps {
  /** SDK client settings: ambient credentials, attempts, a retry strategy (tests: no backoff). */
  client?: ClientOptions;
  /** Waits between credential-report polls (tests: resolve at once and record the delay). */
  sleep?: (ms: number) => Promise<void>;
  /** Run-wide AWS-managed policy documents (default: this connector instance's memory). */
  awsManagedPolicies?: AwsManagedPolicyCache;
  /** Organizations answers shared by one run's sources (default: this connector's own memory). */
  organizationPolicies?: OrganizationRunCache;
  /** Run-wide Identity Center users and groups (default: this connector instance's memory). */
  identityStores?: IdentityStoreCache;
  /** Privilege classifier (default: `loadPrivilegeClassifier()`, loaded once). */
  classify?: PrivilegeClassify;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Which role to read IAM with, if any. */
function roleOf(source: AwsSource): { roleArn: string; externalId?: string } | undefined {
  if (!source.roleArn) return undefined;
  return { roleArn: source.roleArn, ...(source.externalId ? { externalId: source.externalId } : {}) };
}

function accountOfRoleArn(arn: string): string | undefined {
  return /^arn:[^:]+:iam::(\d{12}):role\//.exec(arn)?.[1];
}

/** CloudTrail in the member account shows who read IAM: `AccessProof-<source id>`. */
function sessionNameOf(source: AwsSource): string {
  return `AccessProof-${source.id}`.replace(/[^\w+=,.@-]/g, '-').slice(0, 64);
}

/**
 * @example
 * const connector = createAwsLiveConnector({ client: { credentials: fromIni({ profile: 'audit' }) } });
 * await collectSource({ connector, source, key: `${runId}/${source.id}`, staging, now, logger });
 */
export function createAwsLiveConnector(deps: AwsLiveDeps = {}): Connector<AwsSource, AwsLiveState> {
  const clientOptions = deps.client ?? {};
  const sleep = deps.sleep ?? realSleep;
  const cache = deps.awsManagedPolicies ?? createMemoryAwsManagedPolicyCache();
  const organizationCache = deps.organizationPolicies ?? new OrganizationRunCache();
  let classifier: Promise<PrivilegeClassify> | undefined = deps.classify
    ? Promise.resolve(deps.classify)
    : undefined;
  const classify = () => {
    classifier ??= loadPrivilegeClassifier();
    return classifier;
  };

  // Clients are reused across steps and sources of the run; keyed by where and as whom they call.
  const stsClients = new Map<string, STSClient>();
  const iamClients = new Map<string, IAMClient>();
  const stsFor = (source: AwsSource) => {
    const key = `${source.endpoints?.sts ?? ''}|${source.region}`;
    let c = stsClients.get(key);
    if (!c) {
      c = stsClient(source, clientOptions);
      stsClients.set(key, c);
    }
    return c;
  };
  const roles = new Map<string, AssumedRoleCredentials>();
  const rolesFor = (source: AwsSource) => {
    const key = `${source.endpoints?.sts ?? ''}|${source.region}`;
    let r = roles.get(key);
    if (!r) {
      r = new AssumedRoleCredentials(() => stsFor(source));
      roles.set(key, r);
    }
    return r;
  };

  /** The IAM client for this step: ambient credentials, or the member role's (assumed on a cache miss). */
  async function iamFor(ctx: CollectContext<AwsSource>): Promise<IAMClient> {
    const source = ctx.source;
    const role = roleOf(source);
    let who = 'ambient';
    let credentials: ClientOptions['credentials'];
    if (role) {
      const c = await rolesFor(source).get(
        ctx.calls,
        { ...role, sessionName: sessionNameOf(source) },
        ctx.now(),
      );
      who = c.accessKeyId;
      credentials = {
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        sessionToken: c.sessionToken,
      };
    }
    const key = `${source.endpoints?.iam ?? ''}|${source.region}|${who}`;
    let client = iamClients.get(key);
    if (!client) {
      client = iamClient(source, clientOptions, credentials);
      iamClients.set(key, client);
    }
    return client;
  }

  const emitted = new SessionCache<Page[]>();

  const identityStores = createMemoryIdentityStoreCache();
  const ssoClients = new Map<string, IdentityCenterClients>();
  /** Identity Center clients sign with the ambient credentials: its APIs live in the management account. */
  const identityCenterFor = (source: AwsSource): IdentityCenterClients => {
    const key = `${source.endpoints?.ssoAdmin ?? ''}|${source.endpoints?.identityStore ?? ''}|${source.region}`;
    let c = ssoClients.get(key);
    if (!c) {
      c = {
        ssoAdmin: ssoAdminClient(source, clientOptions),
        identityStore: identityStoreClient(source, clientOptions),
        cache: deps.identityStores ?? identityStores,
      };
      ssoClients.set(key, c);
    }
    return c;
  };

  /** Partition-wide scope of the AWS-managed catalogue: the IAM endpoint it came from. */
  const cacheScope = (source: AwsSource) => source.endpoints?.iam ?? partitionOf(source.region);

  async function begin(ctx: CollectContext<AwsSource>): Promise<Opened<AwsLiveState>> {
    const source = ctx.source;
    if (source.organization && !source.accountId) {
      throw new InputError(
        'an organization source is expanded into one source per account at plan time (planAwsOrganizationSources)',
        { field: `sources.${source.id}.organization` },
      );
    }
    const role = roleOf(source);
    let account: string;
    if (role) {
      const fromArn = accountOfRoleArn(role.roleArn);
      if (!fromArn)
        throw new InputError(`not a role ARN: ${role.roleArn}`, { field: `sources.${source.id}.roleArn` });
      if (source.accountId && source.accountId !== fromArn)
        throw new InputError(`roleArn is in account ${fromArn}, accountId says ${source.accountId}`, {
          field: `sources.${source.id}.accountId`,
        });
      // Assume now: a denied role fails this account before any work, with AWS's reason.
      await iamFor(ctx);
      account = fromArn;
    } else {
      const who = await mustCall(ctx.calls, { operation: 'sts:GetCallerIdentity' }, () =>
        stsFor(source).send(new GetCallerIdentityCommand({})),
      );
      if (!who.Account)
        throw new SourceError('no account in the answer', { operation: 'sts:GetCallerIdentity' });
      // Labelling one account's IAM with another's id would be false evidence.
      if (source.accountId && who.Account !== source.accountId)
        throw new SourceError(
          `the ambient credentials belong to account ${who.Account}, not ${source.accountId}`,
          { operation: 'sts:GetCallerIdentity' },
        );
      account = who.Account;
    }
    ctx.logger.info('aws-iam live collection started', { sourceId: source.id, account });
    return { state: initialState(account, ctx.now().toISOString()), tenant: account, mode: 'api' };
  }

  async function step(ctx: CollectContext<AwsSource>, state: AwsLiveState): Promise<Stepped<AwsLiveState>> {
    if (state.v !== LIVE_STATE_VERSION)
      throw new SourceError(`connector state version ${state.v} is not supported`);
    // Mutated in place: the driver keeps only the state a step returns, and copying a large
    // account's state on every page would cost quadratic time.
    const s = state;
    switch (s.phase) {
      case 'generate-report': {
        const iam = await iamFor(ctx);
        await generateCredentialReport(iam, ctx.calls);
        s.report.generations += 1;
        // The first request starts the report early; a later one replaces a vanished report.
        s.phase = s.report.generations === 1 ? 'authorization' : 'credential-report';
        return { page: {}, next: s };
      }
      case 'authorization': {
        const iam = await iamFor(ctx);
        const a = s.authorization;
        const page = await fetchAuthorizationPage(iam, ctx.calls, {
          filter: ACCOUNT_FILTER,
          page: a.pages + 1,
          ...(a.marker ? { marker: a.marker } : {}),
        });
        a.pages += 1;
        a.users.push(...page.users);
        a.groups.push(...page.groups);
        a.roles.push(...page.roles);
        a.localPolicies.push(...page.policies);
        if (page.marker) a.marker = page.marker;
        else {
          delete a.marker;
          s.phase = 'attached-aws-policies';
        }
        return { page: {}, next: s };
      }
      case 'attached-aws-policies': {
        const iam = await iamFor(ctx);
        const page = await fetchAttachedAwsPolicies(iam, ctx.calls, {
          page: s.attached.pages + 1,
          ...(s.attached.marker ? { marker: s.attached.marker } : {}),
        });
        s.attached.pages += 1;
        s.attached.policies.push(...page.policies);
        if (page.marker) {
          s.attached.marker = page.marker;
          return { page: {}, next: s };
        }
        delete s.attached.marker;
        addBoundaryPolicies(s);
        const now = ctx.now();
        let hits = 0;
        for (const p of s.attached.policies) {
          const v = p.DefaultVersionId
            ? cache.get(cacheScope(ctx.source), p.Arn, p.DefaultVersionId, now)
            : undefined;
          if (v) {
            s.awsManaged.versions[p.Arn] = v;
            hits += 1;
          }
        }
        if (hits > 0)
          ctx.calls.record(
            AUTHORIZATION_OPERATION,
            { records: hits },
            { Filter: 'AWSManagedPolicy', from: 'run-cache' },
          );
        const missing = s.attached.policies.some((p) => !s.awsManaged.versions[p.Arn]);
        s.phase = missing ? 'aws-managed-documents' : 'credential-report';
        return { page: {}, next: s };
      }
      case 'aws-managed-documents': {
        const iam = await iamFor(ctx);
        const page = await fetchAuthorizationPage(iam, ctx.calls, {
          filter: ['AWSManagedPolicy'],
          page: s.awsManaged.pages + 1,
          ...(s.awsManaged.marker ? { marker: s.awsManaged.marker } : {}),
        });
        s.awsManaged.pages += 1;
        const now = ctx.now();
        const needed = new Set(s.attached.policies.map((p) => p.Arn));
        for (const pol of page.policies) {
          const v = defaultVersion(pol);
          if (!v) continue;
          cache.put(cacheScope(ctx.source), pol.Arn, v, now);
          if (needed.has(pol.Arn)) s.awsManaged.versions[pol.Arn] = v;
        }
        if (page.marker) s.awsManaged.marker = page.marker;
        else {
          delete s.awsManaged.marker;
          s.phase = 'credential-report';
        }
        return { page: {}, next: s };
      }
      case 'credential-report': {
        const iam = await iamFor(ctx);
        const r = s.report;
        if (r.polls > 0) await sleep(pollDelayMs(r.polls));
        const answer = await getCredentialReport(iam, ctx.calls, r.calls + 1);
        r.calls += answer.attempts;
        if (answer.status === 'in-progress') {
          r.polls += 1;
          if (r.polls > MAX_POLLS)
            throw new SourceError(`the credential report was still in progress after ${MAX_POLLS} polls`, {
              operation: GET_OPERATION,
              page: r.calls,
            });
          return { page: {}, next: s };
        }
        if (answer.status === 'absent') {
          if (r.generations >= MAX_GENERATIONS)
            throw new SourceError(
              `${answer.reason} after ${r.generations} GenerateCredentialReport requests`,
              {
                operation: GET_OPERATION,
                page: r.calls,
              },
            );
          r.polls = 0;
          s.phase = 'generate-report';
          return { page: {}, next: s };
        }
        const report = parseReport(answer.csv, r.calls);
        r.csv = answer.csv;
        if (answer.generatedTime) {
          r.generatedTime = answer.generatedTime;
          // IAM reuses a report up to 4 hours old: say how old, measured from the collection's start.
          if (answer.generatedTime < s.startedAt) {
            const age = Date.parse(s.startedAt) - Date.parse(answer.generatedTime);
            ctx.warn(
              `credential report generated at ${answer.generatedTime}, ${describeAge(age)} before the collection started: activity since then is not in it`,
            );
          }
        }
        // Recorded once, with every request it took, and the report's time as the answer's identity.
        ctx.calls.record(
          GET_OPERATION,
          { calls: r.calls, pages: 1, records: report.rows.length },
          answer.generatedTime ? { GeneratedTime: answer.generatedTime } : undefined,
        );
        s.phase = ctx.source.identityCenter ? 'identity-center' : 'emit';
        return { page: {}, next: s };
      }
      case 'identity-center': {
        const config = ctx.source.identityCenter;
        if (!config) {
          s.phase = 'emit';
          return { page: {}, next: s };
        }
        s.identityCenter ??= initialIdentityCenterState();
        try {
          const done = await identityCenterStep(
            ctx.calls,
            identityCenterFor(ctx.source),
            config,
            s.accountId,
            s.identityCenter,
            ctx.now(),
          );
          if (done) s.phase = 'emit';
        } catch (err) {
          if (!(err instanceof SourceError)) throw err;
          // IAM itself was read completely; say what is missing and keep findings from resolving.
          ctx.markIncomplete(`IAM Identity Center not read: ${err.message}`);
          delete s.identityCenter;
          s.phase = 'emit';
        }
        return { page: {}, next: s };
      }
      case 'emit':
        return emit(ctx, s);
    }
  }

  /**
   * Normalize the collected account and hand out its pages one per step, chunked exactly as the
   * files mode chunks them, so the snapshot lines come out in the same order. The pages are kept
   * in this process between steps; a resume elsewhere recomputes them from state (deterministic).
   */
  async function emit(ctx: CollectContext<AwsSource>, s: AwsLiveState): Promise<Stepped<AwsLiveState>> {
    if (ctx.source.organizationPolicies && !s.organization) {
      // One step of Organizations calls (a few per OU level and per policy) before the records.
      try {
        s.organization = {
          export: await readOrganizationPolicies(
            organizationsClient(ctx.source, clientOptions),
            ctx.calls,
            s.accountId,
            // Shared by the run's sources: one read of each policy per run, not per account.
            ctx.run
              ? organizationCache.entry(
                  `${ctx.run}|${ctx.source.endpoints?.organizations ?? ''}|${ctx.source.region}`,
                )
              : undefined,
          ),
        };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.warn(`Organizations policies could not be read: ${message}; SCPs and RCPs are not evaluated`);
        s.organization = { error: message };
      }
      return { page: {}, next: s };
    }
    s.emit ??= { session: randomUUID(), index: 0 };
    const pages = await emitted.get(s.emit.session, async () => normalizePages(ctx, s, await classify()));
    const page = pages[s.emit.index] ?? {};
    s.emit.index += 1;
    if (s.emit.index < pages.length) return { page, next: s };
    emitted.delete(s.emit.session);
    return { page, next: null, evaluation: awsEvaluation(controlsOf(ctx, s)?.controls ?? notCollected(s)) };
  }

  return {
    // Same name and version as files mode: one connector, two ways to read the account.
    name: AWS_CONNECTOR_NAME,
    version: AWS_CONNECTOR_VERSION,
    system: 'aws',
    begin,
    step,
  };
}

function parseReport(csv: string, page: number): CredentialReport {
  try {
    return parseCredentialReport(csv, REPORT_NAME);
  } catch (err) {
    // The API's answer, not the user's file: a failed source, not bad input.
    throw new SourceError(err instanceof Error ? err.message : String(err), {
      operation: GET_OPERATION,
      page,
    });
  }
}

function defaultVersion(pol: ManagedPolicyDetail): CachedPolicyVersion | undefined {
  const v =
    pol.PolicyVersionList.find((x) => x.IsDefaultVersion) ??
    pol.PolicyVersionList.find((x) => x.VersionId === pol.DefaultVersionId);
  if (!v) return undefined;
  return { ...v, IsDefaultVersion: true };
}

/** The export shape: the account's policies first, then the AWS-managed ones it attaches. */
function assemble(s: AwsLiveState): AccountAuthorization {
  const aws: ManagedPolicyDetail[] = s.attached.policies.map((p) => {
    const v = s.awsManaged.versions[p.Arn];
    return { ...p, PolicyVersionList: v ? [v] : [] };
  });
  return {
    UserDetailList: s.authorization.users,
    GroupDetailList: s.authorization.groups,
    RoleDetailList: s.authorization.roles,
    Policies: [...s.authorization.localPolicies, ...aws],
  };
}

/**
 * AWS-managed policies used only as permissions boundaries may not count as attached: their
 * documents are fetched all the same, or the boundary could not be evaluated.
 */
function addBoundaryPolicies(s: AwsLiveState): void {
  const listed = new Set(s.attached.policies.map((p) => p.Arn));
  for (const x of [...s.authorization.users, ...s.authorization.roles]) {
    const arn = x.PermissionsBoundary?.PermissionsBoundaryArn;
    if (!arn || !/^arn:[^:]+:iam::aws:policy\//.test(arn) || listed.has(arn)) continue;
    listed.add(arn);
    s.attached.policies.push({ Arn: arn, PolicyName: arn.slice(arn.lastIndexOf('/') + 1) });
  }
}

function controlsOf(ctx: CollectContext<AwsSource>, s: AwsLiveState) {
  const org = s.organization?.export;
  return org ? accountControls(org, s.accountId, { sourceId: ctx.source.id }) : undefined;
}

function notCollected(s: AwsLiveState): OrganizationControls {
  const error = s.organization?.error;
  if (!error) return NOT_COLLECTED_LIVE;
  const why = `not collected (Organizations answered: ${error})`;
  return { scpStatus: why, rcpStatus: why };
}

/** Items per page, as the files mode emits them (files-connector.ts PAGE_ITEMS). */
export const EMIT_PAGE_ITEMS = 1_000;

/** The normalizer's pages for the collected account: groups → users → roles → policies → finish. */
async function normalizePages(
  ctx: CollectContext<AwsSource>,
  s: AwsLiveState,
  classify: PrivilegeClassify,
): Promise<Page[]> {
  const authz = assemble(s);
  const report = s.report.csv !== undefined ? parseReport(s.report.csv, s.report.calls) : undefined;
  const warn = (m: string) => ctx.warn(m);
  // The same consistency check as files mode (ARNs of other accounts), with the account known.
  resolveAccount(
    { ...ctx.source, accountId: s.accountId },
    { authz, ...(report ? { report } : {}) },
    warn,
    'source',
  );
  const n = new AwsNormalizer({
    tenant: s.accountId,
    sourceId: ctx.source.id,
    classify,
    ...(report ? { credentialReport: report } : {}),
    kinds: ctx.source.kinds,
    warn,
  });
  const pages: Page[] = [];
  const chunked = <T>(items: readonly T[], run: (chunk: readonly T[]) => Page) => {
    for (let i = 0; i < items.length; i += EMIT_PAGE_ITEMS)
      pages.push(run(items.slice(i, i + EMIT_PAGE_ITEMS)));
  };
  chunked(authz.GroupDetailList, (c) => n.groups(c));
  chunked(authz.UserDetailList, (c) => n.users(c));
  chunked(authz.RoleDetailList, (c) => n.roles(c));
  chunked(authz.Policies, (c) => n.policies(c));
  const finish = n.finish();
  // The account's SCPs and RCPs (live `organizationPolicies: true`): entitlements granted to no one.
  const controls = controlsOf(ctx, s);
  for (const w of controls?.warnings ?? []) warn(w);
  if (controls && controls.entitlements.length > 0) {
    finish.entitlements = [...(finish.entitlements ?? []), ...controls.entitlements];
  }
  pages.push(finish);
  // SSO users come after everything the files mode would emit, so the IAM records stay identical.
  if (s.identityCenter?.stage === 'done')
    pages.push(
      identityCenterPage(s.identityCenter, {
        tenant: s.accountId,
        source: ctx.source,
        roles: authz.RoleDetailList,
        warn,
      }),
    );
  return pages;
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The live connector with per-process defaults: ambient credentials, standard retries, an in-memory catalogue. */
export const awsLiveConnector: Connector<AwsSource, AwsLiveState> = createAwsLiveConnector();
