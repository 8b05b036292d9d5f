/**
 * Graph over HTTP: one page per `list`, one `POST /$batch` per `batch`. nextLinks are followed
 * whole (they carry the `$skiptoken`), but only on the configured Graph origin.
 */
import { type AuthenticationProvider, type Client, GraphError } from '@microsoft/microsoft-graph-client';
import * as z from 'zod';
import type { CallLog } from '../../core/connector';
import { createGraphClient, RequestCounter, throttledRetryOptions } from './graph-client';
import {
  type BatchItem,
  type BatchResult,
  GraphCallError,
  type GraphTransport,
  type GraphVersion,
  type ListPage,
  type ListRequest,
  operationOf,
  paramsOf,
  relativeUrlOf,
} from './transport';

const collectionPage = z.object({
  value: z.array(z.unknown()),
  '@odata.nextLink': z.string().optional(),
});

const batchAnswer = z.object({
  responses: z.array(
    z.object({
      id: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional(),
    }),
  ),
});

const errorBody = z.object({
  error: z.object({ code: z.string().optional(), message: z.string().optional() }),
});

/** Sub-request answers without a usable `Retry-After` wait this long before they are re-sent. */
const DEFAULT_RETRY_AFTER_MS = 5_000;

/** `Retry-After` is seconds (Graph writes fractions such as `2.128`) or an HTTP date. */
export function retryAfterMs(value: string | undefined, now: () => Date): number {
  if (value === undefined || value.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - now().getTime());
}

function headerOf(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

function callErrorOf(err: unknown, operation: string): GraphCallError {
  if (err instanceof GraphCallError) return err;
  if (err instanceof GraphError) {
    return new GraphCallError(err.statusCode, err.code ?? '', err.message, operation);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new GraphCallError(0, 'network', message, operation);
}

export interface ApiTransportOptions {
  baseUrl: string;
  authProvider: AuthenticationProvider;
  now: () => Date;
}

export class ApiTransport implements GraphTransport {
  readonly mode = 'api' as const;
  private readonly counter = new RequestCounter();
  private readonly client: Client;
  private readonly origin: string;
  private readonly now: () => Date;

  constructor(options: ApiTransportOptions) {
    this.origin = new URL(options.baseUrl).origin;
    this.client = createGraphClient({ ...options, counter: this.counter });
    this.now = options.now;
  }

  async list(request: ListRequest, next: string | null, calls: CallLog): Promise<ListPage> {
    const operation = operationOf(request);
    const params = paramsOf(request);
    const before = this.counter.count;
    try {
      const target = next ? this.splitNextLink(next, operation) : undefined;
      const req = this.client
        .api(target ? target.path : relativeUrlOf(request))
        .version(target ? target.version : request.version);
      if (request.throttled) req.middlewareOptions([throttledRetryOptions()]);
      const body = collectionPage.safeParse(await req.get());
      if (!body.success) {
        throw new GraphCallError(200, 'unexpected-body', 'the answer is not a collection page', operation);
      }
      const page = body.data;
      calls.record(
        operation,
        { calls: this.counter.count - before, pages: 1, records: page.value.length },
        params,
      );
      return { items: page.value, next: page['@odata.nextLink'] ?? null };
    } catch (err) {
      calls.record(operation, { calls: this.counter.count - before }, params);
      throw callErrorOf(err, operation);
    }
  }

  async batch(items: readonly BatchItem[], calls: CallLog): Promise<BatchResult[]> {
    if (items.length === 0) return [];
    const version: GraphVersion = items[0]!.request.version;
    const operation = `POST /${version}/$batch`;
    const before = this.counter.count;
    let answer: z.infer<typeof batchAnswer>;
    try {
      const body = {
        requests: items.map((item, i) => ({
          id: String(i + 1),
          method: 'GET',
          url: relativeUrlOf(item.request),
        })),
      };
      const parsed = batchAnswer.safeParse(await this.client.api('/$batch').version(version).post(body));
      if (!parsed.success)
        throw new GraphCallError(200, 'unexpected-body', 'the answer is not a $batch answer', operation);
      answer = parsed.data;
      calls.record(operation, {
        calls: this.counter.count - before,
        pages: 1,
        records: answer.responses.length,
      });
    } catch (err) {
      calls.record(operation, { calls: this.counter.count - before });
      throw callErrorOf(err, operation);
    }

    const byId = new Map(answer.responses.map((r) => [r.id, r]));
    return items.map((item, i): BatchResult => {
      const sub = byId.get(String(i + 1));
      const op = operationOf(item.request);
      const params = paramsOf(item.request);
      if (!sub) {
        calls.record(op, { calls: 1 }, params);
        return { key: item.key, status: 'error', code: 0, message: 'no answer in the $batch response' };
      }
      if (sub.status === 429 || sub.status === 503 || sub.status === 504) {
        calls.record(op, { calls: 1 }, params);
        return {
          key: item.key,
          status: 'throttled',
          retryAfterMs: retryAfterMs(headerOf(sub.headers, 'Retry-After'), this.now),
        };
      }
      if (sub.status === 404) {
        calls.record(op, { calls: 1 }, params);
        return { key: item.key, status: 'not-found' };
      }
      if (sub.status >= 200 && sub.status < 300) {
        const page = collectionPage.safeParse(sub.body);
        if (!page.success) {
          calls.record(op, { calls: 1 }, params);
          return {
            key: item.key,
            status: 'error',
            code: sub.status,
            message: 'the answer is not a collection page',
          };
        }
        calls.record(op, { calls: 1, pages: 1, records: page.data.value.length }, params);
        return {
          key: item.key,
          status: 'ok',
          items: page.data.value,
          next: page.data['@odata.nextLink'] ?? null,
        };
      }
      calls.record(op, { calls: 1 }, params);
      const err = errorBody.safeParse(sub.body);
      const code = err.success ? (err.data.error.code ?? '') : '';
      const message = err.success ? (err.data.error.message ?? '') : '';
      return {
        key: item.key,
        status: 'error',
        code: sub.status,
        message: `${code || 'error'}: ${message}`.trim(),
      };
    });
  }

  /** A nextLink, checked to stay on the Graph origin, as the client takes it: version + path?query. */
  private splitNextLink(link: string, operation: string): { version: string; path: string } {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw new GraphCallError(0, 'bad-next-link', 'the @odata.nextLink is not a URL', operation);
    }
    if (url.origin !== this.origin) {
      throw new GraphCallError(0, 'bad-next-link', `the @odata.nextLink leaves ${this.origin}`, operation);
    }
    // Keep the query exactly as Graph wrote it: the $skiptoken must not be re-encoded.
    const rest = link.slice(link.indexOf('/', url.protocol.length + 2));
    const match = /^\/([^/?]+)(\/.*)$/.exec(rest);
    if (!match) throw new GraphCallError(0, 'bad-next-link', 'the @odata.nextLink has no version', operation);
    return { version: match[1]!, path: match[2]! };
  }
}
