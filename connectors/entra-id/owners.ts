/**
 * Owners of service principals and app registrations (`…/{id}/owners`): users by their email (so
 * findings can name a person and correlation can tell whether they left), others by uid.
 */
import * as z from 'zod';
import { type RecordContext, uidOf } from './record-context';

export const OWNER_SELECT = ['id', 'userPrincipalName', 'mail'] as const;

export const directoryObjectSchema = z.object({
  '@odata.type': z.string().nullish(),
  id: z.string().min(1),
  userPrincipalName: z.string().nullish(),
  mail: z.string().nullish(),
  displayName: z.string().nullish(),
});
export type DirectoryObject = z.output<typeof directoryObjectSchema>;

/** `user`, `servicePrincipal`, `group`, `device`, … from `@odata.type` (`#microsoft.graph.user`). */
export function objectKind(o: { '@odata.type'?: string | null | undefined }): string | undefined {
  const t = o['@odata.type'];
  return t ? t.replace(/^#?microsoft\.graph\./, '') : undefined;
}

export function ownerRef(rc: RecordContext, o: DirectoryObject): string {
  const kind = objectKind(o);
  if (kind === 'user' || (kind === undefined && (o.mail || o.userPrincipalName))) {
    const upn =
      o.userPrincipalName && !o.userPrincipalName.includes('#EXT#') ? o.userPrincipalName : undefined;
    const email = o.mail ?? upn;
    if (email) return email;
  }
  return uidOf(rc, o.id);
}
