/**
 * Sign-in activity reports (beta): `servicePrincipalSignInActivities` (per application id, the last
 * sign-in of each kind) and `appCredentialSignInActivities` (per credential key id). Both need an
 * Entra ID P1/P2 licence; without one Graph answers 403 and activity stays unknown.
 */
import * as z from 'zod';
import type { Activity } from '../../core/model';
import { graphTime } from './record-context';

const lastSignIn = z.object({ lastSignInDateTime: graphTime }).nullish();

/** The kinds of service principal activity the report keeps, most telling first (ties go to the first). */
export const SP_ACTIVITY_KINDS = [
  'applicationAuthenticationClientSignInActivity',
  'delegatedClientSignInActivity',
  'applicationAuthenticationResourceSignInActivity',
  'delegatedResourceSignInActivity',
  'lastSignInActivity',
] as const;

export const spSignInSchema = z.object({
  appId: z.string().min(1),
  applicationAuthenticationClientSignInActivity: lastSignIn,
  delegatedClientSignInActivity: lastSignIn,
  applicationAuthenticationResourceSignInActivity: lastSignIn,
  delegatedResourceSignInActivity: lastSignIn,
  lastSignInActivity: lastSignIn,
});

/** The most recent activity of any kind; `source` names the kind. */
export function spActivity(item: z.output<typeof spSignInSchema>): Activity | undefined {
  let best: Activity | undefined;
  for (const kind of SP_ACTIVITY_KINDS) {
    const at = item[kind]?.lastSignInDateTime;
    if (at && (!best || at > best.at)) best = { at, source: `servicePrincipalSignInActivities.${kind}` };
  }
  return best;
}

export const credSignInSchema = z.object({
  keyId: z.string().min(1),
  signInActivity: lastSignIn,
});
