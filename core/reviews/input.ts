/**
 * What a person typed (options, emails, dates), checked with zod; the first problem becomes an
 * `InputError` naming the field, so the CLI exits 2 with a message that says what to fix.
 */
import type * as z from 'zod';
import { InputError } from '../errors';

/**
 * @example
 * const by = parseField(reviewerEmail, opts.by, '--by', 'decision'); // 'a@example.com'
 */
export function parseField<S extends z.ZodType>(
  schema: S,
  value: unknown,
  field: string,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const inner = issue?.path.length ? `.${issue.path.join('.')}` : '';
  const shown = typeof value === 'string' ? ` "${value}"` : '';
  throw new InputError(`${what}:${shown} ${issue?.message ?? 'invalid'}`, { field: `${field}${inner}` });
}

/** An ISO date (midnight UTC) or date-time as a `Date`. */
export function toDate(value: string): Date {
  return new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
}
