/**
 * Starts IAM, STS and Organizations imitations behind one local endpoint. Point the real SDK
 * clients at `endpoint` with the ambient fake keys; calls made with keys STS issued reach the
 * account the role was assumed in.
 *
 * @example
 * const aws = await startAwsImitation({ accounts: [{ id: '200611803367', authorization }] });
 * const iam = new IAMClient({ endpoint: aws.endpoint, region: 'us-east-1', credentials: aws.ambientCredentials });
 */
import { type RunningServer, startAwsServer } from './http-server';
import { createIamImitation, type IamImitation, type IamImitationOptions } from './iam-imitation';
import {
  createIdentityCenterImitation,
  type IdentityCenterData,
  type IdentityCenterImitation,
} from './identity-center-imitation';
import {
  createOrganizationsImitation,
  type OrganizationsImitation,
  type OrganizationsImitationOptions,
} from './organizations-imitation';
import { createStsImitation, type StsImitation, type StsImitationOptions } from './sts-imitation';

export const AMBIENT_KEY_ID = 'AKIAIMITATIONAMBIENT';

export interface AwsImitationOptions extends Omit<IamImitationOptions, 'accountOf'> {
  /** Account the ambient keys belong to (default: the first account). */
  callerAccount?: string;
  sts?: Omit<StsImitationOptions, 'ambient'>;
  organizations?: OrganizationsImitationOptions;
  identityCenter?: IdentityCenterData;
}

export interface AwsImitation extends RunningServer {
  iam: IamImitation;
  sts: StsImitation;
  organizations: OrganizationsImitation;
  identityCenter: IdentityCenterImitation | undefined;
  ambientCredentials: { accessKeyId: string; secretAccessKey: string };
}

export async function startAwsImitation(options: AwsImitationOptions): Promise<AwsImitation> {
  const caller = options.callerAccount ?? options.accounts[0]?.id ?? '000000000000';
  const sts = createStsImitation({ ...(options.sts ?? {}), ambient: { [AMBIENT_KEY_ID]: caller } });
  const iam = createIamImitation({ ...options, accountOf: (k) => sts.accountOf(k) });
  const organizations = createOrganizationsImitation(options.organizations ?? { accounts: [] });
  const identityCenter = options.identityCenter
    ? createIdentityCenterImitation(options.identityCenter)
    : undefined;
  const server = await startAwsServer({
    iam: (r) => iam.handle(r),
    sts: (r) => sts.handle(r),
    organizations: (r) => organizations.handle(r),
    ...(identityCenter
      ? { sso: (r) => identityCenter.ssoAdmin(r), identitystore: (r) => identityCenter.identityStore(r) }
      : {}),
  });
  return {
    ...server,
    iam,
    sts,
    organizations,
    identityCenter,
    ambientCredentials: { accessKeyId: AMBIENT_KEY_ID, secretAccessKey: 'imitation-ambient-secret' },
  };
}
