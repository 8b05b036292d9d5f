/**
 * The live connector's state between steps. The collect driver keeps it in its checkpoint store
 * and hands callers only an opaque cursor, so IAM `Marker`s may live here and nowhere else.
 * Credentials never do: the store is durable, and a resumed collection assumes the role again.
 */
import type { GroupDetail, ManagedPolicyDetail, RoleDetail, UserDetail } from '../authorization-details';

import type { OrganizationExport } from '../organization-policies';
import type { IdentityCenterState } from './identity-center';

export const LIVE_STATE_VERSION = 1;

/**
 * The order of work for one account; each phase is one API call per step:
 * generate the report first so it is ready by the time it is read.
 */
export type LivePhase =
  | 'generate-report'
  | 'authorization'
  | 'attached-aws-policies'
  | 'aws-managed-documents'
  | 'credential-report'
  | 'identity-center'
  | 'emit';

/** An attached AWS-managed policy as `ListPolicies` describes it for this account (no document). */
export type AwsPolicyMetadata = Omit<ManagedPolicyDetail, 'PolicyVersionList'>;

export interface AwsLiveState {
  v: typeof LIVE_STATE_VERSION;
  accountId: string;
  /** The run clock when collection began: the credential report's age is measured from it. */
  startedAt: string;
  phase: LivePhase;
  authorization: {
    /** Pages received so far (the next page's number is `pages + 1`). */
    pages: number;
    marker?: string;
    users: UserDetail[];
    groups: GroupDetail[];
    roles: RoleDetail[];
    localPolicies: ManagedPolicyDetail[];
  };
  attached: { pages: number; marker?: string; policies: AwsPolicyMetadata[] };
  /** Default versions of this account's attached AWS policies, by ARN (from the run cache or fetched). */
  awsManaged: {
    pages: number;
    marker?: string;
    versions: Record<string, ManagedPolicyDetail['PolicyVersionList'][number]>;
  };
  report: {
    /** GetCredentialReport requests so far (retries and polls included), recorded on success. */
    calls: number;
    /** ReportInProgress answers in a row: the next poll waits longer. */
    polls: number;
    /** GenerateCredentialReport requests (1 + one per ReportNotPresent / ReportExpired). */
    generations: number;
    csv?: string;
    generatedTime?: string;
  };
  /** IAM Identity Center reading, when the source configures it. */
  identityCenter?: IdentityCenterState;
  /** The Organizations policies bounding the account (`organizationPolicies: true`), or why not. */
  organization?: { export?: OrganizationExport; error?: string };
  /** Normalized pages handed out so far (the pages themselves stay in process memory). */
  emit?: { session: string; index: number };
}

export function initialState(accountId: string, startedAt: string): AwsLiveState {
  return {
    v: LIVE_STATE_VERSION,
    accountId,
    startedAt,
    phase: 'generate-report',
    authorization: { pages: 0, users: [], groups: [], roles: [], localPolicies: [] },
    attached: { pages: 0, policies: [] },
    awsManaged: { pages: 0, versions: {} },
    report: { calls: 0, polls: 0, generations: 0 },
  };
}
