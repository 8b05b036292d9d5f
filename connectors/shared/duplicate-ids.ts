/**
 * Duplicate ids in a JSON export: two records claiming one identity would put two principals with
 * one uid into the sealed inventory (and one of them would silently win downstream). Exports are
 * refused instead, naming both occurrences, as the ERP connector already does for its CSV.
 */
import { InputError } from '../../core/errors';

export interface Occurrence {
  /** The id as the export writes it. */
  id: unknown;
  /** Where it is, for the message: `UserDetailList[3]`, `page 2, item 7`. */
  where: string;
}

/**
 * Throw an InputError naming `file`, the id and both places when an id occurs twice. Items
 * without a string id are ignored (their shape is checked elsewhere).
 *
 * @example
 * refuseDuplicateIds(users.map((u, i) => ({ id: u.id, where: `item ${i + 1}` })), 'users.json', 'id');
 */
export function refuseDuplicateIds(occurrences: Iterable<Occurrence>, file: string, field: string): void {
  const seen = new Map<string, string>();
  for (const o of occurrences) {
    if (typeof o.id !== 'string' || o.id === '') continue;
    const first = seen.get(o.id);
    if (first !== undefined) {
      throw new InputError(
        `${field} ${JSON.stringify(o.id.slice(0, 200))} occurs twice (${first} and ${o.where}): one record per identity`,
        { file, field },
      );
    }
    seen.set(o.id, o.where);
  }
}
