/**
 * Credentials for a member account, from `sts:AssumeRole` with the ExternalId. They are cached in
 * memory per role for the run and NEVER written to connector state (state is persisted in the
 * checkpoint store): a resumed collection in a fresh process assumes the role again.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import type { CallLog } from '../../../core/connector';
import { SourceError } from '../../../core/errors';
import { describeAwsError, recordedCall } from './recorded-call';

export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Re-assume when less than this is left, so a long page never runs on expiring keys. */
const REFRESH_BEFORE_MS = 5 * 60 * 1000;
const SESSION_SECONDS = 3600;

export interface AssumeRoleRequest {
  roleArn: string;
  externalId?: string;
  /** Shown in the member account's CloudTrail: who read IAM. */
  sessionName: string;
}

export class AssumedRoleCredentials {
  readonly #cache = new Map<string, TemporaryCredentials>();

  /** @param sts the client signing AssumeRole with the ambient (management or scanner) credentials */
  constructor(private readonly sts: () => STSClient) {}

  /** Cached credentials for the role, or a new AssumeRole call recorded as `sts:AssumeRole`. */
  async get(calls: CallLog, req: AssumeRoleRequest, now: Date): Promise<TemporaryCredentials> {
    const key = `${req.roleArn}\u0000${req.externalId ?? ''}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expiration.getTime() - now.getTime() > REFRESH_BEFORE_MS) return cached;
    const out = await recordedCall(
      calls,
      { operation: 'sts:AssumeRole' },
      () =>
        this.sts().send(
          new AssumeRoleCommand({
            RoleArn: req.roleArn,
            RoleSessionName: req.sessionName,
            DurationSeconds: SESSION_SECONDS,
            ...(req.externalId ? { ExternalId: req.externalId } : {}),
          }),
        ),
      () => true,
    );
    // The failed account's reason names the role, whatever AWS's message says.
    if (!out.ok)
      throw new SourceError(`cannot assume ${req.roleArn}: ${describeAwsError(out.error)}`, {
        operation: 'sts:AssumeRole',
        cause: out.error,
      });
    const c = out.value.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new SourceError(`${req.roleArn}: answer without credentials`, { operation: 'sts:AssumeRole' });
    const creds = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
    this.#cache.set(key, creds);
    return creds;
  }
}
