/**
 * IAM's Query API for the operations the live connector uses, over accounts held in memory as
 * `aws iam get-account-authorization-details` exports. Behaviour knobs reproduce what real IAM
 * does that a naive client gets wrong: short pages that are still truncated, URL-encoded policy
 * documents, a credential report that is in progress, absent or expired, and throttling.
 */
import { randomBytes } from 'node:crypto';
import type { AwsRequest, AwsResponse } from './http-server';
import { queryError, queryResponse } from './xml';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

type Json = Record<string, unknown>;

/** The JSON of `aws iam get-account-authorization-details`. */
export interface AuthorizationExport {
  UserDetailList?: Json[];
  GroupDetailList?: Json[];
  RoleDetailList?: Json[];
  Policies?: Json[];
}

export type ReportError = 'ReportInProgress' | 'ReportNotPresent' | 'ReportExpired';

export interface ImitationAccount {
  id: string;
  authorization: AuthorizationExport;
  /** Decoded credential report CSV; absent means GetCredentialReport answers ReportNotPresent until generated. */
  credentialReport?: { csv: string; generatedTime: string };
  /** Errors GetCredentialReport answers, in order, before it serves the report. */
  reportErrors?: ReportError[];
}

export interface IamImitationOptions {
  accounts: ImitationAccount[];
  /** Which account an access key id belongs to. */
  accountOf(accessKeyId: string): string | undefined;
  /** Items per GetAccountAuthorizationDetails page (capped by MaxItems); may vary by page number (0-based). */
  pageSize?: number | ((page: number) => number);
  /** Answer `Throttling` this many times to the named operation before serving it. */
  throttle?: Record<string, number>;
}

interface MarkerPosition {
  account: string;
  filter: string;
  offset: number;
}

export interface IamImitation {
  handle(req: AwsRequest): AwsResponse;
  /** Every Marker handed out, so tests can prove none leaks. */
  readonly markers: string[];
  readonly options: IamImitationOptions;
  /** Answer `Throttling` to the next `times` calls of `action`. */
  throttleNext(action: string, times: number): void;
  /** Errors the account's next GetCredentialReport calls answer with. */
  queueReportErrors(account: string, errors: ReportError[]): void;
}

const AWS_OWNED = /^arn:[^:]+:iam::aws:policy\//;
const KIND_ORDER = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'] as const;
type Kind = (typeof KIND_ORDER)[number];
const LIST_OF: Record<Kind, keyof AuthorizationExport> = {
  User: 'UserDetailList',
  Group: 'GroupDetailList',
  Role: 'RoleDetailList',
  LocalManagedPolicy: 'Policies',
  AWSManagedPolicy: 'Policies',
};

export function createIamImitation(options: IamImitationOptions): IamImitation {
  const markers = new Map<string, MarkerPosition>();
  const throttle = { ...(options.throttle ?? {}) };
  const generated = new Set<string>();
  const reportErrors = new Map(options.accounts.map((a) => [a.id, [...(a.reportErrors ?? [])]]));
  let pageNumber = 0;

  const account = (id: string) => options.accounts.find((a) => a.id === id);
  /** The AWS-managed catalogue: every AWS policy any account knows, once. */
  const awsCatalogue = (): Json[] => {
    const seen = new Map<string, Json>();
    for (const a of options.accounts)
      for (const p of a.authorization.Policies ?? [])
        if (AWS_OWNED.test(String(p.Arn)) && !seen.has(String(p.Arn))) seen.set(String(p.Arn), p);
    return [...seen.values()];
  };

  function itemsFor(acct: ImitationAccount, kinds: Kind[]): Array<{ kind: Kind; item: Json }> {
    const out: Array<{ kind: Kind; item: Json }> = [];
    for (const kind of KIND_ORDER) {
      if (!kinds.includes(kind)) continue;
      let items: Json[];
      if (kind === 'LocalManagedPolicy')
        items = (acct.authorization.Policies ?? []).filter((p) => !AWS_OWNED.test(String(p.Arn)));
      else if (kind === 'AWSManagedPolicy') {
        const own = new Map((acct.authorization.Policies ?? []).map((p) => [String(p.Arn), p]));
        items = awsCatalogue().map((p) => ({
          ...p,
          AttachmentCount: own.get(String(p.Arn))?.AttachmentCount ?? 0,
        }));
      } else items = acct.authorization[LIST_OF[kind]] ?? [];
      for (const item of items) out.push({ kind, item });
    }
    return out;
  }

  function getAccountAuthorizationDetails(req: AwsRequest, acct: ImitationAccount): AwsResponse {
    const requested = [...req.form.keys()]
      .filter((k) => k.startsWith('Filter.member.'))
      .map((k) => req.form.get(k) as Kind);
    // No filter: everything, with AWS policies only when attached (what the CLI export shows).
    const kinds: Kind[] = requested.length > 0 ? requested : ['User', 'Group', 'Role', 'LocalManagedPolicy'];
    const filter = [...kinds].sort().join(',');
    const maxItems = Number(req.form.get('MaxItems') ?? 100);
    const marker = req.form.get('Marker');
    let offset = 0;
    if (marker) {
      const pos = markers.get(marker);
      if (!pos || pos.account !== acct.id || pos.filter !== filter)
        return error(req, 400, 'Sender', 'ValidationError', 'Invalid Marker');
      offset = pos.offset;
    }
    const all = itemsFor(acct, kinds);
    if (requested.length === 0)
      all.push(
        ...(acct.authorization.Policies ?? [])
          .filter((p) => AWS_OWNED.test(String(p.Arn)))
          .map((item) => ({ kind: 'AWSManagedPolicy' as Kind, item })),
      );
    const size =
      typeof options.pageSize === 'function' ? options.pageSize(pageNumber) : (options.pageSize ?? 100);
    pageNumber += 1;
    const slice = all.slice(offset, offset + Math.min(size, maxItems));
    const truncated = offset + slice.length < all.length;
    const result: Json = { IsTruncated: truncated };
    if (truncated) {
      const next = randomBytes(24).toString('base64');
      markers.set(next, { account: acct.id, filter, offset: offset + slice.length });
      result.Marker = next;
    }
    const lists: Record<string, Json[]> = {};
    for (const kind of kinds) lists[LIST_OF[kind]] = [];
    if (requested.length === 0) lists.Policies = [];
    for (const { kind, item } of slice) lists[LIST_OF[kind]]?.push(item);
    Object.assign(result, lists);
    return ok(req, 'GetAccountAuthorizationDetails', result);
  }

  function listPolicies(req: AwsRequest, acct: ImitationAccount): AwsResponse {
    const scope = req.form.get('Scope') ?? 'All';
    const onlyAttached = req.form.get('OnlyAttached') === 'true';
    const maxItems = Number(req.form.get('MaxItems') ?? 100);
    const marker = req.form.get('Marker');
    const offset = marker ? (markers.get(marker)?.offset ?? 0) : 0;
    const local = (acct.authorization.Policies ?? []).filter((p) => !AWS_OWNED.test(String(p.Arn)));
    const aws = xOwn(acct);
    let all = scope === 'AWS' ? aws : scope === 'Local' ? local : [...aws, ...local];
    if (onlyAttached) all = all.filter((p) => Number(p.AttachmentCount ?? 0) > 0);
    const slice = all.slice(offset, offset + maxItems).map(({ PolicyVersionList: _, ...meta }) => meta);
    const truncated = offset + slice.length < all.length;
    const result: Json = { IsTruncated: truncated, Policies: slice };
    if (truncated) {
      const next = randomBytes(24).toString('base64');
      markers.set(next, { account: acct.id, filter: 'ListPolicies', offset: offset + slice.length });
      result.Marker = next;
    }
    return ok(req, 'ListPolicies', result);
  }

  /** The account's AWS policies as the account sees them (its own attachment counts). */
  function xOwn(acct: ImitationAccount): Json[] {
    return itemsFor(acct, ['AWSManagedPolicy']).map((x) => x.item);
  }

  function generateCredentialReport(req: AwsRequest, acct: ImitationAccount): AwsResponse {
    const first = !generated.has(acct.id);
    generated.add(acct.id);
    return ok(req, 'GenerateCredentialReport', {
      State: first ? 'STARTED' : 'COMPLETE',
      Description: first ? 'No report exists. Starting a new report generation task' : 'Report generated',
    });
  }

  function getCredentialReport(req: AwsRequest, acct: ImitationAccount): AwsResponse {
    const queued = reportErrors.get(acct.id)?.shift();
    if (queued === 'ReportInProgress')
      return error(req, 404, 'Sender', 'ReportInProgress', 'Report generation in progress');
    if (queued === 'ReportNotPresent' || !acct.credentialReport)
      return error(req, 410, 'Sender', 'ReportNotPresent', 'Credential report does not exist');
    if (queued === 'ReportExpired') return error(req, 410, 'Sender', 'ReportExpired', 'Report has expired');
    return ok(req, 'GetCredentialReport', {
      Content: Buffer.from(acct.credentialReport.csv, 'utf8').toString('base64'),
      ReportFormat: 'text/csv',
      GeneratedTime: acct.credentialReport.generatedTime,
    });
  }

  const operations: Record<string, (req: AwsRequest, acct: ImitationAccount) => AwsResponse> = {
    GetAccountAuthorizationDetails: getAccountAuthorizationDetails,
    ListPolicies: listPolicies,
    GenerateCredentialReport: generateCredentialReport,
    GetCredentialReport: getCredentialReport,
  };

  return {
    options,
    throttleNext(action, times) {
      throttle[action] = times;
    },
    queueReportErrors(id, errors) {
      reportErrors.set(id, [...errors]);
    },
    get markers() {
      return [...markers.keys()];
    },
    handle(req) {
      const action = req.form.get('Action') ?? '';
      const op = operations[action];
      if (!op) return error(req, 400, 'Sender', 'InvalidAction', `Could not find operation ${action}`);
      if ((throttle[action] ?? 0) > 0) {
        throttle[action] = (throttle[action] ?? 0) - 1;
        return error(req, 400, 'Sender', 'Throttling', 'Rate exceeded');
      }
      const id = options.accountOf(req.accessKeyId);
      const acct = id ? account(id) : undefined;
      if (!acct)
        return error(
          req,
          403,
          'Sender',
          'InvalidClientTokenId',
          'The security token included in the request is invalid.',
        );
      return op(req, acct);
    },
  };
}

function ok(req: AwsRequest, action: string, result: Json): AwsResponse {
  return {
    status: 200,
    contentType: 'text/xml',
    body: queryResponse(action, IAM_NAMESPACE, result, req.requestId),
  };
}

function error(
  req: AwsRequest,
  status: number,
  type: 'Sender' | 'Receiver',
  code: string,
  message: string,
): AwsResponse {
  return {
    status,
    contentType: 'text/xml',
    body: queryError(IAM_NAMESPACE, { type, code, message }, req.requestId),
  };
}
