/**
 * Client secrets and certificates of applications and service principals. Only the key id, the
 * label and the validity dates are read: the schemas drop `secretText`, `hint`, `key` and anything
 * else, so no credential value can reach a record.
 */
import * as z from 'zod';
import type { Credential } from '../../core/model';
import { graphTime } from './record-context';

const passwordCredential = z.object({
  keyId: z.string().min(1),
  displayName: z.string().nullish(),
  startDateTime: graphTime,
  endDateTime: graphTime,
});

const keyCredential = z.object({
  keyId: z.string().min(1),
  displayName: z.string().nullish(),
  startDateTime: graphTime,
  endDateTime: graphTime,
  /** `Verify` (authenticates the app) or `Sign` (SAML token signing). */
  usage: z.string().nullish(),
});

export const credentialFields = {
  passwordCredentials: z.array(passwordCredential).nullish(),
  keyCredentials: z.array(keyCredential).nullish(),
};

/** A credential as kept in connector state between pages: no value, no hint. */
export interface CredInfo {
  id: string;
  type: 'client-secret' | 'certificate';
  name?: string;
  start?: string;
  end?: string;
  /** Where it is held: the app registration or the service principal itself. */
  on: 'application' | 'servicePrincipal';
}

export function credInfos(
  o: {
    passwordCredentials?: z.output<typeof passwordCredential>[] | null;
    keyCredentials?: z.output<typeof keyCredential>[] | null;
  },
  on: CredInfo['on'],
): CredInfo[] {
  const out: CredInfo[] = [];
  for (const c of o.passwordCredentials ?? []) out.push(info(c, 'client-secret', on));
  for (const c of o.keyCredentials ?? []) out.push(info(c, 'certificate', on));
  return out;
}

function info(
  c: { keyId: string; displayName?: string | null; startDateTime?: string; endDateTime?: string },
  type: CredInfo['type'],
  on: CredInfo['on'],
): CredInfo {
  const i: CredInfo = { id: c.keyId, type, on };
  if (c.displayName) i.name = c.displayName;
  if (c.startDateTime) i.start = c.startDateTime;
  if (c.endDateTime) i.end = c.endDateTime;
  return i;
}

/**
 * The model's credential. Entra has no disable switch for a secret or certificate: a present one is
 * `active` (an expired one too: `expiresAt` says it expired, NHI-CRED-EXPIRED reads that). Graph
 * does not say when a secret was made; `startDateTime` defaults to its creation, so it is `createdAt`.
 */
export function toCredential(c: CredInfo, lastUsedAt: string | undefined): Credential {
  const out: Credential = { id: c.id, type: c.type, active: true };
  if (c.name) out.name = c.name;
  if (c.start) out.createdAt = c.start;
  if (lastUsedAt) out.lastUsedAt = lastUsedAt;
  if (c.end) out.expiresAt = c.end;
  return out;
}
