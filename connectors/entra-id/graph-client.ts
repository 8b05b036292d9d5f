/**
 * The Microsoft Graph client, with a middleware chain of our own around the SDK's handlers.
 *
 * The SDK's AuthenticationHandler only attaches the token to `https://` Graph hosts; ours attaches
 * it to exactly the configured Graph origin (so a local imitation server works, and a nextLink to
 * any other host never receives it). The SDK's RetryHandler stays what honours `Retry-After` on
 * 429/503/504; a counting handler after it makes retries visible in the call log.
 */
import {
  type AuthenticationProvider,
  Client,
  type Context,
  HTTPMessageHandler,
  type Middleware,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { noAnswerMessage, readTimeoutMs } from '../shared/read-timeout';

/** Counts the HTTP requests that reach the network, retries included. */
export class RequestCounter {
  count = 0;
}

function setHeader(context: Context, name: string, value: string): void {
  if (typeof context.request !== 'string') {
    context.request.headers.set(name, value);
    return;
  }
  context.options ??= {};
  const headers = context.options.headers;
  if (headers instanceof Headers) headers.set(name, value);
  else if (Array.isArray(headers)) headers.push([name, value]);
  else context.options.headers = { ...(headers as Record<string, string> | undefined), [name]: value };
}

class BearerHandler implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly auth: AuthenticationProvider,
    private readonly origin: string,
  ) {}
  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    if (new URL(url).origin === this.origin) {
      setHeader(context, 'Authorization', `Bearer ${await this.auth.getAccessToken()}`);
    }
    await this.next?.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

class CountingHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly counter: RequestCounter) {}
  async execute(context: Context): Promise<void> {
    this.counter.count += 1;
    await this.next?.execute(context);
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

/**
 * Every request (and the reading of its answer) ends after `ms`: a Graph that accepts the
 * connection and never answers must fail the source, not hold the run.
 */
class TimeoutHandler implements Middleware {
  private next?: Middleware;
  constructor(private readonly ms: number) {}
  async execute(context: Context): Promise<void> {
    const timeout = AbortSignal.timeout(this.ms);
    const given = context.options?.signal;
    context.options = { ...context.options, signal: given ? AbortSignal.any([given, timeout]) : timeout };
    try {
      await this.next?.execute(context);
    } catch (err) {
      if (timeout.aborted) throw new Error(noAnswerMessage(this.ms));
      throw err;
    }
  }
  setNext(next: Middleware): void {
    this.next = next;
  }
}

export interface GraphClientOptions {
  /** e.g. `https://graph.microsoft.com` (no version). */
  baseUrl: string;
  authProvider: AuthenticationProvider;
  counter: RequestCounter;
  /** Per request; default {@link readTimeoutMs}. */
  timeoutMs?: number;
}

/**
 * @example
 * const counter = new RequestCounter();
 * const client = createGraphClient({ baseUrl: 'https://graph.microsoft.com', authProvider, counter });
 * await client.api('/users').select(['id']).get();
 */
export function createGraphClient(options: GraphClientOptions): Client {
  const origin = new URL(options.baseUrl).origin;
  return Client.initWithMiddleware({
    baseUrl: origin,
    defaultVersion: 'v1.0',
    middleware: [
      new BearerHandler(options.authProvider, origin),
      new RetryHandler(new RetryHandlerOptions()),
      new CountingHandler(options.counter),
      new RedirectHandler(new RedirectHandlerOptions()),
      new TelemetryHandler(),
      new TimeoutHandler(options.timeoutMs ?? readTimeoutMs()),
      new HTTPMessageHandler(),
    ],
  });
}

/** Retry options for the sign-in reports (about 10 requests a minute): more attempts, longer base delay. */
export function throttledRetryOptions(): RetryHandlerOptions {
  return new RetryHandlerOptions(10, 6);
}
