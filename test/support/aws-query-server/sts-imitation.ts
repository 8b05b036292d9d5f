/**
 * STS's Query API: `AssumeRole` (denied for chosen accounts, checks the ExternalId) and
 * `GetCallerIdentity`. Issued access key ids are remembered so IAM knows which account a call is for.
 */
import type { AwsRequest, AwsResponse } from './http-server';
import { queryError, queryResponse } from './xml';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface StsImitationOptions {
  /** Account of the ambient (long-term) keys the tests sign with. */
  ambient: Record<string, string>;
  /** Accounts whose role cannot be assumed. */
  deniedAccounts?: string[];
  /** When set, AssumeRole requires this ExternalId. */
  externalId?: string;
  /** Clock for credential expiry. */
  now?: () => Date;
}

export interface StsImitation {
  handle(req: AwsRequest): AwsResponse;
  accountOf(accessKeyId: string): string | undefined;
  /** Secrets handed out, so tests can prove none is persisted or logged. */
  readonly secrets: string[];
  readonly assumed: Array<{ roleArn: string; externalId: string | null; sessionName: string | null }>;
}

export function createStsImitation(options: StsImitationOptions): StsImitation {
  const issued = new Map<string, string>(Object.entries(options.ambient));
  const secrets: string[] = [];
  const assumed: StsImitation['assumed'] = [];
  let counter = 0;
  const now = options.now ?? (() => new Date());

  function assumeRole(req: AwsRequest): AwsResponse {
    const roleArn = req.form.get('RoleArn') ?? '';
    const externalId = req.form.get('ExternalId');
    const caller = issued.get(req.accessKeyId);
    const account = /^arn:[^:]+:iam::(\d{12}):role\//.exec(roleArn)?.[1];
    assumed.push({ roleArn, externalId, sessionName: req.form.get('RoleSessionName') });
    const denied =
      !account ||
      options.deniedAccounts?.includes(account) ||
      (options.externalId !== undefined && externalId !== options.externalId);
    if (denied) {
      return {
        status: 403,
        contentType: 'text/xml',
        body: queryError(
          STS_NAMESPACE,
          {
            type: 'Sender',
            code: 'AccessDenied',
            message: `User: arn:aws:iam::${caller}:user/scanner is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          },
          req.requestId,
        ),
      };
    }
    counter += 1;
    const keyId = `ASIA${account}${String(counter).padStart(4, '0')}`;
    const secret = `imitation-secret-${account}-${counter}`;
    secrets.push(secret);
    issued.set(keyId, account);
    const duration = Number(req.form.get('DurationSeconds') ?? 3600);
    const expiration = new Date(now().getTime() + duration * 1000).toISOString().replace('.000Z', 'Z');
    const sessionName = req.form.get('RoleSessionName') ?? 'session';
    return {
      status: 200,
      contentType: 'text/xml',
      body: queryResponse(
        'AssumeRole',
        STS_NAMESPACE,
        {
          Credentials: {
            AccessKeyId: keyId,
            SecretAccessKey: secret,
            SessionToken: `imitation-token-${counter}`,
            Expiration: expiration,
          },
          AssumedRoleUser: {
            AssumedRoleId: `AROA${account}:${sessionName}`,
            Arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${sessionName}`,
          },
        },
        req.requestId,
      ),
    };
  }

  function getCallerIdentity(req: AwsRequest): AwsResponse {
    const account = issued.get(req.accessKeyId) ?? '000000000000';
    return {
      status: 200,
      contentType: 'text/xml',
      body: queryResponse(
        'GetCallerIdentity',
        STS_NAMESPACE,
        { UserId: req.accessKeyId, Account: account, Arn: `arn:aws:iam::${account}:user/scanner` },
        req.requestId,
      ),
    };
  }

  return {
    secrets,
    assumed,
    accountOf: (keyId) => issued.get(keyId),
    handle(req) {
      const action = req.form.get('Action');
      if (action === 'AssumeRole') return assumeRole(req);
      if (action === 'GetCallerIdentity') return getCallerIdentity(req);
      return {
        status: 400,
        contentType: 'text/xml',
        body: queryError(
          STS_NAMESPACE,
          { type: 'Sender', code: 'InvalidAction', message: `unknown ${action}` },
          req.requestId,
        ),
      };
    },
  };
}
