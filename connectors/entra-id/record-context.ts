/**
 * What every Entra record needs: the tenant and source for its uid, the config's kind overrides,
 * and one way to validate a Graph item that says where a bad one came from.
 */
import * as z from 'zod';
import { InputError, SourceError } from '../../core/errors';
import { makeUid, type Principal, type PrincipalKind } from '../../core/model';
import { parseGraphTime } from './graph-time';

export interface RecordContext {
  tenant: string;
  sourceId: string;
  /** Config `kinds`: native id or uid → kind. */
  kinds: Record<string, PrincipalKind>;
}

export function uidOf(rc: RecordContext, nativeId: string): string {
  return makeUid('entra', rc.tenant, nativeId);
}

/** The config's `kinds` override wins over the heuristic, and says so. */
export function withKindOverride(rc: RecordContext, p: Principal): Principal {
  const kind = rc.kinds[p.nativeId] ?? rc.kinds[p.uid];
  if (kind === undefined) return p;
  return { ...p, kind, kindReason: 'config:kinds' };
}

/** Where an item came from, for error messages. */
export interface ItemSource {
  mode: 'api' | 'files';
  /** `GET /v1.0/users` or the file name. */
  where: string;
  /** 1-based page. */
  page: number;
}

/** A Graph DateTimeOffset (quirks accepted), as `toISOString()` text; `undefined` for never. */
export const graphTime = z
  .string()
  .nullish()
  .transform((value, ctx) => {
    const t = parseGraphTime(value);
    if (t === null) {
      ctx.issues.push({ code: 'custom', message: 'is not a date-time', input: value });
      return z.NEVER;
    }
    return t;
  });

/**
 * Validate one item. Bad export → InputError naming file, item and field; bad API answer →
 * SourceError naming operation and page. Messages name fields, never values.
 */
export function parseItem<T extends z.ZodType>(
  schema: T,
  raw: unknown,
  src: ItemSource,
  index: number,
): z.output<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(item)';
  const message = `item ${index + 1}: ${field} ${issue?.message ?? 'is not valid'}`;
  if (src.mode === 'files') throw new InputError(message, { file: src.where, field });
  throw new SourceError(message, { operation: src.where, page: src.page });
}
