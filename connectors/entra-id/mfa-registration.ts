/**
 * MFA registration of users (`GET /v1.0/reports/authenticationMethods/userRegistrationDetails`,
 * AuditLog.Read.All, an Entra ID P1/P2 licence): which users have registered a strong
 * authentication method. It feeds USER-PRIVILEGED-NO-MFA through the `accessproof:mfa` tag.
 *
 * Only "off" is recorded: a user the report names with `isMfaRegistered: false` has no method to
 * answer an MFA challenge with. A user the report does not name (Graph leaves disabled users out),
 * or a tenant that cannot give the report, stays unknown, and unknown never raises a finding.
 */
import * as z from 'zod';
import { graphTime } from './record-context';

export const MFA_REPORT_FILE = 'userRegistrationDetails.json';
export const MFA_REPORT_PATH = '/reports/authenticationMethods/userRegistrationDetails';

export const registrationSchema = z.object({
  id: z.string().min(1),
  isMfaRegistered: z.boolean().nullish(),
  isMfaCapable: z.boolean().nullish(),
  methodsRegistered: z.array(z.string()).nullish(),
  lastUpdatedDateTime: graphTime,
});
export type Registration = z.output<typeof registrationSchema>;

/**
 * Why the report says this user has no MFA, as evidence text; `undefined` when it does not say so
 * (registered, or the field is absent).
 *
 * @example
 * mfaOffText({ id: 'u1', isMfaRegistered: false, methodsRegistered: ['email'], lastUpdatedDateTime: '2026-09-30T00:00:00.000Z' });
 * // 'userRegistrationDetails: isMfaRegistered false (methods registered: email; report updated 2026-09-30T00:00:00.000Z)'
 */
export function mfaOffText(r: Registration): string | undefined {
  if (r.isMfaRegistered !== false) return undefined;
  const methods = r.methodsRegistered?.length ? r.methodsRegistered.join(', ') : 'none';
  const updated = r.lastUpdatedDateTime ? `; report updated ${r.lastUpdatedDateTime}` : '';
  return `userRegistrationDetails: isMfaRegistered false (methods registered: ${methods}${updated})`;
}
