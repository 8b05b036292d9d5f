/**
 * Deleted users (`GET /v1.0/directory/deletedItems/microsoft.graph.user`): Entra keeps a deleted
 * user for 30 days with the time it was deleted. Without an HR source Entra is the directory of
 * record, and a deleted account is a leaver as of `deletedDateTime`, the one time Graph reports
 * (core/people.ts); a disabled account has no such time and is judged as of the run.
 */
import type * as z from 'zod';
import type { Principal } from '../../core/model';
import { ENTRA_DELETED_TAG } from '../../core/people';
import { graphTime, type RecordContext } from './record-context';
import { userPrincipal, userSchema } from './users';

export const DELETED_USERS_PATH = '/directory/deletedItems/microsoft.graph.user';
export const DELETED_USERS_FILE = 'deletedUsers.json';
export const DELETED_USER_SELECT = [
  'id',
  'displayName',
  'userPrincipalName',
  'mail',
  'employeeId',
  'userType',
  'createdDateTime',
  'deletedDateTime',
] as const;

export const deletedUserSchema = userSchema.extend({ deletedDateTime: graphTime });

/**
 * A deleted user: a disabled principal (it can sign in to nothing) tagged with when it was deleted.
 * Its activity is unknown (the deleted-items list carries no sign-in activity).
 *
 * @example
 * deletedUserPrincipal(rc, { id: 'u1', deletedDateTime: '2026-09-20T10:00:00.000Z' }).tags['entra:deletedDateTime'];
 */
export function deletedUserPrincipal(rc: RecordContext, u: z.output<typeof deletedUserSchema>): Principal {
  const p = userPrincipal(rc, { ...u, accountEnabled: false }, false);
  p.status = 'disabled';
  if (u.deletedDateTime) p.tags = { ...p.tags, [ENTRA_DELETED_TAG]: u.deletedDateTime };
  return p;
}
