/**
 * What the collection steps need from Graph, whether it is the live API or saved responses:
 * one page of a collection, or one `$batch` of per-object collections. Upstream page tokens
 * (`@odata.nextLink`, file page pointers) are returned to the caller only to be kept in the
 * connector's state.
 */
import type { CallLog } from '../../core/connector';

export type GraphVersion = 'v1.0' | 'beta';

export interface ListRequest {
  version: GraphVersion;
  /** Concrete path below the version, e.g. `/servicePrincipals/8e88…/owners`. */
  path: string;
  /** The same path with `{id}` for the object, for the call log (`/servicePrincipals/{id}/owners`). */
  operationPath: string;
  select?: readonly string[];
  expand?: string;
  filter?: string;
  top?: number;
  /** The saved response file that answers this request in files mode, e.g. `users.json`. */
  file: string;
  /** Sign-in reports are throttled hard: allow more and longer retries. */
  throttled?: boolean;
}

export interface ListPage {
  items: unknown[];
  /** Where the next page is: a nextLink or file page pointer. Only ever stored in state. */
  next: string | null;
}

export interface BatchItem {
  /** Caller's key, echoed in the response (an object id). */
  key: string;
  request: ListRequest;
}

export type BatchResult =
  | { key: string; status: 'ok'; items: unknown[]; next: string | null }
  | { key: string; status: 'throttled'; retryAfterMs: number }
  | { key: string; status: 'not-found' }
  | { key: string; status: 'error'; code: number; message: string };

/** A non-success answer from Graph after the retry middleware gave up (or a missing file). */
export class GraphCallError extends Error {
  override readonly name = 'GraphCallError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly operation: string,
  ) {
    super(message);
  }
}

export interface GraphTransport {
  readonly mode: 'api' | 'files';
  /** One page: the first when `next` is null. Records the call in `calls`. */
  list(request: ListRequest, next: string | null, calls: CallLog): Promise<ListPage>;
  /** Up to 20 first pages of per-object collections in one round trip. */
  batch(items: readonly BatchItem[], calls: CallLog): Promise<BatchResult[]>;
}

/** The call-log name of a request: `GET /v1.0/users`, or `file:users.json` in files mode. */
export function operationOf(request: ListRequest): string {
  return `GET /${request.version}${request.operationPath}`;
}

/** The parameters that define the question, for the call log (never a page token). */
export function paramsOf(request: ListRequest): Record<string, string> | undefined {
  const p: Record<string, string> = {};
  if (request.select) p.$select = request.select.join(',');
  if (request.expand) p.$expand = request.expand;
  if (request.filter) p.$filter = request.filter;
  if (request.top !== undefined) p.$top = String(request.top);
  return Object.keys(p).length > 0 ? p : undefined;
}

/** `/users?$select=…&$top=…`: the relative URL of a first page, as `$batch` and the client take it. */
export function relativeUrlOf(request: ListRequest): string {
  const q: string[] = [];
  if (request.select) q.push(`$select=${request.select.join(',')}`);
  if (request.expand) q.push(`$expand=${request.expand}`);
  if (request.filter) q.push(`$filter=${encodeURIComponent(request.filter)}`);
  if (request.top !== undefined) q.push(`$top=${request.top}`);
  return q.length > 0 ? `${request.path}?${q.join('&')}` : request.path;
}

/**
 * An object id from Graph data as one segment of a request path. Graph ids are GUIDs, but they
 * come from upstream data: encoded, a `/`, `?`, `#` or `%` in one cannot change which resource is
 * asked for. `.` and `..` are refused, because URL normalization resolves them even when encoded.
 */
export function idSegment(id: string): string {
  if (id === '' || id === '.' || id === '..') {
    throw new GraphCallError(
      0,
      'bad-id',
      `an object id of ${JSON.stringify(id)} cannot name a resource`,
      'id',
    );
  }
  return encodeURIComponent(id);
}

/**
 * An object id from data as part of a saved response's file name, encoded as in a URL path: a
 * `/` or `\` becomes `%2F`/`%5C`, so the name stays one file inside the export folder.
 */
export function fileSegment(id: string): string {
  return encodeURIComponent(id);
}
